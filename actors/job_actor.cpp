#include "actors/job_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <vector>

#include "actors/seller_directory.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "storage/job_codec.hpp"

namespace hearth::actors {
namespace {

constexpr auto assign_timeout = std::chrono::seconds(120);

struct job_actor_state {
  job_record record;
  storage::store* db = nullptr;
  std::vector<caf::typed_response_promise<job_record>> waiting;  // submits not yet answered
  static inline const char* name = "job";
};
using job_self = job_actor_type::stateful_pointer<job_actor_state>;

seller_directory_type directory(job_self self) {
  return caf::actor_cast<seller_directory_type>(self->system().registry().get(seller_directory_key));
}

// The one way the record changes: history and indexes, stored, then kept.
result<void> move_to(job_self self, job_state to, const std::string& reason) {
  auto& st = self->state;
  job_record next = st.record;
  std::int64_t now = unix_ms();
  next.state = to;
  next.reason = reason;
  next.updated_at_ms = now;
  next.history.push_back({to, reason, now});
  if (auto ok = storage::save_job(*st.db, st.record, next); !ok) {
    spdlog::error("job {}: not stored ({}): {}", next.id, state_name(to), ok.error().message);
    return ok.error();
  }
  spdlog::info("job {} {} reason=\"{}\"", next.id, state_name(to), reason);
  st.record = std::move(next);
  return {};
}

void answer_waiting(job_self self) {
  for (auto& p : self->state.waiting) p.deliver(self->state.record);
  self->state.waiting.clear();
}

bool holds_seller(job_state s) {
  return s == job_state::assigned || s == job_state::provisioning || s == job_state::running;
}

void release(job_self self) {
  if (!self->state.record.seller.empty())
    if (auto dir = directory(self))
      self->send(dir, release_atom::value, self->state.record.seller, self->state.record.id);
}

// Tells the seller to destroy the environment (when it is online).
void tell_seller(job_self self, const std::string& reason) {
  auto dir = directory(self);
  if (!dir || self->state.record.seller.empty()) return;
  std::string id = self->state.record.id;
  self->request(dir, std::chrono::seconds(5), get_atom::value, self->state.record.seller)
      .then([self, id, reason](seller_session_type& s) { self->send(s, cancel_atom::value, id, reason); },
            [](caf::error&) {});  // offline: it enforces the deadline itself
}

// Ends the job (final states), freeing its share of the seller.
void finish(job_self self, job_state to, const std::string& reason) {
  if (is_final(self->state.record.state)) return;
  bool tell = holds_seller(self->state.record.state) && to != job_state::failed;
  if (!move_to(self, to, reason)) return;
  if (tell) tell_seller(self, reason);
  release(self);
  answer_waiting(self);
}

void on_report(job_self self, const job_report& r) {
  auto& rec = self->state.record;
  if (r.state == job_state::running) {
    if (is_final(rec.state)) {  // the seller still runs what the hub ended
      tell_seller(self, "the job is " + std::string(state_name(rec.state)));
      return;
    }
    if (rec.state == job_state::running) return;
    bool was_lost = rec.state == job_state::lost;
    rec.access = r.access;
    if (r.expires_at_ms > 0) rec.expires_at_ms = std::min(r.expires_at_ms, rec.expires_at_ms);
    if (!move_to(self, job_state::running, was_lost ? "reconciled: the seller reports it running" : "the seller runs it"))
      return;
    answer_waiting(self);
    return;
  }
  if (r.state == job_state::failed) return finish(self, job_state::failed, "provisioning failed: " + r.reason);
  if (rec.state == job_state::lost && r.state == job_state::expired)
    return finish(self, job_state::expired, "the seller ended it at its expiry");
  finish(self, r.state, r.reason.empty() ? std::string("the seller ended it") : r.reason);
}

void assign(job_self self, seller_info& seller, seller_session_type& session) {
  auto& rec = self->state.record;
  if (rec.state != job_state::queued) return;  // cancelled meanwhile
  rec.seller = seller.address;
  rec.seller_id = seller.id;
  if (seller.max_duration_secs) rec.spec.duration_secs = std::min(rec.spec.duration_secs, seller.max_duration_secs);
  rec.expires_at_ms = unix_ms() + static_cast<std::int64_t>(rec.spec.duration_secs) * 1000;
  if (!move_to(self, job_state::assigned, "placed on " + seller.id)) return release(self);
  job_assignment a{rec.id, rec.spec, rec.expires_at_ms};
  self->request(session, assign_timeout, assign_atom::value, std::move(a))
      .then([self](job_report& r) { on_report(self, r); },
            [self](caf::error& e) {
              if (self->state.record.state == job_state::provisioning || self->state.record.state == job_state::assigned)
                finish(self, job_state::failed, "the seller did not provision it: " + self->system().render(e));
            });
  (void)move_to(self, job_state::provisioning, "the seller is building its environment");  // a failure is logged
}

caf::result<job_record> start(job_self self, std::uint64_t wait_ms) {
  auto& st = self->state;
  auto promise = self->make_response_promise<job_record>();
  st.waiting.push_back(promise);
  self->delayed_send(self, std::chrono::milliseconds(wait_ms), answer_atom::value);
  auto dir = directory(self);
  if (!dir) {
    finish(self, job_state::failed, "the hub's matchmaker is restarting");
    return promise;
  }
  self->request(dir, std::chrono::seconds(10), place_atom::value, st.record.id, st.record.spec)
      .then([self](seller_info& s, seller_session_type& session) { assign(self, s, session); },
            [self](caf::error& e) {
              // No seller: the job failed (its record says why) and the submit fails with the matchmaker's code.
              auto f = to_failure(e, self->system().render(e));
              auto waiting = std::move(self->state.waiting);
              self->state.waiting.clear();
              finish(self, job_state::failed, f.message);
              for (auto& p : waiting) p.deliver(e);
            });
  return promise;
}

job_actor_type::behavior_type job_behavior(job_self self, storage::store* db, job_record record,
                                           std::chrono::milliseconds idle_after) {
  self->state.db = db;
  self->state.record = std::move(record);
  return {
      [self](get_atom) { return self->state.record; },
      [self](start_atom, std::uint64_t wait_ms) { return start(self, wait_ms); },
      [self](cancel_atom, const std::string& reason) -> caf::result<job_record> {
        if (is_final(self->state.record.state))
          return to_error(fail(market_errc::job_over, "the job is " + std::string(state_name(self->state.record.state))));
        finish(self, job_state::cancelled, reason);
        return self->state.record;
      },
      [self](extend_atom, std::uint64_t secs) -> caf::result<job_record> {
        auto& rec = self->state.record;
        if (rec.state != job_state::running)
          return to_error(fail(market_errc::job_over, "only a running job is extended; it is " +
                                                          std::string(state_name(rec.state))));
        job_record before = rec;
        rec.expires_at_ms += static_cast<std::int64_t>(secs) * 1000;
        rec.spec.duration_secs += secs;
        if (!move_to(self, job_state::running, "extended by " + std::to_string(secs) + " s")) {
          rec = before;
          return to_error(fail(storage_errc::storage_error, "the extension was not stored"));
        }
        auto dir = directory(self);
        std::string id = rec.id;
        std::int64_t until = rec.expires_at_ms;
        if (dir)
          self->request(dir, std::chrono::seconds(5), get_atom::value, rec.seller)
              .then([self, id, until](seller_session_type& s) { self->send(s, extend_atom::value, id, until); },
                    [](caf::error&) {});
        return rec;
      },
      [self](job_report& r) { on_report(self, r); },
      [self](lost_atom, const std::string& reason) {
        if (holds_seller(self->state.record.state)) {
          if (!move_to(self, job_state::lost, reason)) return;
          release(self);
          answer_waiting(self);
        }
      },
      [self](expire_atom) {
        auto s = self->state.record.state;
        if (s == job_state::lost) finish(self, job_state::expired, "its time ran out while its seller was away");
        else if (!is_final(s)) finish(self, job_state::expired, "its time ran out");
      },
      [self](answer_atom) { answer_waiting(self); },
      caf::after(idle_after) >> [self] {
        if (self->state.waiting.empty() && !self->state.record.id.empty()) self->quit();
      },
  };
}

}  // namespace

job_actor_type spawn_job_actor(caf::local_actor* parent, storage::store* db, job_record record,
                               std::chrono::milliseconds idle_after) {
  return parent->spawn<caf::monitored>(job_behavior, db, std::move(record), idle_after);
}

}  // namespace hearth::actors
