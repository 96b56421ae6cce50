#include "actors/seller_agent.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "messages/clock.hpp"
#include "messages/failure_error.hpp"

namespace hearth::actors {
namespace {

struct local_job {
  job_assignment assignment;
  job_state state = job_state::provisioning;
  job_access access;
  std::int64_t started_ms = 0;
  std::int64_t deadline_ms = 0;
};

struct seller_agent_state {
  seller_config config;
  std::shared_ptr<job_host> host;
  std::map<std::string, local_job> jobs;
  std::string seller_id;  // "" while no session is up
  std::chrono::milliseconds heartbeat{2000};
  std::uint64_t seq = 0;
  bool beating = false;  // a heartbeat timer is pending
  static inline const char* name = "seller_agent";
};
using agent_self = seller_agent_type::stateful_pointer<seller_agent_state>;

market_capacity free_capacity(const seller_agent_state& st) {
  market_capacity f = st.config.capacity;
  for (const auto& [id, j] : st.jobs) {
    f.cpus = std::max(0.0, f.cpus - j.assignment.spec.cpus);
    f.mem_mb = f.mem_mb > j.assignment.spec.mem_mb ? f.mem_mb - j.assignment.spec.mem_mb : 0;
    f.jobs = f.jobs > 0 ? f.jobs - 1 : 0;
  }
  return f;
}

job_report report_of(const std::string& id, const local_job& j) {
  return {id, j.state, "", j.access, j.deadline_ms};
}

void send_report(agent_self self, job_report r) { (*self->state.config.outbox)(protocols::seller_message{std::move(r)}); }

// A detached helper for one blocking job_host call; its answer comes back as a job_report.
template <class F>
void in_helper(agent_self self, F f) {
  self->spawn<caf::detached>(
      [](caf::event_based_actor* helper, seller_agent_type agent, F call) {
        helper->send(agent, call());
        helper->quit();
      },
      caf::actor_cast<seller_agent_type>(self), std::move(f));
}

// Ends a job here: its environment is destroyed, the hub told why.
void end_job(agent_self self, const std::string& id, job_state state, const std::string& reason) {
  auto it = self->state.jobs.find(id);
  if (it == self->state.jobs.end()) return;
  self->state.jobs.erase(it);
  spdlog::info("job {} {} reason=\"{}\"", id, state_name(state), reason);
  in_helper(self, [host = self->state.host, id, state, reason] {
    host->destroy(id);
    return job_report{id, state, reason, {}, 0};
  });
}

void on_assignment(agent_self self, job_assignment& a) {
  auto& st = self->state;
  auto refuse = [&](const std::string& why) { send_report(self, {a.job_id, job_state::failed, why, {}, 0}); };
  if (st.jobs.count(a.job_id)) {  // the hub asked again (a retry): the first answer stands
    if (st.jobs[a.job_id].state == job_state::running) send_report(self, report_of(a.job_id, st.jobs[a.job_id]));
    return;
  }
  auto free = free_capacity(st);
  if (free.jobs < 1 || free.cpus + 1e-9 < a.spec.cpus || free.mem_mb < a.spec.mem_mb)
    return refuse("this seller has no capacity left for it");
  if (!st.config.host.images.count(a.spec.image)) return refuse("this seller has no image " + a.spec.image);
  std::int64_t now = unix_ms();
  std::uint64_t duration = std::min(a.spec.duration_secs, st.config.max_duration_secs);
  // The seller's own clock bounds the job: never longer than it was asked for.
  std::int64_t deadline = std::min(a.expires_at_ms > 0 ? a.expires_at_ms : INT64_MAX,
                                   now + static_cast<std::int64_t>(duration) * 1000);
  a.expires_at_ms = deadline;
  st.jobs[a.job_id] = {a, job_state::provisioning, {}, now, deadline};
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(0, deadline - now)), expire_atom::value,
                     a.job_id);
  spdlog::info("job {} provisioning image={} cpus={} mem_mb={} until_ms={}", a.job_id, a.spec.image, a.spec.cpus,
               a.spec.mem_mb, deadline);
  in_helper(self, [host = st.host, a] {
    auto access = host->provision(a);
    if (!access) return job_report{a.job_id, job_state::failed, access.error().message, {}, 0};
    return job_report{a.job_id, job_state::running, "", *access, a.expires_at_ms};
  });
}

