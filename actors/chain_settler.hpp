// One settlement key on one EVM network: the only sender of its
// transactions, so the only allocator of its nonces.
//
// State: the next nonce (from eth_getTransactionCount "pending" and the
//   outbox at the first settle, then counted here: concurrent settles never
//   share one; a rejected send gives its nonce back), the outbox (column
//   "chainTxs": each signed transaction, written before it is broadcast),
//   counters for /health.
// Interface: chain_settler_type (messages/interfaces.hpp).
//   simulate: eth_estimateGas of the transfer, nothing sent (verify).
//   settle: at most one transaction per payment: simulate
//     transferWithAuthorization (a used, cancelled or expired authorization
//     is refused before anything is sent), sign an EIP-1559 transaction,
//     store it, broadcast it; a payment settled again gets the same hash.
//   confirm: the receipt (status 1 and the token's AuthorizationUsed for
//     this payer and nonce required); none yet and the chain does not know
//     the transaction: the same bytes are sent again.
//   batch: a payment announces it waits for the next settlement pass
//     (counted for /health until it is sent).
//   get: the key's native balance, backlog, queue and gas cost per settlement.
// Blocking JSON-RPC, so the actor is detached.
#pragma once

#include <caf/actor_system.hpp>

#include <cstdint>
#include <memory>

#include "crypto/secp256k1_key.hpp"
#include "messages/interfaces.hpp"
#include "payments/chain_client.hpp"
#include "payments/networks.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

struct chain_settler_settings {
  chain_settler_settings(const payments::network* n, crypto::private_key k, payments::json_rpc_call r)
      : net(n), key(std::move(k)), rpc(std::move(r)) {}
  const payments::network* net = nullptr;
  crypto::private_key key;
  payments::json_rpc_call rpc;
  std::uint64_t low_balance_wei = 1000000000000000;  // 0.001 of the native coin: /health warns below
};

chain_settler_type spawn_chain_settler(caf::actor_system& sys, storage::store& db, chain_settler_settings settings);

}  // namespace hearth::actors
