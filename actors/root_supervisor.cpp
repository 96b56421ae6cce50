#include "actors/root_supervisor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <deque>

#include "messages/node.hpp"

namespace hearth::actors {
namespace {

using clock = std::chrono::steady_clock;

struct child {
  child_spec spec;
  caf::actor handle;
  caf::actor_addr last_address;  // identifies a failed restart's retry
  std::uint32_t restarts = 0;
  std::deque<clock::time_point> recent;  // stop times within the policy window
};

struct supervisor_state {
  std::vector<child> children;
  restart_policy policy;
  bool stopping = false;
  std::size_t stop_next = 0;  // children stop from the back: index counts down
  caf::response_promise stop_promise;
  static inline const char* name = "root_supervisor";
};

using supervisor = root_supervisor_type::stateful_pointer<supervisor_state>;

void register_child(caf::actor_system& sys, const child& c) {
  sys.registry().put(c.spec.registry_key, caf::actor_cast<caf::strong_actor_ptr>(c.handle));
}

void stop_next_child(supervisor self) {
  auto& st = self->state;
  while (st.stop_next > 0) {
    auto& c = st.children[--st.stop_next];
    if (!c.handle) continue;
    spdlog::debug("supervisor stopping child={}", c.spec.name);
    self->send_exit(c.handle, caf::exit_reason::user_shutdown);
    return;  // continue in the down handler
  }
  st.stop_promise.deliver(true);
  self->quit();
}

void on_child_down(supervisor self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.children.size(); ++i) {
    auto& c = st.children[i];
    bool retry = !c.handle && !st.stopping && dm.source == c.last_address;
    if (!retry && (!c.handle || c.handle.address() != dm.source)) continue;
    self->system().registry().erase(c.spec.registry_key);
    c.last_address = dm.source;
    c.handle = nullptr;
    if (st.stopping) {
      if (i == st.stop_next) stop_next_child(self);
      return;
    }
    auto now = clock::now();
    c.recent.push_back(now);
    while (!c.recent.empty() && now - c.recent.front() > st.policy.window) c.recent.pop_front();
    auto reason = self->system().render(dm.reason);
    if (c.recent.size() > st.policy.max_restarts) {
      spdlog::error("child {} stopped {} times within {} ms (last reason: {}); stopping the node", c.spec.name,
                    c.recent.size(), st.policy.window.count(), reason);
      st.stopping = true;
      for (auto& other : st.children)
        if (other.handle) self->send_exit(other.handle, caf::exit_reason::user_shutdown);
      self->quit(caf::make_error(caf::sec::runtime_error, "child " + c.spec.name + " keeps failing: " + reason));
      return;
    }
    spdlog::warn("child {} stopped (reason: {}); restarting", c.spec.name, reason);
    auto started = c.spec.start(self->system());
    if (!started) {
      spdlog::error("child {} failed to restart: {}", c.spec.name, started.error().message);
      // Counted as another stop: retried through the same path after a backoff.
      self->delayed_send(self, std::chrono::milliseconds(100) * c.recent.size(), restart_atom::value,
                         caf::down_msg{dm.source, dm.reason});
      return;
    }
    c.handle = *started;
    ++c.restarts;
    self->monitor(c.handle);
    register_child(self->system(), c);
    return;
  }
}

root_supervisor_type::behavior_type supervisor_behavior(supervisor self, std::vector<child> children, restart_policy policy) {
  self->state.children = std::move(children);
  self->state.policy = policy;
  for (auto& c : self->state.children) self->monitor(c.handle);
  self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
  self->attach_functor([sys = &self->system()] { sys->registry().erase(root_supervisor_key); });
  return {
      [self](restart_atom, const caf::down_msg& dm) { on_child_down(self, dm); },
      [self](health_atom) {
        supervisor_report report;
        for (const auto& c : self->state.children)
          report.children.push_back({c.spec.name, static_cast<bool>(c.handle), c.restarts});
        report.running_actors = self->system().registry().running();
        return report;
      },
      [self](stop_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (st.stopping) return true;
        st.stopping = true;
        st.stop_next = st.children.size();
        st.stop_promise = self->make_response_promise();
        stop_next_child(self);
        return st.stop_promise;
      },
  };
}

}  // namespace

result<root_supervisor_type> spawn_root_supervisor(caf::actor_system& sys, std::vector<child_spec> specs,
                                         restart_policy policy) {
  std::vector<child> children;
  for (auto& spec : specs) {
    auto started = spec.start(sys);
    if (!started) {
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        caf::scoped_actor self{sys};
        self->monitor(it->handle);
        self->send_exit(it->handle, caf::exit_reason::user_shutdown);
        self->receive([](caf::down_msg&) {});
      }
      return fail(started.error().code, spec.name + ": " + started.error().message);
    }
    children.push_back({std::move(spec), *started, {}, 0, {}});
    register_child(sys, children.back());  // before returning: callers may look it up at once
  }
  auto sup = sys.spawn(supervisor_behavior, std::move(children), policy);
  sys.registry().put(root_supervisor_key, caf::actor_cast<caf::strong_actor_ptr>(sup));
  return sup;
}

}  // namespace hearth::actors
