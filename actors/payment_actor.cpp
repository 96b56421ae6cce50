#include "actors/payment_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "actors/metrics_registry.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "payments/exact_evm.hpp"
#include "payments/usdc_calls.hpp"
#include "storage/payment_codec.hpp"

namespace hearth::actors {
namespace {

using nlohmann::json;
constexpr auto claim_timeout = std::chrono::seconds(30);
constexpr auto simulate_timeout = std::chrono::seconds(30);

struct payment_actor_state {
  payment_record record;
  storage::store* db = nullptr;
  std::shared_ptr<const payment_settings> settings;
  std::chrono::milliseconds retry_delay{0};
  std::chrono::milliseconds poll_delay{0};
  std::vector<caf::typed_response_promise<payment_record>> waiting;  // settles answered when the chain decides
  bool asking = false;  // a request to the chain settler is out
  static inline const char* name = "payment";
};
using payment_self = payment_actor_type::stateful_pointer<payment_actor_state>;

result<payments::requirement> requirement_of(const payment_claim& c) {
  payments::requirement r;
  r.net = payments::find_network(c.network);
  auto amount = crypto::parse_uint256(c.amount);
  auto pay_to = crypto::parse_address(c.pay_to);
  if (!r.net || !amount || !pay_to) return fail(payment_errc::invalid_payment_requirements, "the requirement is incomplete");
  r.amount = *amount;
  r.pay_to = *pay_to;
  r.max_timeout_seconds = c.max_timeout_seconds;
  r.resource = c.resource;
  r.description = c.description;
  r.mime_type = c.mime_type;
  if (!c.accepted.empty()) r.v2_entry = json::parse(c.accepted, nullptr, false);
  return r;
}

// Decodes and verifies the payment against the claim: the record it would
// be (state held), or a failure: malformed_payment (a 400) or
// payment_invalid (a 402; the message is x402's invalidReason). With
// ask_facilitator, the facilitator verifies it too. signature_checked: the
// signature is an EOA's, verified here (else a wallet's, left to the chain
// or the facilitator).
result<payment_record> verified(const payment_claim& c, const payment_settings& settings, bool ask_facilitator,
                                bool* signature_checked = nullptr) {
  auto p = payments::decode_payment(c.header_value);
  if (!p) return p.error();
  auto r = requirement_of(c);
  if (!r) return r.error();
  auto v = payments::verify(*p, *r, unix_secs());
  // A smart wallet's signature: the facilitator, or the chain's simulation
  // before the hold, decides it; without either it cannot be checked.
  bool chain_checks = settings.backend == settlement_backend::chain && settings.settlers.count(r->net->caip2);
  if (!v.valid && !(v.needs_contract_check && (ask_facilitator || chain_checks)))
    return fail(payment_errc::payment_invalid, v.reason);
  if (signature_checked) *signature_checked = v.valid;
  json requirement = p->x402_version == 2 ? (r->v2_entry.is_null() ? payments::requirement_v2(*r) : r->v2_entry)
                                           : payments::requirement_v1(*r);
  if (ask_facilitator) {
    auto answer = settings.facilitator("/verify", {{"x402Version", p->x402_version},
                                                   {"paymentPayload", json::parse(p->json)},
                                                   {"paymentRequirements", requirement}});
    if (!answer) return fail(payment_errc::facilitator_unavailable, "the facilitator could not verify: " + answer.error().message);
    if (!answer->value("isValid", false))
      return fail(payment_errc::payment_invalid, answer->value("invalidReason", std::string("facilitator_refused")));
  }
  payment_record rec;
  rec.payer = p->auth.from.checksummed();
  rec.nonce = crypto::to_0x(p->auth.nonce);
  rec.id = storage::payment_id(rec.payer, rec.nonce);
  rec.pay_to = r->pay_to.checksummed();
  rec.network = r->net->caip2;
  rec.asset = r->net->usdc.checksummed();
  rec.amount = c.amount;
  rec.valid_before = std::stoull(crypto::to_decimal(p->auth.valid_before));  // verify bounded it
  rec.x402_version = static_cast<std::uint8_t>(p->x402_version);
  rec.offer_hash = c.offer_hash;
  rec.resource = c.resource;
  rec.created_at_ms = rec.updated_at_ms = unix_ms();
  rec.payload = std::move(p->json);
  rec.requirement = requirement.dump();
  return rec;
}

// What the chain's simulation of a payment before its hold means: a refusal
// (the token would not move it), or nothing when the payment may be held.
// An EOA's payment whose signature verified here is held while the chain
// cannot be reached (the settle retries until it can); a smart wallet's,
// which only the chain can check, is not.
std::optional<failure> on_chain_refusal(const failure& f, const payment_record& rec, bool signature_checked) {
  if (f.code == chain_errc::authorization_refused)
    return failure{payment_errc::payment_invalid, payments::refusal_reason(f.message)};
  if (signature_checked) {
    spdlog::warn("payment {}: held without the chain's check ({}); its settlement will tell", rec.id, f.message);
    return std::nullopt;
  }
  return failure{f.code, "a smart wallet's signature needs the chain to check it: " + f.message};
}

// Counts a payment that reached an end (settled, unsettled, failed); a
// settled one's amount too, in the asset's atomic units.
void count_end(payment_self self, const payment_record& before, const payment_record& next) {
  if (before.state == next.state || next.state == payment_state::held || next.state == payment_state::settle_pending) return;
  auto network = metric_label("network", next.network);
  count_metric(self->system(), {"hearth_payments_ended_total", metric_label("state", state_name(next.state)) + "," + network, 1});
  if (next.state == payment_state::settled)
    count_metric(self->system(), {"hearth_payments_settled_atomic_units_total", network + "," + metric_label("asset", next.asset),
                                  std::strtod(next.amount.c_str(), nullptr)});
}

// Stores next as the payment's state; the in-memory state follows only a
// successful write, so a reply never gets ahead of the disk.
result<payment_record> commit(payment_self self, payment_record next) {
  next.updated_at_ms = unix_ms();
  if (auto ok = storage::save_payment(*self->state.db, next); !ok) return ok.error();
  count_end(self, self->state.record, next);
  self->state.record = next;
  return next;
}

caf::result<payment_record> reply(result<payment_record> r) {
  if (!r) return to_error(r.error());
  return std::move(*r);
}

result<payment_record> ledger_settle(payment_self self, const std::string& task_id) {
  payment_record next = self->state.record;
  next.state = payment_state::settled;
  next.task_id = task_id;
  next.transaction.clear();  // no chain transaction: a receivable in this node's ledger
  next.ledger_entry = next.id;
  next.updated_at_ms = unix_ms();
  ledger_entry e{next.id,     next.payer,         next.pay_to,       next.network, next.asset,
                 next.amount, next.updated_at_ms, next.offer_hash, task_id, ""};
  if (auto ok = storage::settle_into_ledger(*self->state.db, next, e); !ok) return ok.error();
  count_end(self, self->state.record, next);
  self->state.record = next;
  spdlog::info("payment settled id={} payer={} amount={} network={} backend=ledger", next.id, next.payer, next.amount,
               next.network);
  return next;
}

// One /settle at the facilitator. No answer (timeout, connection) is not a
// refusal: the payment stays settle_pending and is retried with backoff
// until its authorization expires.
result<payment_record> settle_at_facilitator(payment_self self) {
  auto& st = self->state;
  payment_record next = st.record;
  auto answer = st.settings->facilitator("/settle", {{"x402Version", next.x402_version},
                                                     {"paymentPayload", json::parse(next.payload, nullptr, false)},
                                                     {"paymentRequirements", json::parse(next.requirement, nullptr, false)}});
  if (!answer) {
    if (unix_secs() > next.valid_before) {
      next.state = payment_state::failed;
      next.note = "the authorization expired before the facilitator settled it";
    } else {
      next.state = payment_state::settle_pending;
      next.note = answer.error().message;
      st.retry_delay = st.retry_delay.count() ? std::min(st.retry_delay * 2, std::chrono::milliseconds(60000))
                                              : st.settings->retry_first;
      self->delayed_send(self, st.retry_delay, retry_atom::value);
      spdlog::warn("payment {}: settlement pending, retry in {} ms: {}", next.id, st.retry_delay.count(), next.note);
    }
  } else if (answer->value("success", false)) {
    next.state = payment_state::settled;
    next.transaction = answer->value("transaction", std::string());
    next.note.clear();
  } else {
    next.state = payment_state::failed;
    next.note = answer->value("errorReason", std::string("settle_refused"));
  }
  auto out = commit(self, next);
  if (st.record.state != payment_state::settle_pending) self->quit();
  return out;
}


// --- On chain: one transaction per payment through the network's settler.

void answer_waiting(payment_self self) {
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& rp : waiting) rp.deliver(self->state.record);
}

// The payment's end on chain (settled or failed): stored (settled: with its
// ledger entry naming the transaction, one batch), answered, passivated.
void finish_on_chain(payment_self self, payment_record next) {
  next.updated_at_ms = unix_ms();
  result<void> ok;
  if (next.state == payment_state::settled) {
    ledger_entry e{next.id,     next.payer,         next.pay_to,      next.network, next.asset,
                   next.amount, next.updated_at_ms, next.offer_hash, next.task_id, next.transaction};
    ok = storage::settle_into_ledger(*self->state.db, next, e);
  } else {
    ok = storage::save_payment(*self->state.db, next);
  }
  if (ok) {
    count_end(self, self->state.record, next);
    self->state.record = next;
  }
  if (!ok) {
    spdlog::error("payment {}: cannot store its settlement: {}", next.id, ok.error().message);
    for (auto& rp : self->state.waiting) rp.deliver(to_error(ok.error()));
    self->state.waiting.clear();
    return;  // stays settle_pending on disk: a restart confirms it again
  }
  answer_waiting(self);
  self->quit();
}

void chain_retry_later(payment_self self, const failure& why) {
  auto& st = self->state;
  payment_record next = st.record;
  if (unix_secs() > next.valid_before) {
    next.state = payment_state::failed;
    next.note = "the authorization expired before it was settled on chain: " + why.message;
    return finish_on_chain(self, next);
  }
  next.state = payment_state::settle_pending;
  next.note = why.message;
  (void)commit(self, next);
  st.retry_delay = st.retry_delay.count() ? std::min(st.retry_delay * 2, std::chrono::milliseconds(60000))
                                          : st.settings->retry_first;
  self->delayed_send(self, st.retry_delay, retry_atom::value);
  spdlog::warn("payment {}: settlement pending, retry in {} ms: {}", next.id, st.retry_delay.count(), why.message);
}

void chain_poll_later(payment_self self) {
  auto& st = self->state;
  st.poll_delay = st.poll_delay.count() ? std::min(st.poll_delay * 2, std::chrono::milliseconds(2000)) : st.settings->poll_first;
  self->delayed_send(self, st.poll_delay, poll_atom::value);
}

void chain_submit(payment_self self) {
  auto& st = self->state;
  auto it = st.settings->settlers.find(st.record.network);
  if (it == st.settings->settlers.end()) {
    payment_record next = st.record;
    next.state = payment_state::failed;
    next.note = "no --chain-rpc endpoint for " + next.network;
    return finish_on_chain(self, next);
  }
  st.asking = true;
  self->request(it->second, std::chrono::seconds(60), settle_atom::value, st.record)
      .then(
          [self](chain_submission& sent) {
            auto& st = self->state;
            st.asking = false;
            payment_record next = st.record;
            next.state = payment_state::settle_pending;
            next.transaction = sent.hash;
            next.note = "sent; waiting for the receipt";
            if (auto ok = commit(self, next); !ok) spdlog::error("payment {}: {}", next.id, ok.error().message);
            st.poll_delay = {};
            self->send(self, poll_atom::value);
          },
          [self](caf::error& e) {
            self->state.asking = false;
            auto f = to_failure(e, self->system().render(e));
            if (f.code == chain_errc::authorization_refused || f.code == chain_errc::chain_id_mismatch ||
                f.code == payment_errc::malformed_payment) {
              payment_record next = self->state.record;
              next.state = payment_state::failed;
              next.note = f.message;
              return finish_on_chain(self, next);
            }
            chain_retry_later(self, f);  // unreachable, gas money short, a node error: not the payment's fault
          });
}

void chain_poll(payment_self self) {
  auto& st = self->state;
  auto it = st.settings->settlers.find(st.record.network);
  if (it == st.settings->settlers.end() || st.asking) return;
  st.asking = true;
  self->request(it->second, std::chrono::seconds(60), confirm_atom::value, st.record.id, st.record.transaction)
      .then(
          [self](chain_confirmation& c) {
            auto& st = self->state;
            st.asking = false;
            if (c.dropped) {  // never to be mined: a new transaction may be sent
              payment_record next = st.record;
              next.transaction.clear();
              next.note = c.reason;
              (void)commit(self, next);
              return chain_submit(self);
            }
            if (!c.mined) return chain_poll_later(self);
            payment_record next = st.record;
            next.block_number = c.block_number;
            next.gas_used = c.gas_used;
            next.gas_price = c.gas_price;
            next.state = c.success ? payment_state::settled : payment_state::failed;
            next.note = c.reason;
            if (c.success)
              spdlog::info("payment settled id={} payer={} amount={} network={} backend=chain tx={} block={}", next.id,
                           next.payer, next.amount, next.network, next.transaction, next.block_number);
            finish_on_chain(self, next);
          },
          [self](caf::error& e) {
            self->state.asking = false;
            spdlog::warn("payment {}: receipt not read: {}", self->state.record.id, self->system().render(e));
            chain_poll_later(self);
          });
}

// A charge on chain: settle_pending on disk before anything is sent (a
// restart resumes it, and the settler's outbox gives back a transaction
// already sent); answered when the receipt comes, or pending after settle_wait.
void settle_on_chain(payment_self self, caf::typed_response_promise<payment_record> rp) {
  payment_record next = self->state.record;
  next.state = payment_state::settle_pending;
  next.note = "settling on chain";
  if (auto ok = commit(self, next); !ok) {
    rp.deliver(to_error(ok.error()));
    return;
  }
  self->state.waiting.push_back(rp);
  self->delayed_send(self, self->state.settings->settle_wait, settle_wait_atom::value);
  chain_submit(self);
}

// With settle_batch: the payment waits for the next settlement pass, at the
// next multiple of the interval, when every payment due is sent at once.
void schedule_pass(payment_self self) {
  auto& st = self->state;
  std::int64_t interval = st.settings->settle_batch.count(), now = unix_ms();
  std::int64_t at = (now / interval + 1) * interval;
  self->delayed_send(self, std::chrono::milliseconds(at - now), retry_atom::value);
  auto it = st.settings->settlers.find(st.record.network);
  if (it != st.settings->settlers.end()) self->send(it->second, batch_atom::value, st.record.id, at);
}

// Queued for the pass: settle_pending on disk, no transaction yet; the call
// is answered now.
result<payment_record> queue_for_pass(payment_self self) {
  payment_record next = self->state.record;
  next.state = payment_state::settle_pending;
  next.note = "queued for the next settlement pass";
  auto out = commit(self, next);
  if (out) schedule_pass(self);
  return out;
}

// A pending settle on chain: with a transaction, wait for its receipt;
// without one, send it.
void chain_resume(payment_self self) {
  if (self->state.record.transaction.empty()) chain_submit(self);
  else chain_poll(self);
}

payment_actor_type::behavior_type payment_behavior(payment_self self, payment_registry_type registry, storage::store* db,
                               std::shared_ptr<const payment_settings> settings, payment_record activated) {
  auto& st = self->state;
  st.db = db;
  st.settings = settings;
  st.record = std::move(activated);
  if (st.record.state == payment_state::settle_pending) {  // resumed after a restart
    if (settings->backend == settlement_backend::chain && settings->settle_batch.count() && st.record.transaction.empty())
      schedule_pass(self);
    else
      self->send(self, retry_atom::value);
  }
  if (!st.record.id.empty() && st.record.state == payment_state::held)
    self->delayed_send(self, settings->hold_limit, hold_expired_atom::value);

  // Verifies (on chain too, with that backend, when ask_chain: a hold, whose
  // task runs before anything is settled), has the registry record the
  // nonce, then runs next(record).
  auto verify_and_claim = [self, registry](payment_claim& c, bool ask_facilitator, bool ask_chain, auto next) {
    auto rp = self->make_response_promise<payment_record>();
    bool signature_checked = false;
    auto rec = verified(c, *self->state.settings, ask_facilitator, &signature_checked);
    if (!rec) {
      rp.deliver(to_error(rec.error()));
      self->quit();
      return rp;
    }
    auto claim = [=](payment_record r) mutable {
      self->request(registry, claim_timeout, claim_atom::value, r)
          .then(
              [=](bool) mutable {
                self->state.record = r;
                next(rp);
              },
              [=](caf::error& e) mutable {
                rp.deliver(e);
                self->quit();
              });
    };
    const auto& settlers = self->state.settings->settlers;
    auto settler = settlers.find(rec->network);
    bool never_settled = std::find(c.never_settled.begin(), c.never_settled.end(), rec->payer) != c.never_settled.end();
    if (self->state.settings->backend != settlement_backend::chain || settler == settlers.end() ||
        (never_settled && signature_checked) || (!ask_chain && signature_checked)) {
      claim(std::move(*rec));
      return rp;
    }
    self->request(settler->second, simulate_timeout, simulate_atom::value, *rec)
        .then([=](bool) mutable { claim(*rec); },
              [=](caf::error& e) mutable {
                auto f = to_failure(e, self->system().render(e));
                auto refused = on_chain_refusal(f, *rec, signature_checked);
                if (!refused) return claim(*rec);
                rp.deliver(to_error(*refused));
                self->quit();
              });
    return rp;
  };

  return {
      [=](hold_atom, payment_claim& c) -> caf::result<payment_record> {
        bool remote = settings->backend == settlement_backend::facilitator;
        return verify_and_claim(c, remote, true, [self](caf::typed_response_promise<payment_record>& rp) {
          self->delayed_send(self, self->state.settings->hold_limit, hold_expired_atom::value);
          rp.deliver(self->state.record);
        });
      },
      [=](facilitate_atom, payment_claim& c, bool settle) -> caf::result<payment_record> {
        auto pay_to = crypto::parse_address(c.pay_to);
        const auto& served = settings->facilitator_pay_to;
        if (!pay_to || std::none_of(served.begin(), served.end(), [&](const crypto::address& a) { return a == *pay_to; })) {
          self->quit();
          return to_error(fail(payment_errc::payment_invalid, "pay_to_not_served"));
        }
        if (!settle) {  // /facilitator/verify: checks only, records nothing
          auto rec = verified(c, *settings, false);
          result<bool> used = rec ? storage::nonce_used(*db, rec->payer, rec->nonce) : result<bool>(rec.error());
          auto settler = rec ? settings->settlers.find(rec->network) : settings->settlers.end();
          if (!used || *used || settler == settings->settlers.end()) {
            self->quit();
            if (!used) return to_error(used.error());
            if (*used) return to_error(fail(payment_errc::payment_invalid, "payment_replayed"));
            return std::move(*rec);
          }
          // On chain, the token is asked too: an authorization used or
          // cancelled elsewhere, or a payer without the balance, is refused.
          auto rp = self->make_response_promise<payment_record>();
          self->request(settler->second, simulate_timeout, simulate_atom::value, *rec)
              .then(
                  [self, rp, rec = *rec](bool) mutable {
                    rp.deliver(rec);
                    self->quit();
                  },
                  [self, rp](caf::error& e) mutable {
                    auto f = to_failure(e, "");
                    if (f.code == chain_errc::authorization_refused)
                      rp.deliver(to_error(fail(payment_errc::payment_invalid, payments::refusal_reason(f.message))));
                    else
                      rp.deliver(e);
                    self->quit();
                  });
          return rp;
        }
        // A settle simulates on chain as it sends (a wallet's signature
        // is checked first all the same: only the chain can).
        return verify_and_claim(c, false, false, [self](caf::typed_response_promise<payment_record>& rp) {
          if (self->state.settings->backend == settlement_backend::chain) return settle_on_chain(self, rp);
          auto settled = ledger_settle(self, "");
          self->quit();
          if (settled) rp.deliver(*settled);
          else rp.deliver(to_error(settled.error()));
        });
      },
      [=](settle_atom, payment_outcome& o) -> caf::result<payment_record> {
        auto& rec = self->state.record;
        if (rec.state != payment_state::held) return rec;  // already decided: settling twice changes nothing
        if (!o.charge) {
          payment_record next = rec;
          next.state = payment_state::unsettled;
          next.task_id = o.task_id;
          next.note = o.note;
          auto out = commit(self, next);
          self->quit();
          return reply(std::move(out));
        }
        if (settings->backend == settlement_backend::ledger) {
          auto out = ledger_settle(self, o.task_id);
          self->quit();
          return reply(std::move(out));
        }
        rec.task_id = o.task_id;
        if (settings->backend == settlement_backend::chain) {
          if (settings->settle_batch.count()) return reply(queue_for_pass(self));
          auto rp = self->make_response_promise<payment_record>();
          settle_on_chain(self, rp);
          return rp;
        }
        return reply(settle_at_facilitator(self));
      },
      [=](retry_atom) {
        if (self->state.record.state != payment_state::settle_pending) return;
        if (settings->backend == settlement_backend::chain) return chain_resume(self);
        (void)settle_at_facilitator(self);
      },
      [=](poll_atom) {
        if (self->state.record.state == payment_state::settle_pending && !self->state.record.transaction.empty())
          chain_poll(self);
      },
      [=](settle_wait_atom) { answer_waiting(self); },  // the call goes on with settle_pending and the hash
      [=](hold_expired_atom) {
        if (self->state.record.state != payment_state::held) return;
        payment_record next = self->state.record;
        next.state = payment_state::unsettled;
        next.note = "the task did not report within the hold limit";
        (void)commit(self, next);
        self->quit();
      },
  };
}

}  // namespace

payment_actor_type spawn_payment_actor(caf::local_actor* parent, payment_registry_type registry, storage::store* db,
                               std::shared_ptr<const payment_settings> settings, payment_record activated) {
  if (settings->backend == settlement_backend::facilitator)  // blocking HTTP on its own thread
    return parent->spawn<caf::detached + caf::monitored>(payment_behavior, registry, db, settings, std::move(activated));
  return parent->spawn<caf::monitored>(payment_behavior, registry, db, settings, std::move(activated));
}

}  // namespace hearth::actors
