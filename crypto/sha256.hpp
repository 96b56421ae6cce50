// SHA-256 through OpenSSL: content addresses of executables, offers and tasks.
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"

namespace hearth::crypto {

hash256 sha256(const std::uint8_t* data, std::size_t size);
inline hash256 sha256(std::string_view s) {
  return sha256(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Streams the file in fixed-size chunks: large executables are never held whole.
result<hash256> sha256_file(const std::string& path);

}  // namespace hearth::crypto
