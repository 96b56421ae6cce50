// Deterministic key derivation, the same inputs giving the same key forever:
//  - from a key and a namespace (os402's `key derive NS`):
//      secret = keccak256(parent_secret || utf8(namespace))
//  - from a passphrase and a namespace:
//      seed   = PBKDF2-HMAC-SHA256(passphrase, salt = "hearth/key-derive/v1:" || namespace,
//                                  600000 iterations, 32 bytes)
//      secret = keccak256(seed || utf8(namespace))
// In either case, should the secret be zero or not below the curve order
// (probability ~2^-128), it is replaced by keccak256(secret) until valid.
#pragma once

#include <string_view>

#include "crypto/secp256k1_key.hpp"

namespace hearth::crypto {

inline constexpr int passphrase_iterations = 600000;

result<private_key> derive_from_key(const private_key& parent, std::string_view ns);
result<private_key> derive_from_passphrase(std::string_view passphrase, std::string_view ns);

}  // namespace hearth::crypto
