// 256-bit unsigned integers as 32 big-endian bytes: token amounts and the
// uint/int fields of EIP-712 structs, parsed without loss from decimal or hex.
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"

namespace hearth::crypto {

using uint256 = hash256;

// Decimal digits, or 0x followed by hex digits; rejects signs, spaces, overflow.
result<uint256> parse_uint256(std::string_view text);
std::string to_decimal(const uint256& value);

// Bits needed to represent value (0 for zero).
unsigned bit_length(const uint256& value);

// Two's complement negation modulo 2^256.
uint256 negate(const uint256& value);

}  // namespace hearth::crypto
