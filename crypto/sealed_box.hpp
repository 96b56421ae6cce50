// Secrets at rest: AES-256-GCM under a key derived from the node key
// (HKDF-SHA256 with a label), so what the node keeps of an owner's private
// env or stdin is unreadable without its key file, and a record moved to
// another key (its associated data) does not open.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secp256k1_key.hpp"
#include "messages/result.hpp"

namespace hearth::crypto {

struct sealing_key {
  std::array<std::uint8_t, 32> bytes{};
  ~sealing_key() { secure_wipe(bytes.data(), bytes.size()); }
};

result<sealing_key> derive_sealing_key(const private_key& node_key, std::string_view label);

// nonce (12) || ciphertext || tag (16).
result<std::string> seal(const sealing_key& key, std::string_view plaintext, std::string_view aad);
// Fails (crypto_errc::sealed_box_invalid) when the bytes were altered, or sealed under another key or aad.
result<std::string> open_sealed(const sealing_key& key, std::string_view sealed, std::string_view aad);

}  // namespace hearth::crypto
