// The node's settings as `hearth serve` uses them: node_config's text
// checked and parsed once (the owner, address lists, payment networks, the
// settlement backend, the couch backend and root filesystem), or the first
// setting that is wrong, named as its flag. Immutable once made.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/payment_actor.hpp"
#include "actors/pool_ledger.hpp"
#include "apps/node_config.hpp"
#include "crypto/address.hpp"
#include "messages/result.hpp"
#include "payments/networks.hpp"

namespace hearth::app {

struct node_settings {
  node_config config;                              // as given (numbers and paths are used as they are)
  std::optional<crypto::address> owner;            // none: the node's own key
  std::vector<crypto::address> accept_offers_from;  // besides the owner
  std::vector<std::string> payment_networks;       // x402 v1 names, in the order offered; never empty
  actors::settlement_backend settlement = actors::settlement_backend::ledger;
  std::vector<crypto::address> facilitator_pay_to;  // empty: the owner
  std::vector<std::pair<const payments::network*, std::string>> chain_rpc;  // with chain: one per payment network
  bool couch_local = true;                          // environments on this host (else guests wait for activate)
  std::uint64_t couch_capacity_mb = 0;              // memory for guests' environments (never 0 once parsed)
  bool market_hub = true;                           // sellers may connect (--market-sellers is not none)
  std::vector<std::string> market_sellers;          // lowercase 0x addresses; empty with market_hub: any
  std::vector<actors::pool_config> pools;
};

result<node_settings> parse_settings(const node_config& config);

// "a, b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text);

}  // namespace hearth::app
