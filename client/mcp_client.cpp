#include "client/mcp_client.hpp"

#include "client/http_client.hpp"

namespace hearth::client {

using nlohmann::json;

mcp_session::mcp_session(std::string url) : url_(std::move(url)) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (url_.size() < 4 || url_.compare(url_.size() - 4, 4, "/mcp") != 0) url_ += "/mcp";
}

result<json> mcp_session::call(const std::string& method, const json& params, std::chrono::milliseconds timeout) {
  json msg = {{"jsonrpc", "2.0"}, {"id", ++next_id_}, {"method", method}, {"params", params}};
  client_request req{"POST", url_, {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}},
                     msg.dump(), timeout, nullptr};
  if (!protocol_.empty()) req.headers.emplace_back("MCP-Protocol-Version", protocol_);
  auto res = send_request(req);
  if (!res) return res.error();
  auto body = json::parse(res->body, nullptr, false);
  if (!body.is_object()) return fail(client_errc::bad_answer, "the server answered " + std::to_string(res->status) + " without JSON-RPC");
  if (body.contains("error") && body["error"].is_object())
    return fail(client_errc::rpc_error, body["error"].value("message", std::string("error")) + " (" +
                                 std::to_string(body["error"].value("code", 0)) + ")");
  auto result_it = body.find("result");
  if (result_it == body.end() || !result_it->is_object()) return fail(client_errc::bad_answer, "the answer has no result object");
  return *result_it;
}

result<void> mcp_session::initialize() {
  auto r = call("initialize", {{"protocolVersion", "2025-11-25"},
                               {"capabilities", json::object()},
                               {"clientInfo", {{"name", "hearth"}, {"version", HEARTH_VERSION}}}},
                std::chrono::seconds(30));
  if (!r) return r.error();
  protocol_ = r->value("protocolVersion", "2025-11-25");
  return {};
}

result<std::vector<json>> mcp_session::list_tools() {
  std::vector<json> tools;
  json params = json::object();
  for (int page = 0; page < 1000; ++page) {
    auto r = call("tools/list", params, std::chrono::seconds(60));
    if (!r) return r.error();
    if (r->contains("tools") && (*r)["tools"].is_array())
      for (auto& t : (*r)["tools"]) tools.push_back(t);
    if (!r->contains("nextCursor") || !(*r)["nextCursor"].is_string()) break;
    params["cursor"] = (*r)["nextCursor"];
  }
  return tools;
}

}  // namespace hearth::client
