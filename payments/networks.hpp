// The EVM networks hearth takes USDC payments on, with both of x402's names
// for each (v1: "base-sepolia", v2: CAIP-2 "eip155:84532"), the chain id,
// the USDC contract and its EIP-712 domain name and version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.hpp"

namespace hearth::payments {

struct network {
  std::string name;   // x402 v1
  std::string caip2;  // x402 v2
  std::uint64_t chain_id;
  crypto::address usdc;
  std::string usdc_name;  // EIP-712 domain name of the USDC contract
  std::string usdc_version;
};

const std::vector<network>& known_networks();
// By either name; nullptr when unknown.
const network* find_network(std::string_view name_or_caip2);

}  // namespace hearth::payments
