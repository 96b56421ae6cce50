#include "actors/job_registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <unordered_map>

#include "actors/cluster_sellers.hpp"
#include "actors/job_actor.hpp"
#include "actors/job_rules.hpp"
#include "actors/seller_directory.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "storage/job_codec.hpp"

namespace hearth::actors {
namespace {

constexpr std::size_t sweep_page = 1000;
constexpr std::size_t seller_jobs_max = 100000;

struct job_registry_state {
  storage::store* db = nullptr;
  job_registry_config config;
  std::shared_ptr<const payment_terms> terms;
  std::unordered_map<std::string, job_actor_type> live;  // by job id
  std::unordered_map<caf::actor_addr, std::string> ids;
  static inline const char* name = "job_registry";
};
using registry_self = job_registry_type::stateful_pointer<job_registry_state>;

job_actor_type activate(registry_self self, job_record record) {
  auto& st = self->state;
  if (auto it = st.live.find(record.id); it != st.live.end()) return it->second;
  std::string id = record.id;
  auto a = spawn_job_actor(self, st.db, std::move(record), st.terms, st.config.node_name, st.config.job_idle);
  st.live[id] = a;
  st.ids[a.address()] = id;
  return a;
}

result<job_record> load(registry_self self, const std::string& id) {
  auto j = storage::load_job(*self->state.db, id);
  if (!j) return j.error();
  if (!*j) return fail(market_errc::job_not_found, "no job " + id);
  return std::move(**j);
}

// The job, when the caller may see it: the owner, or whoever holds its token.
// Without the token nobody learns whether a job exists.
result<job_record> authorized(registry_self self, const std::string& id, const std::string& token, bool owner) {
  auto j = load(self, id);
  if (owner) return j;
  if (!j || !crypto::secret_matches(token, j->token_hash))
    return fail(http_errc::unauthorized, "a job is the host's and its submitter's (the job_token as Bearer)");
  return j;
}

result<std::string> new_job_id() {
  auto suffix = crypto::random_hex(10);
  if (!suffix) return suffix.error();
  char prefix[17];
  std::snprintf(prefix, sizeof prefix, "%012llx", static_cast<unsigned long long>(unix_ms()));
  return prefix + *suffix;
}

// Makes the job and starts it; the answer carries its token.
void make_job(registry_self self, caf::typed_response_promise<job_submission> promise, job_spec spec,
              payment_claim claim, std::uint64_t wait_ms) {
  auto id = new_job_id();
  auto token = crypto::random_hex(32);
  if (!id) return (void)promise.deliver(to_error(id.error()));
  if (!token) return (void)promise.deliver(to_error(token.error()));
  job_record rec;
  rec.id = *id;
  rec.token_hash = crypto::to_hex(crypto::sha256("job_" + *token));
  rec.spec = std::move(spec);
  rec.created_at_ms = rec.updated_at_ms = unix_ms();
  rec.history.push_back({job_state::queued, "submitted", rec.created_at_ms});
  rec.reason = "submitted";
  if (auto ok = storage::save_job(*self->state.db, job_record{}, rec); !ok) return (void)promise.deliver(to_error(ok.error()));
  auto a = activate(self, rec);
  self->request(a, caf::infinite, start_atom::value, wait_ms, std::move(claim))
      .then(
          [promise, token = "job_" + *token](job_submission& s) mutable {
            if (!s.job.id.empty()) s.job.token = token;
            promise.deliver(std::move(s));
          },
          [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
}

// The seller a place would pick: asked of the directories in placement order.
template <class Quoted, class Failed>
void quote_in_order(registry_self self, std::vector<seller_directory_at> dirs, std::size_t i, const job_spec& spec,
                    caf::error first, Quoted quoted, Failed failed) {
  if (i == dirs.size()) return failed(no_matchmaker(std::move(first)));
  self->request(dirs[i].dir, std::chrono::seconds(10), quote_atom::value, spec)
      .then([quoted](seller_info& s) mutable { quoted(s); },
            [self, dirs, i, spec, first, quoted, failed](caf::error& e) mutable {
              quote_in_order(self, std::move(dirs), i + 1, spec, more_telling(std::move(first), std::move(e)),
                             std::move(quoted), std::move(failed));
            });
}

caf::result<job_submission> submit(registry_self self, job_spec& spec, call_payment& payment, std::uint64_t wait_ms) {
  auto promise = self->make_response_promise<job_submission>();
  seller_directories(self, [self, promise, spec, payment, wait_ms](std::vector<seller_directory_at> dirs) mutable {
    quote_in_order(
        self, std::move(dirs), 0, spec, caf::error{},
          [self, promise, spec, payment, wait_ms](seller_info& s) mutable {
            std::uint64_t secs = s.max_duration_secs ? std::min(spec.duration_secs, s.max_duration_secs) : spec.duration_secs;
            std::uint64_t price = job_price(s.price_per_hour, secs);
            if (price == 0) return make_job(self, promise, std::move(spec), {}, wait_ms);
            auto reqs = job_requirements(s.address, price, *self->state.terms, payment.resource_url, "hearth job");
            job_submission pay;
            pay.payment_options = to_options(reqs);
            if (reqs.empty())
              return (void)promise.deliver(to_error(fail(payment_errc::no_payment_networks, "this hub takes payments on no network it knows")));
            const payments::requirement* matched = nullptr;
            auto header = payment_header_for(payment, reqs, matched);
            if (!header && http_status(header.error().code) != 402) return (void)promise.deliver(to_error(header.error()));
            if (!header || header->empty() || !matched) {
              pay.payment_error = !header ? header.error().message : header->empty() ? "" : "invalid_network";
              return (void)promise.deliver(std::move(pay));
            }
            make_job(self, promise, std::move(spec), claim_for(*matched, *header, "job"), wait_ms);
          },
          [promise](caf::error e) mutable { promise.deliver(std::move(e)); });
  });
  return promise;
}

template <class Reply, class... Ts>
caf::result<Reply> to_job(registry_self self, const std::string& id, const std::string& token, bool owner, Ts... xs) {
  auto j = authorized(self, id, token, owner);
  if (!j) return to_error(j.error());
  auto a = activate(self, std::move(*j));
  self->delegate(a, std::move(xs)...);
  return caf::delegated<Reply>{};
}

// The other live members' job registries (none outside a cluster).
template <class F>
void with_member_registries(registry_self self, F f) {
  auto cluster = caf::actor_cast<cluster_member_type>(self->system().registry().get(cluster_member_key));
  if (!cluster) return;
  self->request(cluster, std::chrono::seconds(5), get_atom::value)
      .then(
          [f](std::vector<member_info>& members) mutable {
            for (auto& m : members)
              if (m.state == "up" && m.jobs) f(caf::actor_cast<job_registry_type>(m.jobs));
          },
          [](caf::error&) {});
}

// A seller's word on a job counts only for a job placed on that seller
// (from: the member whose seller it is, for jobs placed there from here).
// Returns false for a job this hub does not hold.
bool to_seller_job(registry_self self, const std::string& seller, job_report& r, const std::string& from = "") {
  auto j = load(self, r.job_id);
  if (!j) return j.error().code != market_errc::job_not_found;
  if (j->seller != seller || (!from.empty() && j->home_node != from)) return true;
  // Nothing to change: a running job the seller reports running (every heartbeat).
  if (j->state == job_state::running && r.state == job_state::running) return true;
  if (is_final(j->state) && !(r.state == job_state::running)) return true;
  self->send(activate(self, std::move(*j)), std::move(r));
  return true;
}

// This hub's seller's reports: each to its job here, the rest to the members
// (a job placed on this seller from another hub), in one message each.
void on_reports(registry_self self, const std::string& seller, std::vector<job_report> reports) {
  std::vector<job_report> foreign;
  for (auto& r : reports)
    if (!to_seller_job(self, seller, r)) foreign.push_back(std::move(r));
  if (foreign.empty() || self->state.config.node_name.empty()) return;
  with_member_registries(self, [self, seller, foreign](job_registry_type jobs) {
    self->send(jobs, foreign_atom::value, self->state.config.node_name, seller, foreign);
  });
}

// Each live job placed from here on member's sellers (home_node), given to f.
template <class F>
void each_live_job_on(registry_self self, const std::string& member, F f) {
  for (auto s : {job_state::assigned, job_state::provisioning, job_state::running}) {
    std::string after;
    for (;;) {
      auto page = storage::list_jobs(*self->state.db, s, after, sweep_page);
      if (!page) return spdlog::error("jobs on member {}: {}", member, page.error().message);
      for (auto& j : *page)
        if (j.home_node == member) f(std::move(j));
      if (page->size() < sweep_page) break;
      after = page->back().id;
    }
  }
}

// The session of a running job's seller, asked of its home's directory.
caf::result<seller_session_type> relay_session(registry_self self, const std::string& id, const std::string& token, bool owner) {
  auto j = authorized(self, id, token, owner);
  if (!j) return to_error(j.error());
  if (j->state != job_state::running)
    return to_error(fail(market_errc::job_over, "the job is " + std::string(state_name(j->state))));
  auto promise = self->make_response_promise<seller_session_type>();
  std::string seller = j->seller;
  home_directory(self, j->home_node, self->state.config.node_name, [self, promise, seller](seller_directory_type dir) mutable {
    if (!dir) return (void)promise.deliver(to_error(fail(market_errc::seller_unavailable, "the job's seller's hub is gone")));
    self->request(dir, std::chrono::seconds(10), get_atom::value, seller)
        .then([promise](seller_session_type& s) mutable { promise.deliver(s); },
              [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
  });
  return promise;
}

// A seller offline (from: the member it was on, for the jobs placed there from here).
void on_gone(registry_self self, const std::string& seller, const std::string& reason, const std::string& from = "") {
  auto ids = storage::jobs_of_seller(*self->state.db, seller, seller_jobs_max);
  if (!ids) return spdlog::error("jobs of seller {}: {}", seller, ids.error().message);
  for (const auto& id : *ids) {
    auto j = load(self, id);
    if (!j) continue;
    if (!from.empty() && j->home_node != from) continue;
    if (from.empty() && !j->home_node.empty() && j->home_node != self->state.config.node_name) continue;
    auto s = j->state;
    if (s == job_state::assigned || s == job_state::provisioning || s == job_state::running)
      self->send(activate(self, std::move(*j)), lost_atom::value, "its seller went offline: " + reason);
  }
}

// Ended jobs past the retention go, oldest first (ids are time-ordered).
void remove_old(registry_self self) {
  auto& st = self->state;
  std::int64_t before = unix_ms() - st.config.retention.count();
  for (auto s : {job_state::expired, job_state::cancelled, job_state::failed}) {
    auto ids = storage::oldest_in_state(*st.db, s, 100);
    if (!ids) continue;
    for (const auto& id : *ids) {
      auto j = load(self, id);
      if (!j || j->updated_at_ms >= before || st.live.count(id)) break;
      if (auto gone = storage::remove_job(*st.db, *j); !gone) spdlog::warn("job {} not removed: {}", id, gone.error().message);
    }
  }
}

void on_sweep(registry_self self) {
  auto due = storage::due_jobs(*self->state.db, unix_ms(), sweep_page);
  if (!due) spdlog::warn("job sweep: {}", due.error().message);
  else
    for (const auto& id : *due)
      if (auto j = load(self, id)) self->send(activate(self, std::move(*j)), expire_atom::value);
  remove_old(self);
  self->delayed_send(self, self->state.config.sweep_every, job_sweep_atom::value);
}

}  // namespace

result<job_registry_type> spawn_job_registry(caf::actor_system& sys, storage::store& db, job_registry_config config) {
  return sys.spawn([](registry_self self, storage::store* db, job_registry_config config) -> job_registry_type::behavior_type {
    self->state.db = db;
    self->state.config = config;
    self->state.terms = std::make_shared<const payment_terms>(config.terms);
    self->set_down_handler([self](caf::down_msg& dm) {
      if (auto it = self->state.ids.find(dm.source); it != self->state.ids.end()) {
        self->state.live.erase(it->second);
        self->state.ids.erase(it);
      }
    });
    // Jobs a stopped hub left queued were never placed, and no seller knows them.
    if (auto queued = storage::oldest_in_state(*db, job_state::queued, 100000))
      for (const auto& id : *queued)
        if (auto j = storage::load_job(*db, id); j && *j) {
          job_record next = **j;
          next.state = job_state::failed;
          next.reason = "the hub stopped before it was placed";
          next.updated_at_ms = unix_ms();
          next.history.push_back({next.state, next.reason, next.updated_at_ms});
          (void)storage::save_job(*db, **j, next);
        }
    self->send(self, job_sweep_atom::value);
    return {
        [self](submit_atom, job_spec& spec, call_payment& payment, std::uint64_t wait_ms) {
          return submit(self, spec, payment, wait_ms);
        },
        [self](get_atom, const std::string& id, const std::string& token, bool owner) -> caf::result<job_record> {
          auto j = authorized(self, id, token, owner);
          if (!j) return to_error(j.error());
          return std::move(*j);
        },
        [self](list_atom, const std::string& state, const std::string& after,
               std::uint32_t limit) -> caf::result<std::vector<job_record>> {
          std::optional<job_state> filter;
          job_state s{};
          if (!state.empty() && !parse_job_state(state, s))
            return to_error(fail(http_errc::bad_query, "state is one of queued, assigned, provisioning, running, "
                                                       "expired, cancelled, failed, lost"));
          if (!state.empty()) filter = s;
          auto jobs = storage::list_jobs(*self->state.db, filter, after, std::min<std::uint32_t>(limit, 1000));
          if (!jobs) return to_error(jobs.error());
          return std::move(*jobs);
        },
        [self](cancel_atom, const std::string& id, const std::string& token, bool owner) {
          return to_job<job_record>(self, id, token, owner, cancel_atom::value,
                                    std::string(owner ? "cancelled by the hub's host" : "cancelled by its submitter"));
        },
        [self](extend_atom, const std::string& id, const std::string& token, bool owner, std::uint64_t secs,
               call_payment& payment) {
          return to_job<job_submission>(self, id, token, owner, extend_atom::value, secs, std::move(payment));
        },
        [self](relay_atom, const std::string& id, const std::string& token, bool owner) {
          return relay_session(self, id, token, owner);
        },
        [self](report_atom, const std::string& seller, job_report& r) { on_reports(self, seller, {std::move(r)}); },
        [self](gone_atom, const std::string& seller, const std::string& reason) {
          on_gone(self, seller, reason);
          if (self->state.config.node_name.empty()) return;
          with_member_registries(self, [self, seller, reason](job_registry_type jobs) {
            self->send(jobs, foreign_atom::value, gone_atom::value, self->state.config.node_name, seller, reason);
          });
        },
        [self](inventory_atom, const std::string& seller, std::vector<job_report>& jobs) {
          on_reports(self, seller, std::move(jobs));
        },
        [self](foreign_atom, const std::string& member, const std::string& seller, std::vector<job_report>& jobs) {
          for (auto& r : jobs) (void)to_seller_job(self, seller, r, member);
        },
        [self](foreign_atom, gone_atom, const std::string& member, const std::string& seller, const std::string& reason) {
          on_gone(self, seller, reason + " (on " + member + ")", member);
        },
        [self](lost_atom, const std::string& member) {
          each_live_job_on(self, member, [self, member](job_record j) {
            self->send(activate(self, std::move(j)), lost_atom::value, "its seller's hub " + member + " is gone");
          });
        },
        [self](job_sweep_atom) { on_sweep(self); },
    };
  }, &db, config);
}

}  // namespace hearth::actors