void on_helper_report(agent_self self, job_report& r) {
  auto& st = self->state;
  if (r.job_id.empty()) return;  // a clean-up with nothing to report
  auto it = st.jobs.find(r.job_id);
  if (r.state == job_state::running) {
    if (it == st.jobs.end()) {  // cancelled or expired while it was being built
      in_helper(self, [host = st.host, id = r.job_id] {
        host->destroy(id);
        return job_report{id, job_state::cancelled, "ended while it was provisioned", {}, 0};
      });
      return;
    }
    it->second.state = job_state::running;
    it->second.access = r.access;
    spdlog::info("job {} running ssh_port={}", r.job_id, r.access.ssh_port);
  } else if (r.state == job_state::failed) {
    spdlog::warn("job {} failed: {}", r.job_id, r.reason);
    if (it != st.jobs.end()) st.jobs.erase(it);
    in_helper(self, [host = st.host, id = r.job_id] {  // whatever was half built goes
      host->destroy(id);
      return job_report{};  // nothing more to say
    });
  }
  send_report(self, std::move(r));
}

void beat(agent_self self) {
  auto& st = self->state;
  st.beating = false;
  if (st.seller_id.empty()) return;
  seller_heartbeat hb;
  hb.seq = ++st.seq;
  hb.free = free_capacity(st);
  for (const auto& [id, j] : st.jobs)
    if (j.state == job_state::running) hb.jobs.push_back(report_of(id, j));
  (*st.config.outbox)(protocols::seller_message{std::move(hb)});
  st.beating = true;
  self->delayed_send(self, st.heartbeat, heartbeat_atom::value);
}

}  // namespace

seller_agent_type spawn_seller_agent(caf::actor_system& sys, seller_config config) {
  return sys.spawn([](agent_self self, seller_config config) -> seller_agent_type::behavior_type {
    auto& st = self->state;
    st.host = config.jobs ? config.jobs : std::make_shared<job_host>(config.host);
    st.config = std::move(config);
    return {
        [self](welcome_atom, const std::string& id, std::uint64_t heartbeat_ms) {
          auto& st = self->state;
          st.seller_id = id;
          st.heartbeat = std::chrono::milliseconds(std::clamp<std::uint64_t>(heartbeat_ms, 100, 60000));
          spdlog::info("seller connected id={} heartbeat_ms={}", id, st.heartbeat.count());
          if (!st.beating) beat(self);
        },
        [self](closed_atom, const std::string& why) {
          if (!self->state.seller_id.empty()) spdlog::warn("hub connection lost: {}; reconnecting", why);
          self->state.seller_id.clear();
        },
        [self](job_assignment& a) { on_assignment(self, a); },
        [self](cancel_atom, const std::string& id, const std::string& reason) {
          end_job(self, id, job_state::cancelled, reason.empty() ? "cancelled by the hub" : reason);
        },
        [self](extend_atom, const std::string& id, std::int64_t until) {
          auto it = self->state.jobs.find(id);
          if (it == self->state.jobs.end()) return;
          auto& j = it->second;
          std::int64_t cap = j.started_ms + static_cast<std::int64_t>(self->state.config.max_duration_secs) * 1000;
          j.deadline_ms = std::min(until, cap);
          if (auto ok = self->state.host->extend(j.assignment, j.deadline_ms); !ok)
            spdlog::warn("job {}: extension not applied to its key: {}", id, ok.error().message);
          self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(0, j.deadline_ms - unix_ms())),
                             expire_atom::value, id);
        },
        [self](job_report& r) { on_helper_report(self, r); },
        [self](expire_atom, const std::string& id) {
          auto it = self->state.jobs.find(id);
          if (it != self->state.jobs.end() && unix_ms() >= it->second.deadline_ms)
            end_job(self, id, job_state::expired, "its time ran out");
        },
        [self](heartbeat_atom) { beat(self); },
        [self](get_atom) {
          std::vector<job_report> out;
          for (const auto& [id, j] : self->state.jobs) out.push_back(report_of(id, j));
          return out;
        },
    };
  }, std::move(config));
}

}  // namespace hearth::actors
