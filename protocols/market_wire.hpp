// The seller WebSocket's messages (hub <-> seller), JSON text frames with a
// version and a type, each at most max_wire_bytes; the README's "Wire
// protocol" section is their schema. JSON rather than Cap'n Proto so that a
// seller agent in any language (the seed's is Python) needs nothing but a
// WebSocket and a secp256k1 signer. Decoding checks every field's type and
// bound: a message from the network is hostile until it has passed here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "messages/market.hpp"
#include "messages/result.hpp"

namespace hearth::protocols {

inline constexpr int wire_version = 1;
inline constexpr std::size_t max_wire_bytes = 64 * 1024;

// What the seller signs (EIP-191 personal_sign) to answer the challenge.
std::string hello_message(const std::string& nonce, const std::string& address, const std::string& name);

// Hub -> seller.
struct wire_challenge {
  std::string nonce;  // 64 hex digits, fresh per connection
  std::uint64_t heartbeat_ms = 0;
};
struct wire_welcome {
  std::string seller_id;
};
struct wire_cancel {
  std::string job_id, reason;
};
struct wire_extend {
  std::string job_id;
  std::int64_t expires_at_ms = 0;
};
struct wire_refused {
  std::string code, message;
};
// The relay (a buyer's SSH over the hub, for a seller behind NAT): open a
// byte stream to the job's sshd; its bytes are binary frames (relay_frame);
// either side closes it.
struct wire_open {
  std::uint32_t stream = 0;
  std::string job_id;
};
struct wire_close {
  std::uint32_t stream = 0;
};
using hub_message =
    std::variant<wire_challenge, wire_welcome, job_assignment, wire_cancel, wire_extend, wire_refused, wire_open, wire_close>;

// Seller -> hub.
using seller_message = std::variant<seller_hello, seller_heartbeat, job_report, wire_close>;

// A relay stream's bytes as one binary frame: 4 bytes of stream id (big
// endian), then the data (at most max_relay_chunk).
inline constexpr std::size_t max_relay_chunk = 32 * 1024;
std::string relay_frame(std::uint32_t stream, std::string_view data);
bool parse_relay_frame(std::string_view frame, std::uint32_t& stream, std::string_view& data);

std::string encode(const hub_message& m);
std::string encode(const seller_message& m);
// Fail with bad_wire_message, saying what is wrong.
result<hub_message> decode_hub_message(std::string_view text);
result<seller_message> decode_seller_message(std::string_view text);

}  // namespace hearth::protocols
