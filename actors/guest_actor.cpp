#include "actors/guest_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <list>

#include "actors/blocking_stream.hpp"
#include "actors/terminal_actor.hpp"
#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "storage/couch_codec.hpp"

namespace hearth::actors {
namespace {

struct guest_actor_state {
  guest_record record;
  storage::store* db = nullptr;
  clock_fn now;
  std::shared_ptr<environment_backend> backend;  // null: no environments here
  // Cancel flags of commands in flight; shared with the exit hook, which
  // cancels them when the actor goes (node shutdown).
  std::shared_ptr<std::list<std::shared_ptr<std::atomic<bool>>>> running =
      std::make_shared<std::list<std::shared_ptr<std::atomic<bool>>>>();
  bool provisioning = false;
  bool sampling = false;  // a usage sample is under way
  static inline const char* name = "guest";
};
using guest_self = guest_actor_type::stateful_pointer<guest_actor_state>;

bool live(const guest_record& g) { return g.state == guest_state::provisioning || g.state == guest_state::running; }

// The one way the record changes: stored first, then kept.
result<guest_record> commit(guest_self self, guest_record next) {
  if (auto ok = storage::save_guest(*self->state.db, next); !ok) return ok.error();
  self->state.record = next;
  return next;
}

caf::result<guest_record> reply(result<guest_record> r) {
  if (!r) return to_error(r.error());
  return std::move(*r);
}

caf::error not_running(guest_self self) {
  const auto& r = self->state.record;
  return to_error(fail(couch_errc::guest_not_running,
                       "the guest's environment is " + std::string(r.state == guest_state::provisioning
                                                                       ? "still provisioning"
                                                                       : "gone: " + r.reason)));
}

// A detached helper for one blocking backend call; answers with its result.
// (f travels as a spawn argument: CAF 0.17 misbehaves with none.)
template <class F>
caf::actor helper(guest_self self, F f) {
  return self->spawn<caf::detached>([](caf::event_based_actor*, F call) -> caf::behavior {
    return {[call](get_atom) { return call(); }};
  }, std::move(f));
}

caf::message sample_of(const std::shared_ptr<environment_backend>& backend, const std::string& id) {
  return caf::make_message(backend->sample(id));
}

// Ends the guest: cancels its commands, removes its environment, stores why.
result<guest_record> end_guest(guest_self self, guest_state to, const std::string& reason) {
  auto& st = self->state;
  guest_record next = st.record;
  if (!live(next)) return next;  // already ended: the first reason stays
  for (auto& flag : *st.running) flag->store(true);
  if (st.backend)
    if (auto gone = st.backend->destroy(next.id); !gone)
      spdlog::warn("guest {}: environment not removed: {}", next.id, gone.error().message);
  next.state = to;
  next.reason = reason;
  next.ended_at_ms = st.now();
  next.agent_endpoint.clear();
  spdlog::info("guest {} {}: {}", next.id, to == guest_state::expired ? "expired" : "revoked", reason);
  return commit(self, next);
}

result<guest_record> activate(guest_self self, const std::string& endpoint) {
  guest_record next = self->state.record;
  if (!live(next)) return fail(couch_errc::guest_ended, "the guest has ended: " + next.reason);
  next.state = guest_state::running;
  if (next.activated_at_ms == 0) next.activated_at_ms = self->state.now();
  next.agent_endpoint = endpoint;
  return commit(self, next);
}

// Stores the usage; crossing a hard limit revokes the guest with that reason.
result<guest_record> check_limits(guest_self self, const guest_usage& u) {
  guest_record next = self->state.record;
  next.usage = u;
  auto stored = commit(self, next);
  if (!stored) return stored;
  if (auto crossed = crossed_limit(u, next.limits); !crossed.empty())
    return end_guest(self, guest_state::revoked, "limit exceeded: " + crossed);
  return stored;
}

// Adds what the environment used since the last sample (CPU) and what it
// uses now (peak memory, disk); stored only when something changed.
result<guest_record> add_sample(guest_self self, const environment_usage& s) {
  const guest_usage& was = self->state.record.usage;
  guest_usage u = was;
  u.cpu_secs += s.cpu_secs;
  u.memory_mb = std::max(u.memory_mb, s.memory_mb);
  u.disk_mb = s.disk_mb;
  u.network_egress_mb += s.network_egress_mb;
  if (s.cpu_secs == 0 && s.network_egress_mb == 0 && u.memory_mb == was.memory_mb && u.disk_mb == was.disk_mb)
    return self->state.record;
  return check_limits(self, u);
}

// The agent's report; what the environment measures is not the agent's to report.
caf::result<guest_record> on_usage(guest_self self, const guest_usage& u) {
  const auto& st = self->state;
  if (!live(st.record)) return to_error(fail(couch_errc::guest_ended, "the guest has ended: " + st.record.reason));
  guest_usage merged = u;
  if (st.backend) {
    const auto& measured = st.record.usage;
    merged.cpu_secs = std::max(merged.cpu_secs, measured.cpu_secs);
    merged.memory_mb = std::max(merged.memory_mb, measured.memory_mb);
    merged.disk_mb = std::max(merged.disk_mb, measured.disk_mb);
    merged.network_egress_mb = std::max(merged.network_egress_mb, measured.network_egress_mb);
  }
  return reply(check_limits(self, merged));
}

// Builds the environment on a helper, then runs the guest (or fails it with the reason).
void on_provision(guest_self self) {
  auto& st = self->state;
  if (!st.backend || st.record.state != guest_state::provisioning || st.provisioning) return;
  st.provisioning = true;
  auto backend = st.backend;
  guest_record g = st.record;
  auto worker = helper(self, [backend, g]() -> caf::message {
    auto endpoint = backend->create(g);
    return endpoint ? caf::make_message(true, *endpoint) : caf::make_message(false, endpoint.error().message);
  });
  self->request(worker, caf::infinite, get_atom::value).then([=](bool ok, std::string& detail) {
    self->state.provisioning = false;
    if (ok) {
      if (auto r = activate(self, detail); r) spdlog::info("guest {} running ({})", r->id, backend->name());
      return;
    }
    guest_record next = self->state.record;
    if (!live(next)) return;
    next.state = guest_state::failed;
    next.reason = "provisioning failed: " + detail;
    next.ended_at_ms = self->state.now();
    (void)commit(self, next);
    spdlog::warn("guest {} {}", next.id, next.reason);
  });
}

// A command on a helper (its output to stream as it comes, when set); the
// environment's usage is sampled after it.
caf::result<exec_result> on_exec(guest_self self, const exec_request& req, const exec_stream_type& stream) {
  auto& st = self->state;
  if (st.record.state != guest_state::running) return not_running(self);
  if (!st.backend) return to_error(fail(couch_errc::no_environment, "this node provisions no environments"));
  auto flag = std::make_shared<std::atomic<bool>>(false);
  st.running->push_back(flag);
  auto backend = st.backend;
  guest_record g = st.record;
  auto* sys = &self->system();
  auto worker = helper(self, [backend, g, req, flag, stream, sys]() -> caf::message {
    blocking_stream<exec_stream_type> forward(*sys, stream, std::chrono::seconds(req.timeout_secs + 30));
    exec_output emit;
    if (forward) emit = [&forward](int fd, std::string_view data) { forward.send(std::int32_t{fd}, std::string(data)); };
    auto out = backend->exec(g, req, flag.get(), emit);
    if (!out) return caf::make_message(to_error(out.error()));
    return caf::make_message(std::move(*out)) + sample_of(backend, g.id);
  });
  auto rp = self->make_response_promise<exec_result>();
  self->request(worker, caf::infinite, get_atom::value)
      .then(
          [=](exec_result& out, const environment_usage& used) mutable {
            self->state.running->remove(flag);
            if (live(self->state.record)) (void)add_sample(self, used);
            rp.deliver(std::move(out));
          },
          [=](caf::error& e) mutable {
            self->state.running->remove(flag);
            rp.deliver(e);
          });
  return rp;
}

void on_sample(guest_self self) {
  auto& st = self->state;
  if (!st.backend || st.record.state != guest_state::running || st.sampling) return;
  st.sampling = true;
  auto worker = helper(self, [backend = st.backend, id = st.record.id]() { return sample_of(backend, id); });
  self->request(worker, caf::infinite, get_atom::value).then([=](const environment_usage& used) {
    self->state.sampling = false;
    if (live(self->state.record)) (void)add_sample(self, used);
  });
}

// A shell on a pty, opened on a helper, as a terminal actor of its own.
caf::result<terminal_type> on_terminal(guest_self self, std::uint32_t cols, std::uint32_t rows) {
  const auto& st = self->state;
  if (st.record.state != guest_state::running) return not_running(self);
  if (!st.backend) return to_error(fail(couch_errc::no_environment, "this node provisions no environments"));
  auto* sys = &self->system();
  auto worker = helper(self, [backend = st.backend, g = st.record, cols, rows, sys]() -> caf::message {
    auto t = backend->open_terminal(g, static_cast<std::uint16_t>(cols), static_cast<std::uint16_t>(rows));
    if (!t) return caf::make_message(to_error(t.error()));
    return caf::make_message(spawn_terminal_actor(*sys, std::move(*t)));
  });
  self->delegate(worker, get_atom::value);
  return caf::delegated<terminal_type>{};
}

guest_actor_type::behavior_type guest_behavior(guest_self self, storage::store* db, guest_record record, clock_fn now,
                                               std::chrono::milliseconds idle_after,
                                               std::shared_ptr<environment_backend> backend) {
  auto& st = self->state;
  st.record = std::move(record);
  st.db = db;
  st.now = std::move(now);
  st.backend = std::move(backend);
  self->attach_functor([running = st.running] {
    for (auto& flag : *running) flag->store(true);
  });
  return {
      [=](get_atom) { return self->state.record; },
      [=](activate_atom, const std::string& endpoint) { return reply(activate(self, endpoint)); },
      [=](usage_atom, const guest_usage& u) { return on_usage(self, u); },
      [=](revoke_atom, const std::string& reason) {
        bool expiry = reason.rfind("expired", 0) == 0;
        return reply(end_guest(self, expiry ? guest_state::expired : guest_state::revoked, reason));
      },
      [=](provision_atom) { on_provision(self); },
      [=](exec_atom, const exec_request& req, const exec_stream_type& stream) { return on_exec(self, req, stream); },
      [=](sample_atom) { on_sample(self); },
      [=](terminal_atom, std::uint32_t cols, std::uint32_t rows) { return on_terminal(self, cols, rows); },
      caf::after(idle_after) >> [=] {
        if (self->state.running->empty() && !self->state.provisioning && !self->state.sampling) self->quit();
      },
  };
}

}  // namespace

std::string crossed_limit(const guest_usage& u, const resource_limits& l) {
  if (l.max_memory_mb && u.memory_mb > l.max_memory_mb) return "memory";
  if (l.max_disk_gb && u.disk_mb > l.max_disk_gb * 1024) return "disk";
  if (l.max_network_egress_gb && u.network_egress_mb > l.max_network_egress_gb * 1024) return "network egress";
  if (l.max_token_budget && u.tokens_in + u.tokens_out > l.max_token_budget) return "token budget";
  return "";
}

guest_actor_type spawn_guest_actor(caf::local_actor* parent, storage::store* db, guest_record record, clock_fn now,
                             std::chrono::milliseconds idle_after, std::shared_ptr<environment_backend> backend) {
  return parent->spawn<caf::monitored + caf::linked>(guest_behavior, db, std::move(record), std::move(now), idle_after,
                                       std::move(backend));
}

}  // namespace hearth::actors
