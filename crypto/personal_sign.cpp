#include "crypto/personal_sign.hpp"

#include <string>

#include "crypto/keccak.hpp"

namespace hearth::crypto {

hash256 personal_message_digest(const std::uint8_t* message, std::size_t size) {
  keccak256_hasher h;
  h.update("\x19" "Ethereum Signed Message:\n" + std::to_string(size));
  h.update(message, size);
  return h.finish();
}

}  // namespace hearth::crypto
