// Random bytes from OpenSSL's generator, as a value that can fail: a caller
// that needs a secret (a token, a nonce, a salt) never goes on with a
// buffer the generator did not fill.
#pragma once

#include <cstddef>
#include <string>

#include "messages/result.hpp"

namespace hearth::crypto {

// Fills size bytes at out; rng_failure when the generator could not.
result<void> random_fill(void* out, std::size_t size);
// size random bytes as lowercase hex (2 * size digits).
result<std::string> random_hex(std::size_t size);

}  // namespace hearth::crypto
