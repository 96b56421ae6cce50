#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <vector>

#include "crypto/bytes.hpp"

namespace hearth::crypto {

result<void> random_fill(void* out, std::size_t size) {
  if (size > INT_MAX || RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
    secure_wipe(out, size);
    return fail(crypto_errc::rng_failure, "the random generator failed; nothing was made with it");
  }
  return {};
}

result<std::string> random_hex(std::size_t size) {
  std::vector<std::uint8_t> b(size);
  if (auto ok = random_fill(b.data(), b.size()); !ok) return ok.error();
  std::string hex = to_hex(b.data(), b.size());
  secure_wipe(b.data(), b.size());
  return hex;
}

}  // namespace hearth::crypto
