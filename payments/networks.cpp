#include "payments/networks.hpp"

namespace hearth::payments {
namespace {

crypto::address usdc(std::string_view hex) { return *crypto::parse_address(hex); }

}  // namespace

const std::vector<network>& known_networks() {
  static const std::vector<network> all = {
      {"base", "eip155:8453", 8453, usdc("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"), "USD Coin", "2"},
      {"base-sepolia", "eip155:84532", 84532, usdc("0x036CbD53842c5426634e7929541eC2318f3dCF7e"), "USDC", "2"},
      {"ethereum", "eip155:1", 1, usdc("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"), "USD Coin", "2"},
  };
  return all;
}

const network* find_network(std::string_view name) {
  for (const auto& n : known_networks())
    if (n.name == name || n.caip2 == name) return &n;
  return nullptr;
}

}  // namespace hearth::payments
