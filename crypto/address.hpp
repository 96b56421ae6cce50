// A 20-byte Ethereum address and its EIP-55 mixed-case checksum form.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"

namespace hearth::crypto {

struct address {
  std::array<std::uint8_t, 20> bytes{};

  std::string checksummed() const;  // EIP-55, with 0x
  bool operator==(const address& other) const { return bytes == other.bytes; }
  bool operator!=(const address& other) const { return !(*this == other); }
};

// Accepts 0x + 40 hex digits, all lowercase, all uppercase, or a valid EIP-55
// mixed-case checksum; a mixed-case string with a wrong checksum is rejected.
result<address> parse_address(std::string_view text);

}  // namespace hearth::crypto
