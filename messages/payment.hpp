// Payments as plain values (mirrors records.capnp StoredPayment and
// LedgerEntry) and the messages of the payment registry and payment actors.
#pragma once

#include <caf/atom.hpp>

#include "messages/atoms.hpp"
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth {

enum class payment_state : std::uint8_t { held = 0, settled = 1, unsettled = 2, settle_pending = 3, failed = 4 };

// The names the API and the metrics show.
inline const char* state_name(payment_state s) {
  switch (s) {
    case payment_state::held: return "held";
    case payment_state::settled: return "settled";
    case payment_state::unsettled: return "unsettled";
    case payment_state::settle_pending: return "settle_pending";
    case payment_state::failed: return "failed";
  }
  return "unknown";
}

struct payment_record {
  std::string id;
  std::string payer;    // EIP-55
  std::string pay_to;   // EIP-55
  std::string network;  // CAIP-2
  std::string asset;    // EIP-55
  std::string amount;   // atomic units, decimal
  std::string nonce;    // 0x + 64 hex
  std::uint64_t valid_before = 0;
  std::uint8_t x402_version = 1;
  payment_state state = payment_state::held;
  std::string offer_hash;
  std::string task_id;
  std::string resource;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string transaction;
  std::string note;
  std::string payload;      // the payment header's JSON
  std::string requirement;  // the requirement JSON (the payment's generation)
  std::string ledger_entry;  // set when settled into this node's ledger (no chain transaction)
  std::uint64_t block_number = 0;  // on chain: the block that mined the transaction
  std::uint64_t gas_used = 0;
  std::string gas_price;           // effective, wei (decimal)
};

// What the edge asks to hold: the header as sent and what the node asked for.
struct payment_claim {
  std::string header_value;  // base64 PaymentPayload
  std::string network;       // CAIP-2 of the requirement the payment names
  std::string amount;        // atomic units, decimal
  std::string pay_to;
  std::uint64_t max_timeout_seconds = 300;
  std::string resource;
  std::string description;
  std::string mime_type;
  std::string offer_hash;
  std::string accepted;  // v2 accepts[] entry JSON to match verbatim (facilitator use); empty: built from the above
  // Payers (EIP-55) whose payment only proves who calls and is never settled
  // (the node's and the offer's owner): the chain is not asked about it.
  std::vector<std::string> never_settled;
};

// How a held payment ends: charge it (the handler answered < 400) or not.
struct payment_outcome {
  std::string id;
  std::string task_id;
  bool charge = false;
  std::string note;  // why not charged
};

struct ledger_entry {
  std::string payment_id;
  std::string payer;
  std::string pay_to;  // EIP-55: whom it is owed to
  std::string network;
  std::string asset;
  std::string amount;
  std::int64_t settled_at_ms = 0;
  std::string offer_hash;
  std::string task_id;
  std::string transaction;  // on chain: the settling transaction; empty: owed, in this ledger only
};


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment_record& x) {
  return f(caf::meta::type_name("payment_record"), x.id, x.payer, x.pay_to, x.network, x.asset, x.amount, x.nonce,
           x.valid_before, x.x402_version, x.state, x.offer_hash, x.task_id, x.resource, x.created_at_ms,
           x.updated_at_ms, x.transaction, x.note, x.payload, x.requirement, x.ledger_entry, x.block_number,
           x.gas_used, x.gas_price);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment_claim& x) {
  return f(caf::meta::type_name("payment_claim"), x.header_value, x.network, x.amount, x.pay_to,
           x.max_timeout_seconds, x.resource, x.description, x.mime_type, x.offer_hash, x.accepted, x.never_settled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment_outcome& x) {
  return f(caf::meta::type_name("payment_outcome"), x.id, x.task_id, x.charge, x.note);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_entry& x) {
  return f(caf::meta::type_name("ledger_entry"), x.payment_id, x.payer, x.pay_to, x.network, x.asset, x.amount,
           x.settled_at_ms, x.offer_hash, x.task_id, x.transaction);
}

}  // namespace hearth
