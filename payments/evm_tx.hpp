// EIP-1559 (type 2) transactions: the envelope 0x02 || rlp([chainId, nonce,
// maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList,
// yParity, r, s]), signed over keccak256 of the envelope without the
// signature. How the node submits a buyer's authorization to the token.
#pragma once

#include <cstdint>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/uint256.hpp"

namespace hearth::payments {

struct eip1559_tx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  crypto::uint256 max_priority_fee{};  // wei per gas
  crypto::uint256 max_fee{};
  std::uint64_t gas_limit = 0;
  crypto::address to;
  crypto::uint256 value{};
  crypto::bytes data;
};

struct signed_tx {
  crypto::bytes raw;     // what eth_sendRawTransaction takes
  crypto::hash256 hash;  // keccak256(raw): the transaction hash the chain reports
};

crypto::hash256 signing_hash(const eip1559_tx& tx);
signed_tx sign(const eip1559_tx& tx, const crypto::private_key& key);

}  // namespace hearth::payments
