// Byte containers and hex encoding used by every crypto primitive.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"

namespace hearth::crypto {

using bytes = std::vector<std::uint8_t>;
using hash256 = std::array<std::uint8_t, 32>;

std::string to_hex(const std::uint8_t* data, std::size_t size);  // lowercase, no 0x
inline std::string to_hex(const bytes& b) { return to_hex(b.data(), b.size()); }
inline std::string to_hex(std::string_view raw) {
  return to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
}
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) { return to_hex(a.data(), N); }
template <std::size_t N>
std::string to_0x(const std::array<std::uint8_t, N>& a) { return "0x" + to_hex(a); }

// 64 lowercase hex digits without 0x: how hashes and ids appear in URLs and keys.
inline bool is_hash_hex(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Accepts an optional 0x prefix; rejects odd length and non-hex characters.
result<bytes> from_hex(std::string_view hex);

// Same, but the decoded value must be exactly N bytes.
template <std::size_t N>
result<std::array<std::uint8_t, N>> from_hex_fixed(std::string_view hex) {
  auto b = from_hex(hex);
  if (!b) return b.error();
  if (b->size() != N)
    return fail(crypto_errc::bad_length, "expected " + std::to_string(N) + " bytes, got " +
                                  std::to_string(b->size()));
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*b)[i];
  return out;
}

// Overwrites memory that held a secret so the compiler cannot elide it.
void secure_wipe(void* data, std::size_t size);

}  // namespace hearth::crypto
