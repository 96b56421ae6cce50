#include "crypto/uint256.hpp"

#include <algorithm>

namespace hearth::crypto {
namespace {

// value = value * factor + addend; returns false on overflow past 256 bits.
bool mul_add(uint256& value, unsigned factor, unsigned addend) {
  unsigned carry = addend;
  for (int i = 31; i >= 0; --i) {
    unsigned v = value[i] * factor + carry;
    value[i] = static_cast<std::uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return carry == 0;
}

}  // namespace

result<uint256> parse_uint256(std::string_view text) {
  uint256 value{};
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return fail(crypto_errc::bad_integer, "empty integer");
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
    else return fail(crypto_errc::bad_integer, "not an unsigned integer");
    if (!mul_add(value, base, digit)) return fail(crypto_errc::integer_overflow, "integer exceeds 256 bits");
  }
  return value;
}

std::string to_decimal(const uint256& value) {
  uint256 v = value;
  std::string digits;
  bool nonzero = true;
  while (nonzero) {
    unsigned rem = 0;
    nonzero = false;
    for (auto& byte : v) {
      unsigned cur = rem << 8 | byte;
      byte = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
      nonzero |= byte != 0;
    }
    digits += static_cast<char>('0' + rem);
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

unsigned bit_length(const uint256& value) {
  for (unsigned i = 0; i < 32; ++i) {
    if (value[i] == 0) continue;
    unsigned bits = 0;
    for (unsigned b = value[i]; b != 0; b >>= 1) ++bits;
    return (31 - i) * 8 + bits;
  }
  return 0;
}

uint256 negate(const uint256& value) {
  uint256 out{};
  unsigned carry = 1;
  for (int i = 31; i >= 0; --i) {
    unsigned v = static_cast<std::uint8_t>(~value[i]) + carry;
    out[i] = static_cast<std::uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return out;
}

}  // namespace hearth::crypto
