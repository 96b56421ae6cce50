#include "crypto/secret.hpp"

#include <openssl/crypto.h>

#include <string>

#include "crypto/bytes.hpp"
#include "crypto/sha256.hpp"

namespace hearth::crypto {

bool secret_matches(std::string_view secret, std::string_view expected_hash) {
  if (secret.empty() || expected_hash.empty()) return false;
  std::string given = to_hex(sha256(secret));
  return given.size() == expected_hash.size() &&
         CRYPTO_memcmp(given.data(), expected_hash.data(), given.size()) == 0;
}

}  // namespace hearth::crypto
