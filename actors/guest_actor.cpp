#include "actors/guest_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "storage/couch_codec.hpp"

namespace hearth::actors {
namespace {

constexpr int provision_tries = 15;  // a remote home not reachable yet (a restart): tried every 2 s
constexpr auto provision_retry = std::chrono::seconds(2);

struct guest_actor_state {
  guest_record record;
  storage::store* db = nullptr;
  clock_fn now;
  guest_homes homes;
  std::uint32_t in_flight = 0;  // requests to the environment host not answered yet
  int provision_failures = 0;
  bool provisioning = false;
  bool sampling = false;  // a usage sample is under way
  bool ending = false;    // its environment is being removed
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

using done_fn = std::function<void(result<guest_record>)>;

caf::error not_running(guest_self self) {
  const auto& r = self->state.record;
  return to_error(fail(couch_errc::guest_not_running,
                       "the guest's environment is " + std::string(r.state == guest_state::provisioning
                                                                       ? "still provisioning"
                                                                       : "gone: " + r.reason)));
}

bool builds_environments(guest_self self) { return self->state.homes.builds; }
bool remote_home(guest_self self) {
  const auto& home = self->state.record.home_node;
  return !home.empty() && home != self->state.homes.node_name;
}

// The environment host of the guest's home (this node's, or a cluster
// member's looked up by name), then f(host) or f(error).
template <class F>
void with_home(guest_self self, F f) {
  auto& reg = self->system().registry();
  if (!remote_home(self)) {
    if (auto local = caf::actor_cast<environment_host_type>(reg.get(self->state.homes.environment_host_key)))
      return f(result<environment_host_type>(local));
    return f(result<environment_host_type>(fail(http_errc::node_unavailable, "the environment host is restarting")));
  }
  auto cluster = caf::actor_cast<cluster_member_type>(reg.get(self->state.homes.cluster_key));
  std::string home = self->state.record.home_node;
  auto unavailable = [home](const std::string& why) {
    return result<environment_host_type>(
        fail(couch_errc::home_unavailable, "the guest's home node " + home + " cannot be reached: " + why));
  };
  if (!cluster) return f(unavailable("this node is in no cluster"));
  self->request(cluster, std::chrono::seconds(5), get_atom::value, home)
      .then(
          [f, unavailable](member_info& m) mutable {
            if (!m.environments) return f(unavailable("it builds no environments"));
            f(result<environment_host_type>(caf::actor_cast<environment_host_type>(m.environments)));
          },
          [self, f, unavailable](caf::error& e) mutable { f(unavailable(to_failure(e, self->system().render(e)).message)); });
}

// A handler of the environment host's answer (or error) to a request
// counted in in_flight (the actor stays while any is out).
template <class... Ts, class F>
auto returned(guest_self self, F f) {
  return [self, f](Ts... xs) mutable {
    --self->state.in_flight;
    f(std::forward<Ts>(xs)...);
  };
}

// Ends the guest: its environment removed first (the host cancels its
// commands), then why stored; done gets the record.
void end_guest(guest_self self, guest_state to, const std::string& reason, done_fn done) {
  auto& st = self->state;
  if (!live(st.record) || st.ending) return done(st.record);  // ended or ending: the first reason stays
  auto finish = [self, to, reason, done] {
    self->state.ending = false;
    guest_record next = self->state.record;
    if (!live(next)) return done(next);
    next.state = to;
    next.reason = reason;
    next.ended_at_ms = self->state.now();
    next.agent_endpoint.clear();
    spdlog::info("guest {} {}: {}", next.id, to == guest_state::expired ? "expired" : "revoked", reason);
    done(commit(self, next));
  };
  if (!builds_environments(self)) return finish();
  st.ending = true;
  with_home(self, [self, finish](result<environment_host_type> host) {
    auto id = self->state.record.id;
    if (!host) {
      spdlog::warn("guest {}: environment not removed: {}", id, host.error().message);
      return finish();
    }
    ++self->state.in_flight;
    self->request(*host, std::chrono::seconds(60), revoke_atom::value, id)
        .then(returned<bool>(self, [finish](bool) { finish(); }), returned<caf::error&>(self, [self, finish, id](caf::error& e) {
                spdlog::warn("guest {}: environment not removed: {}", id, self->system().render(e));
                finish();
              }));
  });
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
void check_limits(guest_self self, const guest_usage& u, done_fn done) {
  guest_record next = self->state.record;
  next.usage = u;
  auto stored = commit(self, next);
  if (!stored) return done(stored);
  if (auto crossed = crossed_limit(u, next.limits); !crossed.empty())
    return end_guest(self, guest_state::revoked, "limit exceeded: " + crossed, std::move(done));
  done(stored);
}

// Adds what the environment used since the last sample (CPU) and what it
// uses now (peak memory, disk); stored only when something changed.
void add_sample(guest_self self, const environment_usage& s) {
  if (!live(self->state.record)) return;
  const guest_usage& was = self->state.record.usage;
  guest_usage u = was;
  u.cpu_secs += s.cpu_secs;
  u.memory_mb = std::max(u.memory_mb, s.memory_mb);
  u.disk_mb = s.disk_mb;
  u.network_egress_mb += s.network_egress_mb;
  if (s.cpu_secs == 0 && s.network_egress_mb == 0 && u.memory_mb == was.memory_mb && u.disk_mb == was.disk_mb)
    return;
  check_limits(self, u, [](const result<guest_record>&) {});
}

// The agent's report; what the environment measures is not the agent's to report.
caf::result<guest_record> on_usage(guest_self self, const guest_usage& u) {
  const auto& st = self->state;
  if (!live(st.record)) return to_error(fail(couch_errc::guest_ended, "the guest has ended: " + st.record.reason));
  guest_usage merged = u;
  if (builds_environments(self)) {
    const auto& measured = st.record.usage;
    merged.cpu_secs = std::max(merged.cpu_secs, measured.cpu_secs);
    merged.memory_mb = std::max(merged.memory_mb, measured.memory_mb);
    merged.disk_mb = std::max(merged.disk_mb, measured.disk_mb);
    merged.network_egress_mb = std::max(merged.network_egress_mb, measured.network_egress_mb);
  }
  auto rp = self->make_response_promise<guest_record>();
  check_limits(self, merged, [rp](result<guest_record> r) mutable {
    if (r) rp.deliver(std::move(*r));
    else rp.deliver(to_error(r.error()));
  });
  return rp;
}

void provisioning_failed(guest_self self, const std::string& detail) {
  guest_record next = self->state.record;
  if (!live(next)) return;
  next.state = guest_state::failed;
  next.reason = "provisioning failed: " + detail;
  next.ended_at_ms = self->state.now();
  (void)commit(self, next);
  spdlog::warn("guest {} {}", next.id, next.reason);
}

// Has its home's host build the environment, then runs the guest (or fails
// it with the reason). A home not reachable yet is tried again a while.
void on_provision(guest_self self) {
  auto& st = self->state;
  if (!builds_environments(self) || st.record.state != guest_state::provisioning || st.provisioning) return;
  st.provisioning = true;
  with_home(self, [self](result<environment_host_type> host) {
    auto& st = self->state;
    if (!host) {
      st.provisioning = false;
      if (++st.provision_failures < provision_tries) {
        self->delayed_send(self, provision_retry, provision_atom::value);
        return;
      }
      return provisioning_failed(self, host.error().message);
    }
    ++st.in_flight;
    self->request(*host, caf::infinite, provision_atom::value, st.record)
        .then(returned<std::string&>(self,
                      [self](std::string& endpoint) {
                        self->state.provisioning = false;
                        if (auto r = activate(self, endpoint); r)
                          spdlog::info("guest {} running{}", r->id,
                                       r->home_node.empty() ? std::string() : " on " + r->home_node);
                      }),
              returned<caf::error&>(self, [self](caf::error& e) {
                self->state.provisioning = false;
                provisioning_failed(self, to_failure(e, self->system().render(e)).message);
              }));
  });
}

// A command on its home's host (its output to stream as it comes, when
// set); the environment's usage is sampled after it.
caf::result<exec_result> on_exec(guest_self self, const exec_request& req, const exec_stream_type& stream) {
  auto& st = self->state;
  if (st.record.state != guest_state::running || st.ending) return not_running(self);
  if (!builds_environments(self)) return to_error(fail(couch_errc::no_environment, "this node provisions no environments"));
  auto rp = self->make_response_promise<exec_result>();
  with_home(self, [self, req, stream, rp](result<environment_host_type> host) mutable {
    if (!host) return (void)rp.deliver(to_error(host.error()));
    ++self->state.in_flight;
    self->request(*host, std::chrono::seconds(req.timeout_secs + 120), exec_atom::value, self->state.record, req,
                  caf::actor_cast<caf::actor>(stream))
        .then(returned<exec_result&, const environment_usage&>(self,
                      [self, rp](exec_result& out, const environment_usage& used) mutable {
                        add_sample(self, used);
                        rp.deliver(std::move(out));
                      }),
              returned<caf::error&>(self, [rp](caf::error& e) mutable { rp.deliver(e); }));
  });
  return rp;
}

void on_sample(guest_self self) {
  auto& st = self->state;
  if (!builds_environments(self) || st.record.state != guest_state::running || st.sampling || st.ending) return;
  st.sampling = true;
  with_home(self, [self](result<environment_host_type> host) {
    if (!host) {
      self->state.sampling = false;
      return;
    }
    ++self->state.in_flight;
    self->request(*host, std::chrono::seconds(30), sample_atom::value, self->state.record.id)
        .then(returned<const environment_usage&>(self,
                      [self](const environment_usage& used) {
                        self->state.sampling = false;
                        add_sample(self, used);
                      }),
              returned<caf::error&>(self, [self](caf::error&) { self->state.sampling = false; }));
  });
}

// A shell on a pty in its home, as a terminal actor there.
caf::result<terminal_type> on_terminal(guest_self self, std::uint32_t cols, std::uint32_t rows) {
  const auto& st = self->state;
  if (st.record.state != guest_state::running || st.ending) return not_running(self);
  if (!builds_environments(self)) return to_error(fail(couch_errc::no_environment, "this node provisions no environments"));
  auto rp = self->make_response_promise<terminal_type>();
  with_home(self, [self, cols, rows, rp](result<environment_host_type> host) mutable {
    if (!host) return (void)rp.deliver(to_error(host.error()));
    ++self->state.in_flight;
    self->request(*host, std::chrono::seconds(30), terminal_atom::value, self->state.record, cols, rows)
        .then(returned<caf::actor&>(self, [rp](caf::actor& t) mutable { rp.deliver(caf::actor_cast<terminal_type>(t)); }),
              returned<caf::error&>(self, [rp](caf::error& e) mutable { rp.deliver(e); }));
  });
  return rp;
}

guest_actor_type::behavior_type guest_behavior(guest_self self, storage::store* db, guest_record record, clock_fn now,
                                               std::chrono::milliseconds idle_after, guest_homes homes) {
  auto& st = self->state;
  st.record = std::move(record);
  st.db = db;
  st.now = std::move(now);
  st.homes = std::move(homes);
  return {
      [=](get_atom) { return self->state.record; },
      [=](activate_atom, const std::string& endpoint) { return reply(activate(self, endpoint)); },
      [=](usage_atom, const guest_usage& u) { return on_usage(self, u); },
      [=](revoke_atom, const std::string& reason) {
        bool expiry = reason.rfind("expired", 0) == 0;
        auto rp = self->make_response_promise<guest_record>();
        end_guest(self, expiry ? guest_state::expired : guest_state::revoked, reason, [rp](result<guest_record> r) mutable {
          if (r) rp.deliver(std::move(*r));
          else rp.deliver(to_error(r.error()));
        });
        return rp;
      },
      [=](provision_atom) { on_provision(self); },
      [=](exec_atom, const exec_request& req, const exec_stream_type& stream) { return on_exec(self, req, stream); },
      [=](sample_atom) { on_sample(self); },
      [=](terminal_atom, std::uint32_t cols, std::uint32_t rows) { return on_terminal(self, cols, rows); },
      caf::after(idle_after) >> [=] {
        const auto& st = self->state;
        if (st.in_flight == 0 && !st.provisioning && !st.sampling && !st.ending) self->quit();
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
                                   std::chrono::milliseconds idle_after, guest_homes homes) {
  return parent->spawn<caf::monitored + caf::linked>(guest_behavior, db, std::move(record), std::move(now), idle_after,
                                                     std::move(homes));
}

}  // namespace hearth::actors
