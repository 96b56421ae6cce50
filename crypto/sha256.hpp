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

// SHA-256 over data that arrives in pieces (a task's output as it is written).
class sha256_hasher {
 public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;
  void update(std::string_view piece);
  hash256 finish();  // once

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace hearth::crypto
