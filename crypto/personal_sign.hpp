// EIP-191 "personal_sign" digests: keccak256("\x19Ethereum Signed Message:\n" ||
// len || message). Offers are signed this way over their 32-byte hash, so any
// Ethereum wallet can sign one.
#pragma once

#include "crypto/bytes.hpp"

namespace hearth::crypto {

hash256 personal_message_digest(const std::uint8_t* message, std::size_t size);
inline hash256 personal_message_digest(const hash256& h) { return personal_message_digest(h.data(), h.size()); }

}  // namespace hearth::crypto
