// Reading a JSON-RPC 2.0 request as hearth's MCP server (POST /mcp) and its
// stdio gateway receive it: the framing rules and the params of the methods
// both serve, one implementation, so a hostile message is refused the same
// way wherever it arrives. Plain values, no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace hearth::mcp {

enum rpc_code {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603
};

struct rpc_request {
  nlohmann::json id;          // a string or an integer; null for a notification
  bool notification = false;  // no id: never answered
  std::string method;
  nlohmann::json params;  // an object for a request; as sent for a notification
};

// What to answer instead (always with id, null when the message had none usable).
struct rpc_refusal {
  nlohmann::json id;
  int code = invalid_request;
  std::string message;
};

std::variant<rpc_request, rpc_refusal> read_rpc_request(std::string_view text);

// tools/call's params.
struct tool_call {
  std::string name;
  nlohmann::json arguments;  // an object
  nlohmann::json meta;       // _meta as an object (empty when absent or not an object)
};

std::variant<tool_call, rpc_refusal> read_tool_call(const nlohmann::json& id, const nlohmann::json& params);

// tools/list's cursor: "" when absent; a refusal when it is not a string.
std::variant<std::string, rpc_refusal> read_cursor(const nlohmann::json& id, const nlohmann::json& params);

}  // namespace hearth::mcp
