// The Ethereum JSON-RPC calls on-chain settlement makes, typed: nonces, fees,
// simulation, sending, receipts and balances. The transport is injected
// (client/json_rpc makes the HTTP one), so this stays a plain library.
// Transport failures are chain_unavailable; a JSON-RPC error is
// chain_rpc_error with the node's message, except a reverting simulation,
// which is authorization_refused with the revert reason.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"
#include "messages/result.hpp"

namespace hearth::payments {

// One JSON-RPC call: method and params in, the "result" member out.
using json_rpc_call = std::function<result<nlohmann::json>(const std::string& method, const nlohmann::json& params)>;

struct chain_log {
  crypto::address contract;
  std::vector<crypto::hash256> topics;
  crypto::bytes data;
};

struct chain_receipt {
  bool status = false;  // status 0x1
  std::uint64_t block_number = 0;
  std::uint64_t gas_used = 0;
  crypto::uint256 effective_gas_price{};
  std::vector<chain_log> logs;
};

class chain_client {
 public:
  explicit chain_client(json_rpc_call call) : call_(std::move(call)) {}

  result<std::uint64_t> chain_id() const;
  // eth_getTransactionCount at "pending" or "latest".
  result<std::uint64_t> transaction_count(const crypto::address& a, const char* block) const;
  result<crypto::uint256> base_fee() const;  // the latest block's baseFeePerGas
  result<crypto::uint256> max_priority_fee() const;
  result<crypto::uint256> balance(const crypto::address& a) const;
  result<bool> has_code(const crypto::address& a) const;  // a contract (eth_getCode not empty)
  result<std::uint64_t> estimate_gas(const crypto::address& from, const crypto::address& to, const crypto::bytes& data) const;
  result<crypto::bytes> call(const crypto::address& to, const crypto::bytes& data) const;
  result<crypto::hash256> send_raw(const crypto::bytes& raw) const;
  result<std::optional<chain_receipt>> receipt(const crypto::hash256& tx) const;
  result<bool> transaction_known(const crypto::hash256& tx) const;

 private:
  json_rpc_call call_;
};

// Whether a send failed because the nonce is taken (the chain moved past it).
bool is_nonce_too_low(const failure& f);
// Whether a send failed because the node has this very transaction already.
bool is_already_known(const failure& f);

result<std::uint64_t> parse_quantity(const nlohmann::json& j);
result<crypto::uint256> parse_quantity256(const nlohmann::json& j);
std::string to_quantity(std::uint64_t v);

}  // namespace hearth::payments
