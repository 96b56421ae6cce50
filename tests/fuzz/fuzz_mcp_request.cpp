// A JSON-RPC message as the MCP server (POST /mcp) and the stdio gateway
// read it: never a throw; a request has an id of a type JSON-RPC allows and
// an object of params; a refusal carries one of JSON-RPC's codes; a request
// written back out reads as the same request.
#include "protocols/mcp_requests.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using hearth::fuzz::expect;
namespace mcp = hearth::mcp;

void check_refusal(const mcp::rpc_refusal& r) {
  expect(r.code == mcp::parse_error || r.code == mcp::invalid_request || r.code == mcp::invalid_params);
  expect(r.id.is_null() || r.id.is_string() || r.id.is_number_integer());
  expect(!r.message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto read = mcp::read_rpc_request(hearth::fuzz::text_of(data, size));
  if (auto* refused = std::get_if<mcp::rpc_refusal>(&read)) {
    check_refusal(*refused);
    return 0;
  }
  auto& r = std::get<mcp::rpc_request>(read);
  expect(r.notification ? r.id.is_null() : r.id.is_string() || r.id.is_number_integer());
  if (r.notification) return 0;
  expect(r.params.is_object());
  nlohmann::json again = {{"jsonrpc", "2.0"}, {"id", r.id}, {"method", r.method}, {"params", r.params}};
  auto reread = mcp::read_rpc_request(again.dump());
  auto* same = std::get_if<mcp::rpc_request>(&reread);
  expect(same && same->id == r.id && same->method == r.method && same->params == r.params);

  auto call = mcp::read_tool_call(r.id, r.params);
  if (auto* c = std::get_if<mcp::tool_call>(&call)) {
    expect(c->arguments.is_object() && c->meta.is_object());
    expect(r.params["name"] == c->name);
  } else {
    check_refusal(std::get<mcp::rpc_refusal>(call));
  }
  auto cursor = mcp::read_cursor(r.id, r.params);
  if (auto* refused = std::get_if<mcp::rpc_refusal>(&cursor)) check_refusal(*refused);
  return 0;
}
