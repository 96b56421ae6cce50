// Who speaks for the node's owner on an HTTP request, for the endpoints
// that are the owner's alone (task listings, any task's output, the couch's
// host side): the host token as `Authorization: Bearer` (stored hashed,
// compared in constant time), or a fresh signature by the owner's key in
// `X-Hearth-Owner-Signature: <unix secs>:<0x 65-byte signature>`, an EIP-191
// personal_sign of owner_request_message (so an owner whose key lives in a
// wallet needs no token). A signature is good for max_owner_signature_age
// either side of the node's clock, for that node, method and target only.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/secp256k1_key.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

inline constexpr std::uint64_t max_owner_signature_age = 300;
inline constexpr const char* owner_signature_header = "X-Hearth-Owner-Signature";

// "hearth owner request v1\n<node address, lowercase>\n<METHOD> <target>\n<unix secs>"
std::string owner_request_message(const std::string& node_address, const std::string& method,
                                  const std::string& target, std::uint64_t unix_secs);
// The EIP-191 digest of that message, which the owner key signs.
crypto::hash256 owner_request_digest(const std::string& node_address, const std::string& method,
                                     const std::string& target, std::uint64_t unix_secs);
// The X-Hearth-Owner-Signature value of a request signed with key at unix_secs.
std::string owner_signature_value(const crypto::private_key& key, const std::string& node_address,
                                  const std::string& method, const std::string& target, std::uint64_t unix_secs);

// The Bearer credential of req ("" when none).
std::string bearer_token(const http_request& req);
bool host_token_matches(const http_request& req, const node_info& info);
bool owner_signed(const http_request& req, const node_info& info, std::uint64_t now_secs);
// Either of the two, at the node's clock.
bool is_owner(const http_request& req, const node_info& info);

}  // namespace hearth::net
