// On-chain settlement as plain values: a settlement transaction in the
// sender's outbox (mirrors records.capnp StoredChainTx), what the chain
// settler answers a payment (submitted, then confirmed) and reports to /health.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth {

// Signed and written before it is broadcast: a node that stops after the
// send rebroadcasts these same bytes, never a different transaction.
struct chain_tx {
  std::string payment_id;
  std::string network;  // CAIP-2
  std::string sender;   // EIP-55, the settlement key's address
  std::uint64_t nonce = 0;
  std::string hash;     // 0x + 64 hex
  std::string raw;      // the signed envelope's bytes
  std::int64_t sent_at_ms = 0;
  std::string authorizer;  // the payer (EIP-55): whose AuthorizationUsed the receipt must log
  std::string auth_nonce;  // 0x + 64 hex
};

struct chain_submission {
  std::string hash;
  std::uint64_t nonce = 0;
};

struct chain_confirmation {
  bool mined = false;    // false: no receipt yet (still pending)
  bool success = false;  // status 1 and AuthorizationUsed logged
  bool dropped = false;  // the chain will never mine it (its nonce went to another transaction)
  std::uint64_t block_number = 0;
  std::uint64_t gas_used = 0;
  std::string gas_price;  // effective, wei (decimal)
  std::string reason;     // why not successful
};

struct chain_status {
  std::string network;
  std::string sender;
  std::string balance_wei;       // native balance of the settlement key, decimal; empty: unknown
  bool low_balance = false;
  std::uint64_t pending = 0;     // transactions sent, receipt not yet seen
  std::uint64_t settled = 0;     // confirmed since start
  std::string last_gas_cost_wei; // gas used x price of the last confirmed settlement
  std::string average_gas_cost_wei;  // the mean of those since start
  std::uint64_t queued = 0;      // payments waiting for the next settlement pass (--settle-batch-secs)
  std::int64_t next_pass_ms = 0; // when that pass is due; 0: none queued
  std::string error;             // the RPC endpoint's last failure, if any
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_submission& x) {
  return f(caf::meta::type_name("chain_submission"), x.hash, x.nonce);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_confirmation& x) {
  return f(caf::meta::type_name("chain_confirmation"), x.mined, x.success, x.dropped, x.block_number, x.gas_used, x.gas_price,
           x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_status& x) {
  return f(caf::meta::type_name("chain_status"), x.network, x.sender, x.balance_wei, x.low_balance, x.pending,
           x.settled, x.last_gas_cost_wei, x.average_gas_cost_wei, x.queued, x.next_pass_ms, x.error);
}

}  // namespace hearth
