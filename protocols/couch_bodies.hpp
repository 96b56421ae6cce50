// The couch's request bodies (seed-couch's JSON: invites, redeems, usage
// reports, guest commands) and the guest terminal's control messages, read
// into the plain values of messages/couch.hpp or refused (bad_request) with
// what to send instead. Every field is checked for its type and range here,
// so the routes and actors only see values they can use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/couch.hpp"
#include "messages/result.hpp"

namespace hearth::protocols {

// POST /couch/invites (an empty body is {}: every field has a default).
result<invite_request> read_invite_body(std::string_view body);

// POST /couch/redeem: {"code", "name", "publicKey"?}.
result<redeem_request> read_redeem_body(std::string_view body);

// POST /couch/guests/{id}/activate: {"agentEndpoint"?}; the endpoint or "".
result<std::string> read_activate_body(std::string_view body);

// PUT /couch/guests/{id}/usage: counters, each a non-negative number.
result<guest_usage> read_usage_body(std::string_view body);

// POST /couch/guest/exec: {"command"} or {"argv"}, "stdin"?, "timeoutSecs"? (1-3600), "stream"?.
struct exec_body {
  exec_request request;
  bool stream = false;  // NDJSON output as it comes
};
result<exec_body> read_exec_body(std::string_view body);

// A terminal's text frame {"type": "resize", "cols", "rows"} (1-1000 each);
// nothing for any other text.
struct terminal_size {
  std::uint16_t cols = 0, rows = 0;
};
std::optional<terminal_size> read_terminal_resize(std::string_view text);

}  // namespace hearth::protocols
