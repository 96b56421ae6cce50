// Ethereum's Keccak-256 (the original Keccak padding 0x01, not SHA3-256's 0x06).
// OpenSSL 3.0 has no such digest, so hearth carries its own keccak-f[1600].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/bytes.hpp"

namespace hearth::crypto {

class keccak256_hasher {
 public:
  keccak256_hasher() = default;
  void update(const std::uint8_t* data, std::size_t size);
  void update(std::string_view s) { update(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
  hash256 finish();

 private:
  static constexpr std::size_t rate = 136;
  std::uint64_t state_[25] = {};
  std::uint8_t buffer_[rate] = {};
  std::size_t buffered_ = 0;
};

hash256 keccak256(const std::uint8_t* data, std::size_t size);
inline hash256 keccak256(std::string_view s) {
  return keccak256(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
inline hash256 keccak256(const bytes& b) { return keccak256(b.data(), b.size()); }

}  // namespace hearth::crypto
