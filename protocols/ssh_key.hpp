// A buyer's SSH public key as the hub and a seller accept it: one OpenSSH
// public key line ("type base64 [comment]"), no authorized_keys options (the
// seller writes its own), a known key type whose base64 blob names that same
// type. What it returns is safe to write into an authorized_keys file.
#pragma once

#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace hearth::protocols {

inline constexpr std::size_t max_ssh_key_bytes = 16 * 1024;

// "type base64" plus the comment when it is plain text; fails with bad_ssh_key.
result<std::string> normalize_ssh_pubkey(std::string_view line);

}  // namespace hearth::protocols
