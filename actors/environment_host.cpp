#include "actors/environment_host.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <list>
#include <unordered_map>

#include "actors/blocking_stream.hpp"
#include "actors/terminal_actor.hpp"
#include "messages/failure_error.hpp"

namespace hearth::actors {
namespace {

using cancel_flag = std::shared_ptr<std::atomic<bool>>;

struct environment_host_state {
  std::shared_ptr<environment_backend> backend;
  std::uint64_t capacity_mb = 0;
  std::unordered_map<std::string, std::uint64_t> reserved_mb;  // by guest
  // Shared with the exit hook, which cancels every command when the host goes.
  std::shared_ptr<std::unordered_map<std::string, std::list<cancel_flag>>> running =
      std::make_shared<std::unordered_map<std::string, std::list<cancel_flag>>>();
  static inline const char* name = "environment_host";
};
using host_self = environment_host_type::stateful_pointer<environment_host_state>;

// A detached helper for one blocking backend call; answers with its result.
// (f travels as a spawn argument: CAF 0.17 misbehaves with none.)
template <class F>
caf::actor helper(host_self self, F f) {
  return self->spawn<caf::detached>([](caf::event_based_actor*, F call) -> caf::behavior {
    return {[call](get_atom) { return call(); }};
  }, std::move(f));
}

void reserve(host_self self, const guest_record& g) {
  self->state.reserved_mb[g.id] = std::max<std::uint64_t>(16, g.limits.max_memory_mb);
}

std::uint64_t room_mb(host_self self) {
  std::uint64_t used = 0;
  for (const auto& [id, mb] : self->state.reserved_mb) used += mb;
  return self->state.capacity_mb > used ? self->state.capacity_mb - used : 0;
}

caf::result<exec_result, environment_usage> on_exec(host_self self, const guest_record& g, const exec_request& req,
                                                    const caf::actor& stream) {
  reserve(self, g);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto running = self->state.running;
  (*running)[g.id].push_back(flag);
  auto* sys = &self->system();
  auto worker = helper(self, [backend = self->state.backend, g, req, flag, stream, sys]() -> caf::message {
    blocking_stream<exec_stream_type> forward(*sys, caf::actor_cast<exec_stream_type>(stream),
                                              std::chrono::seconds(req.timeout_secs + 30));
    exec_output emit;
    if (forward) emit = [&forward](int fd, std::string_view data) { forward.send(std::int32_t{fd}, std::string(data)); };
    auto out = backend->exec(g, req, flag.get(), emit);
    if (!out) return caf::make_message(to_error(out.error()));
    return caf::make_message(std::move(*out), backend->sample(g.id));
  });
  auto done = [running, id = g.id, flag] {
    auto it = running->find(id);
    if (it == running->end()) return;
    it->second.remove(flag);
    if (it->second.empty()) running->erase(it);
  };
  auto rp = self->make_response_promise<exec_result, environment_usage>();
  self->request(worker, caf::infinite, get_atom::value)
      .then(
          [=](exec_result& out, environment_usage& used) mutable {
            done();
            rp.deliver(std::move(out), used);
          },
          [=](caf::error& e) mutable {
            done();
            rp.deliver(std::move(e));
          });
  return rp;
}

environment_host_type::behavior_type host_behavior(host_self self, std::shared_ptr<environment_backend> backend,
                                                   std::uint64_t capacity_mb) {
  auto& st = self->state;
  st.backend = std::move(backend);
  st.capacity_mb = capacity_mb;
  self->attach_functor([running = st.running] {
    for (auto& [id, flags] : *running)
      for (auto& flag : flags) flag->store(true);
  });
  return {
      [self](provision_atom, const guest_record& g) -> caf::result<std::string> {
        reserve(self, g);
        auto worker = helper(self, [backend = self->state.backend, g]() -> caf::message {
          auto endpoint = backend->create(g);
          if (!endpoint) return caf::make_message(to_error(endpoint.error()));
          spdlog::info("guest {}: environment built ({})", g.id, backend->name());
          return caf::make_message(std::move(*endpoint));
        });
        self->delegate(worker, get_atom::value);
        return caf::delegated<std::string>{};
      },
      [self](exec_atom, const guest_record& g, const exec_request& req, const caf::actor& stream) {
        return on_exec(self, g, req, stream);
      },
      [self](terminal_atom, const guest_record& g, std::uint32_t cols, std::uint32_t rows) -> caf::result<caf::actor> {
        reserve(self, g);
        auto* sys = &self->system();
        auto worker = helper(self, [backend = self->state.backend, g, cols, rows, sys]() -> caf::message {
          auto t = backend->open_terminal(g, static_cast<std::uint16_t>(cols), static_cast<std::uint16_t>(rows));
          if (!t) return caf::make_message(to_error(t.error()));
          return caf::make_message(caf::actor_cast<caf::actor>(spawn_terminal_actor(*sys, std::move(*t))));
        });
        self->delegate(worker, get_atom::value);
        return caf::delegated<caf::actor>{};
      },
      [self](revoke_atom, const std::string& id) -> caf::result<bool> {
        auto& st = self->state;
        if (auto it = st.running->find(id); it != st.running->end())
          for (auto& flag : it->second) flag->store(true);
        st.reserved_mb.erase(id);
        auto worker = helper(self, [backend = st.backend, id]() -> caf::message {
          auto gone = backend->destroy(id);
          if (!gone) return caf::make_message(to_error(gone.error()));
          return caf::make_message(true);
        });
        self->delegate(worker, get_atom::value);
        return caf::delegated<bool>{};
      },
      [self](sample_atom, const std::string& id) -> caf::result<environment_usage> {
        auto worker = helper(self, [backend = self->state.backend, id]() {
          return caf::make_message(backend->sample(id));
        });
        self->delegate(worker, get_atom::value);
        return caf::delegated<environment_usage>{};
      },
      [self](list_atom) { return self->state.backend->running(); },
      [self](get_atom) { return room_mb(self); },
  };
}

}  // namespace

environment_host_type spawn_environment_host(caf::actor_system& sys, std::shared_ptr<environment_backend> backend,
                                             std::uint64_t capacity_mb) {
  return sys.spawn(host_behavior, std::move(backend), capacity_mb);
}

}  // namespace hearth::actors
