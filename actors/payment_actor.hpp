// One x402 payment, from verification to settled, unsettled or failed.
//
// State: the payment_record (column "payments"), written before each reply.
// Interface: payment_actor_type (messages/interfaces.hpp).
//   hold: decode, verify in-process (and at the facilitator, with that
//     backend), then ask the registry to record the nonce; the task may run after it.
//   facilitate: the node as a facilitator, for the payTo it serves only:
//     verify only (nonce unused), or verify, claim and settle into the ledger
//     at once (a settle is always verified first, never taken on trust).
//   settle: charge it (ledger entry, the facilitator's /settle, or a
//     transaction of the network's chain settler) or leave it unsettled
//     with the reason; then the actor passivates. On chain the answer waits
//     for the receipt up to settle_wait, then is settle_pending with the
//     transaction's hash, and the receipt is polled on. With settle_batch,
//     answered at once (settle_pending, no transaction yet) and sent in the
//     next settlement pass.
// Timers: a payment held longer than hold_limit (its task never reported)
// is left unsettled and the actor passivates; a settle_pending payment
// retries the facilitator (or the chain) with backoff until its
// authorization expires; one with a transaction polls for its receipt.
#pragma once

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/address.hpp"
#include "messages/interfaces.hpp"
#include "messages/payment.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

enum class settlement_backend { ledger, facilitator, chain };

// POSTs a JSON body to the facilitator's path (/verify, /settle) and
// returns its JSON answer; a failure with code "facilitator_timeout" means
// the answer did not come in time (not a refusal).
using facilitator_call = std::function<result<nlohmann::json>(const std::string& path, const nlohmann::json& body)>;

struct payment_settings {
  settlement_backend backend = settlement_backend::ledger;
  facilitator_call facilitator;
  std::chrono::milliseconds hold_limit{std::chrono::hours(2)};
  std::chrono::milliseconds retry_first{2000};
  std::map<std::string, chain_settler_type> settlers;  // CAIP-2 -> its settler (chain backend)
  std::chrono::milliseconds settle_wait{10000};        // a paid call waits this long for the receipt
  std::chrono::milliseconds poll_first{10};            // first receipt poll; then doubling to 2 s
  // Chain: above zero, a paid call is answered at once and its payment
  // settled in the pass at the next multiple of this interval (unix time),
  // with every other payment due then.
  std::chrono::milliseconds settle_batch{0};
  // The payTo addresses the node's own /facilitator verifies and settles for
  // (its owner by default): anyone else's authorizations are refused.
  std::vector<crypto::address> facilitator_pay_to;
};

// A fresh payment (activated empty; first message hold or facilitate), or
// one activated from storage (held or settle_pending) to be settled. Blocking
// facilitator calls run on the actor's own thread (detached) with that backend.
payment_actor_type spawn_payment_actor(caf::local_actor* parent, payment_registry_type registry, storage::store* db,
                               std::shared_ptr<const payment_settings> settings, payment_record activated);

}  // namespace hearth::actors
