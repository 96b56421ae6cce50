#include "protocols/mcp_requests.hpp"

namespace hearth::mcp {

using nlohmann::json;

std::variant<rpc_request, rpc_refusal> read_rpc_request(std::string_view text) {
  auto msg = json::parse(text.begin(), text.end(), nullptr, false);
  if (msg.is_discarded()) return rpc_refusal{nullptr, parse_error, "parse error: the message is not JSON"};
  auto id = msg.is_object() ? msg.find("id") : msg.end();
  bool has_id = msg.is_object() && id != msg.end();
  bool id_ok = !has_id || id->is_string() || id->is_number_integer();
  auto version = msg.is_object() ? msg.find("jsonrpc") : msg.end();
  auto method = msg.is_object() ? msg.find("method") : msg.end();
  if (!msg.is_object() || version == msg.end() || *version != "2.0" || method == msg.end() || !method->is_string() ||
      !id_ok)
    return rpc_refusal{has_id && id_ok ? *id : json(nullptr), invalid_request,
                       "invalid request: a JSON-RPC 2.0 object with a method"};
  rpc_request r;
  r.notification = !has_id;
  if (has_id) r.id = *id;
  r.method = method->get<std::string>();
  auto params = msg.find("params");
  r.params = params == msg.end() ? json::object() : *params;
  if (!r.notification && !r.params.is_object()) return rpc_refusal{r.id, invalid_params, "params must be an object"};
  return r;
}

std::variant<tool_call, rpc_refusal> read_tool_call(const json& id, const json& params) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) return rpc_refusal{id, invalid_params, "tools/call needs a tool name"};
  tool_call c;
  c.name = name->get<std::string>();
  auto arguments = params.find("arguments");
  c.arguments = arguments == params.end() ? json::object() : *arguments;
  if (!c.arguments.is_object()) return rpc_refusal{id, invalid_params, "arguments must be an object"};
  auto meta = params.find("_meta");
  c.meta = meta != params.end() && meta->is_object() ? *meta : json::object();
  return c;
}

std::variant<std::string, rpc_refusal> read_cursor(const json& id, const json& params) {
  auto cursor = params.find("cursor");
  if (cursor == params.end()) return std::string();
  if (!cursor->is_string()) return rpc_refusal{id, invalid_params, "cursor must be a string"};
  return cursor->get<std::string>();
}

}  // namespace hearth::mcp
