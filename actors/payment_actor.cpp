#include "actors/payment_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "payments/exact_evm.hpp"
#include "storage/payment_codec.hpp"

namespace hearth::actors {
namespace {

using nlohmann::json;
constexpr auto claim_timeout = std::chrono::seconds(30);

struct payment_actor_state {
  payment_record record;
  storage::store* db = nullptr;
  std::shared_ptr<const payment_settings> settings;
  std::chrono::milliseconds retry_delay{0};
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
// ask_facilitator, the facilitator verifies it too.
result<payment_record> verified(const payment_claim& c, const payment_settings& settings, bool ask_facilitator) {
  auto p = payments::decode_payment(c.header_value);
  if (!p) return p.error();
  auto r = requirement_of(c);
  if (!r) return r.error();
  auto v = payments::verify(*p, *r, unix_secs());
  if (!v.valid) return fail(payment_errc::payment_invalid, v.reason);
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
  rec.payer = v.payer.checksummed();
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

// Stores next as the payment's state; the in-memory state follows only a
// successful write, so a reply never gets ahead of the disk.
result<payment_record> commit(payment_self self, payment_record next) {
  next.updated_at_ms = unix_ms();
  if (auto ok = storage::save_payment(*self->state.db, next); !ok) return ok.error();
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
                 next.amount, next.updated_at_ms, next.offer_hash, task_id};
  if (auto ok = storage::settle_into_ledger(*self->state.db, next, e); !ok) return ok.error();
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

payment_actor_type::behavior_type payment_behavior(payment_self self, payment_registry_type registry, storage::store* db,
                               std::shared_ptr<const payment_settings> settings, payment_record activated) {
  auto& st = self->state;
  st.db = db;
  st.settings = settings;
  st.record = std::move(activated);
  if (st.record.state == payment_state::settle_pending) self->send(self, retry_atom::value);
  if (!st.record.id.empty() && st.record.state == payment_state::held)
    self->delayed_send(self, settings->hold_limit, hold_expired_atom::value);

  // Verifies, has the registry record the nonce, then runs next(record).
  auto verify_and_claim = [self, registry](payment_claim& c, bool ask_facilitator, auto next) {
    auto rp = self->make_response_promise<payment_record>();
    auto rec = verified(c, *self->state.settings, ask_facilitator);
    if (!rec) {
      rp.deliver(to_error(rec.error()));
      self->quit();
      return rp;
    }
    self->request(registry, claim_timeout, claim_atom::value, *rec)
        .then(
            [=](bool) mutable {
              self->state.record = *rec;
              next(rp);
            },
            [=](caf::error& e) mutable {
              rp.deliver(e);
              self->quit();
            });
    return rp;
  };

  return {
      [=](hold_atom, payment_claim& c) -> caf::result<payment_record> {
        bool remote = settings->backend == settlement_backend::facilitator;
        return verify_and_claim(c, remote, [self](caf::typed_response_promise<payment_record>& rp) {
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
          self->quit();
          if (!rec) return to_error(rec.error());
          auto used = storage::nonce_used(*db, rec->payer, rec->nonce);
          if (!used) return to_error(used.error());
          if (*used) return to_error(fail(payment_errc::payment_invalid, "payment_replayed"));
          return std::move(*rec);
        }
        return verify_and_claim(c, false, [self](caf::typed_response_promise<payment_record>& rp) {
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
        return reply(settle_at_facilitator(self));
      },
      [=](retry_atom) {
        if (self->state.record.state == payment_state::settle_pending) (void)settle_at_facilitator(self);
      },
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
  if (settings->backend == settlement_backend::facilitator)
    return parent->spawn<caf::detached + caf::monitored>(payment_behavior, registry, db, settings, std::move(activated));
  return parent->spawn<caf::monitored>(payment_behavior, registry, db, settings, std::move(activated));
}

}  // namespace hearth::actors
