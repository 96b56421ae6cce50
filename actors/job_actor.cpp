#include "actors/job_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <strings.h>

#include <vector>

#include "actors/cluster_sellers.hpp"
#include "actors/job_rules.hpp"
#include "actors/metrics_registry.hpp"
#include "actors/payment_registry.hpp"
#include "actors/seller_directory.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "storage/job_codec.hpp"

namespace hearth::actors {
namespace {

constexpr auto assign_timeout = std::chrono::seconds(120);
constexpr auto ask_timeout = std::chrono::seconds(30);

struct job_actor_state {
  job_record record;
  storage::store* db = nullptr;
  std::shared_ptr<const payment_terms> terms;
  std::string node_name;
  payment_claim claim;       // the submit's payment (header empty: a free job)
  bool payment_held = false;  // claim held, not yet charged or released
  bool has_receipt = false;
  payment_record receipt;
  std::vector<caf::typed_response_promise<job_submission>> waiting;  // submits not yet answered (waiting_list)
  static inline const char* name = "job";
};
using job_self = job_actor_type::stateful_pointer<job_actor_state>;

template <class Handle>
Handle named(job_self self, caf::atom_value key) {
  return caf::actor_cast<Handle>(self->system().registry().get(key));
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
  count_metric(self->system(), {"hearth_market_jobs_total", metric_label("state", state_name(to)), 1});
  st.record = std::move(next);
  return {};
}

job_submission submission_of(job_self self) {
  auto& st = self->state;
  return {st.record, {}, "", st.has_receipt, st.receipt};
}

void answer_waiting(job_self self) {
  for (auto& p : self->state.waiting) p.deliver(submission_of(self));
  self->state.waiting.clear();
}

using waiting_list = std::vector<caf::typed_response_promise<job_submission>>;

// What to pay (and why the payment sent was not taken), for the submits waiting.
void answer_pay_again(job_self self, waiting_list& waiting, const seller_info& seller, const std::string& why) {
  auto& rec = self->state.record;
  job_submission s;
  s.payment_options = to_options(job_requirements(seller.address, job_price(seller.price_per_hour, rec.spec.duration_secs),
                                                  *self->state.terms, self->state.claim.resource, "hearth job"));
  s.payment_error = why;
  for (auto& p : waiting) p.deliver(s);
}

bool holds_seller(job_state s) {
  return s == job_state::assigned || s == job_state::provisioning || s == job_state::running;
}

// f(directory) of the member whose seller runs the job (null: not up).
template <class F>
void with_home(job_self self, F f) {
  home_directory(self, self->state.record.home_node, self->state.node_name, std::move(f));
}

// Gives the job's share of seller back to the directory of member home.
void release_on(job_self self, const std::string& home, const std::string& seller) {
  std::string id = self->state.record.id;
  home_directory(self, home, self->state.node_name, [self, seller, id](seller_directory_type dir) {
    if (dir) self->send(dir, release_atom::value, seller, id);
  });
}

void release_capacity(job_self self) {
  if (!self->state.record.seller.empty()) release_on(self, self->state.record.home_node, self->state.record.seller);
}

// f(session) of the job's seller, when it is online.
template <class F>
void with_seller(job_self self, F f) {
  std::string seller = self->state.record.seller;
  if (seller.empty()) return;
  with_home(self, [self, seller, f](seller_directory_type dir) {
    if (!dir) return;  // offline: it enforces the deadline itself
    self->request(dir, std::chrono::seconds(5), get_atom::value, seller)
        .then([f](seller_session_type& s) mutable { f(s); }, [](caf::error&) {});
  });
}

// A held payment charged (the job runs) or let go (it never did); then next.
template <class Next>
void settle_payment(job_self self, bool charge, const std::string& note, Next next) {
  auto& st = self->state;
  auto payments = named<payment_registry_type>(self, payment_registry_key);
  if (!st.payment_held || !payments) return next();
  st.payment_held = false;
  self->request(payments, ask_timeout, settle_atom::value,
                payment_outcome{st.record.payment_id, st.record.id, charge, note})
      .then(
          [self, charge, next](payment_record& p) {
            if (charge) {
              self->state.has_receipt = true;
              self->state.receipt = std::move(p);
            }
            next();
          },
          [self, next](caf::error& e) {
            spdlog::error("job {}: payment {} not settled: {}", self->state.record.id, self->state.record.payment_id,
                          self->system().render(e));
            next();
          });
}

void finish(job_self self, job_state to, const std::string& reason);

// Fails the job; its submits get answer(waiting) instead of the failed record.
template <class Answer>
void fail_then(job_self self, const std::string& reason, Answer answer) {
  waiting_list waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  finish(self, job_state::failed, reason);
  answer(waiting);
}

// Tells the seller to destroy the environment (when it is online).
void tell_seller(job_self self, const std::string& reason) {
  std::string id = self->state.record.id;
  with_seller(self, [self, id, reason](seller_session_type& s) { self->send(s, cancel_atom::value, id, reason); });
}

// Ends the job (final states), freeing its share of the seller; a payment
// still held (it never ran) is released.
void finish(job_self self, job_state to, const std::string& reason) {
  if (is_final(self->state.record.state)) return;
  bool tell = holds_seller(self->state.record.state) && to != job_state::failed;
  if (!move_to(self, to, reason)) return;
  if (tell) tell_seller(self, reason);
  release_capacity(self);
  settle_payment(self, false, "the job did not run: " + reason, [self] { answer_waiting(self); });
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
    settle_payment(self, true, "", [self] { answer_waiting(self); });
    return;
  }
  if (r.state == job_state::failed) return finish(self, job_state::failed, "provisioning failed: " + r.reason);
  if (rec.state == job_state::lost && r.state == job_state::expired)
    return finish(self, job_state::expired, "the seller ended it at its expiry");
  finish(self, r.state, r.reason.empty() ? std::string("the seller ended it") : r.reason);
}

void send_assignment(job_self self, seller_session_type session) {
  auto& rec = self->state.record;
  job_assignment a{rec.id, rec.spec, rec.expires_at_ms};
  self->request(session, assign_timeout, assign_atom::value, std::move(a))
      .then([self](job_report& r) { on_report(self, r); },
            [self](caf::error& e) {
              if (self->state.record.state == job_state::provisioning || self->state.record.state == job_state::assigned)
                finish(self, job_state::failed, "the seller did not provision it: " + self->system().render(e));
            });
  (void)move_to(self, job_state::provisioning, "the seller is building its environment");  // a failure is logged
}

// The submit's payment, for the seller placed: held (verified, its nonce
// claimed exactly once) before the seller builds anything.
void hold_payment(job_self self, const seller_info& seller, seller_session_type session) {
  auto& st = self->state;
  auto payments = named<payment_registry_type>(self, payment_registry_key);
  if (!payments) return finish(self, job_state::failed, "the hub's payments are restarting");
  self->request(payments, ask_timeout, hold_atom::value, st.claim)
      .then(
          [self, session](payment_record& held) {
            auto& st = self->state;
            if (st.record.state != job_state::queued) {  // cancelled meanwhile: the hold lapses unsettled
              return;
            }
            st.payment_held = true;
            st.record.payment_id = held.id;
            if (!move_to(self, job_state::assigned, "placed on " + st.record.seller_id + ", paid by " + held.payer))
              return finish(self, job_state::failed, "the job's record could not be stored");
            send_assignment(self, session);
          },
          [self, seller](caf::error& e) {
            auto f = to_failure(e, self->system().render(e));
            std::string why = f.code == payment_errc::payment_replayed ? "payment_replayed" : f.message;
            fail_then(self, "payment refused: " + why,
                      [&](waiting_list& waiting) { answer_pay_again(self, waiting, seller, why); });
          });
}

bool same_address(const std::string& a, const std::string& b) {
  return a.size() == b.size() && ::strcasecmp(a.c_str(), b.c_str()) == 0;
}

void assign(job_self self, seller_info& seller, seller_session_type& session, const std::string& home) {
  auto& st = self->state;
  auto& rec = st.record;
  if (rec.state != job_state::queued) return release_on(self, home, seller.address);  // cancelled meanwhile
  rec.seller = seller.address;
  rec.seller_id = seller.id;
  rec.home_node = home.empty() ? st.node_name : home;
  if (seller.max_duration_secs) rec.spec.duration_secs = std::min(rec.spec.duration_secs, seller.max_duration_secs);
  rec.expires_at_ms = unix_ms() + static_cast<std::int64_t>(rec.spec.duration_secs) * 1000;
  rec.price_per_hour = seller.price_per_hour;
  std::uint64_t price = job_price(seller.price_per_hour, rec.spec.duration_secs);
  if (price == 0) {
    if (!move_to(self, job_state::assigned, "placed on " + seller.id)) return release_capacity(self);
    return send_assignment(self, session);
  }
  // Paid for the seller it was quoted for, at that price; else pay again.
  if (st.claim.header_value.empty() || !same_address(st.claim.pay_to, seller.address) ||
      st.claim.amount != std::to_string(price)) {
    return fail_then(self, "its payment was not for " + seller.id + " at " + std::to_string(price),
                     [&](waiting_list& waiting) {
                       answer_pay_again(self, waiting, seller, "the quote changed: pay the seller now placed");
                     });
  }
  rec.price = price;
  hold_payment(self, seller, session);
}

// Asks the directories in placement order; the first that places the job
// assigns it. None: the job failed (its record says why) and the submit
// fails with the most telling matchmaker's code (capacity over image).
void place_in_order(job_self self, std::vector<seller_directory_at> dirs, std::size_t i, caf::error first) {
  if (i == dirs.size()) {
    first = no_matchmaker(std::move(first));
    auto f = to_failure(first, self->system().render(first));
    return fail_then(self, f.message, [&](waiting_list& waiting) {
      for (auto& p : waiting) p.deliver(first);
    });
  }
  std::string node = dirs[i].node;
  self->request(dirs[i].dir, std::chrono::seconds(10), place_atom::value, self->state.record.id, self->state.record.spec)
      .then([self, node](seller_info& s, seller_session_type& session) { assign(self, s, session, node); },
            [self, dirs, i, first](caf::error& e) mutable {
              place_in_order(self, std::move(dirs), i + 1, more_telling(std::move(first), std::move(e)));
            });
}

caf::result<job_submission> start(job_self self, std::uint64_t wait_ms, payment_claim& claim) {
  auto& st = self->state;
  st.claim = std::move(claim);
  auto promise = self->make_response_promise<job_submission>();
  st.waiting.push_back(promise);
  self->delayed_send(self, std::chrono::milliseconds(wait_ms), answer_atom::value);
  seller_directories(self, [self](std::vector<seller_directory_at> dirs) { place_in_order(self, std::move(dirs), 0, {}); });
  return promise;
}

// Stores the longer expiry and tells the seller.
caf::result<job_submission> apply_extension(job_self self, std::uint64_t secs, std::uint64_t paid) {
  auto& rec = self->state.record;
  job_record before = rec;
  rec.expires_at_ms += static_cast<std::int64_t>(secs) * 1000;
  rec.spec.duration_secs += secs;
  rec.price += paid;
  if (!move_to(self, job_state::running, "extended by " + std::to_string(secs) + " s")) {
    rec = before;
    return to_error(fail(storage_errc::storage_error, "the extension was not stored"));
  }
  std::string id = rec.id;
  std::int64_t until = rec.expires_at_ms;
  with_seller(self, [self, id, until](seller_session_type& s) { self->send(s, extend_atom::value, id, until); });
  return submission_of(self);
}

// An extension of a priced job is paid (held and charged at once) like its submit.
caf::result<job_submission> extend(job_self self, std::uint64_t secs, call_payment& payment) {
  auto& rec = self->state.record;
  if (rec.state != job_state::running)
    return to_error(fail(market_errc::job_over, "only a running job is extended; it is " + std::string(state_name(rec.state))));
  std::uint64_t price = job_price(rec.price_per_hour, secs);
  if (price == 0) return apply_extension(self, secs, 0);
  auto reqs = job_requirements(rec.seller, price, *self->state.terms, payment.resource_url, "hearth job extension");
  const payments::requirement* matched = nullptr;
  auto header = payment_header_for(payment, reqs, matched);
  job_submission pay_again;
  pay_again.payment_options = to_options(reqs);
  if (!header && http_status(header.error().code) != 402) return to_error(header.error());
  if (!header || header->empty() || !matched) {
    pay_again.payment_error = !header ? header.error().message : header->empty() ? "" : "invalid_network";
    return pay_again;
  }
  auto payments = named<payment_registry_type>(self, payment_registry_key);
  if (!payments) return to_error(fail(http_errc::node_unavailable, "the hub's payments are restarting"));
  auto promise = self->make_response_promise<job_submission>();
  auto claim = claim_for(*matched, *header, "job:" + rec.id);
  self->request(payments, ask_timeout, hold_atom::value, claim)
      .then(
          [self, promise, secs, price, payments](payment_record& held) mutable {
            self->request(payments, ask_timeout, settle_atom::value, payment_outcome{held.id, self->state.record.id, true, ""})
                .then(
                    [self, promise, secs, price](payment_record& settled) mutable {
                      if (self->state.record.state != job_state::running) {
                        promise.deliver(to_error(fail(market_errc::job_over, "the job ended while its extension was paid")));
                        return;
                      }
                      self->state.has_receipt = true;
                      self->state.receipt = std::move(settled);
                      auto r = apply_extension(self, secs, price);
                      promise.deliver(submission_of(self));
                      (void)r;
                    },
                    [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
          },
          [promise, pay_again](caf::error& e) mutable {
            pay_again.payment_error = to_failure(e, "").message;
            promise.deliver(pay_again);
          });
  return promise;
}

job_actor_type::behavior_type job_behavior(job_self self, storage::store* db, job_record record,
                                           std::shared_ptr<const payment_terms> terms, std::string node_name,
                                           std::chrono::milliseconds idle_after) {
  self->state.node_name = std::move(node_name);
  self->state.db = db;
  self->state.record = std::move(record);
  self->state.terms = std::move(terms);
  return {
      [self](get_atom) { return self->state.record; },
      [self](start_atom, std::uint64_t wait_ms, payment_claim& claim) { return start(self, wait_ms, claim); },
      [self](cancel_atom, const std::string& reason) -> caf::result<job_record> {
        if (is_final(self->state.record.state))
          return to_error(fail(market_errc::job_over, "the job is " + std::string(state_name(self->state.record.state))));
        finish(self, job_state::cancelled, reason);
        return self->state.record;
      },
      [self](extend_atom, std::uint64_t secs, call_payment& payment) { return extend(self, secs, payment); },
      [self](job_report& r) { on_report(self, r); },
      [self](lost_atom, const std::string& reason) {
        if (holds_seller(self->state.record.state)) {
          if (!move_to(self, job_state::lost, reason)) return;
          release_capacity(self);
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
        if (self->state.waiting.empty() && !self->state.payment_held) self->quit();
      },
  };
}

}  // namespace

job_actor_type spawn_job_actor(caf::local_actor* parent, storage::store* db, job_record record,
                               std::shared_ptr<const payment_terms> terms, std::string node_name,
                               std::chrono::milliseconds idle_after) {
  return parent->spawn<caf::monitored>(job_behavior, db, std::move(record), std::move(terms), std::move(node_name),
                                       idle_after);
}

}  // namespace hearth::actors
