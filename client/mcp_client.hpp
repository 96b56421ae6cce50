// A client of one node's MCP endpoint (Streamable HTTP, JSON answers): the
// initialize handshake, then one blocking JSON-RPC request per call. Used
// by `hearth mcp list|call` and the stdio gateway.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace hearth::client {

class mcp_session {
 public:
  // url: the node (its /mcp is appended) or the endpoint itself.
  explicit mcp_session(std::string url);
  // The result, or a failure: "rpc_error" (the JSON-RPC error's message and
  // code), "bad_answer", or the HTTP client's failure.
  result<nlohmann::json> call(const std::string& method, const nlohmann::json& params,
                              std::chrono::milliseconds timeout = std::chrono::seconds(3700));
  result<void> initialize();
  // Every tool, following nextCursor.
  result<std::vector<nlohmann::json>> list_tools();
  const std::string& url() const { return url_; }

 private:
  std::string url_, protocol_;
  int next_id_ = 0;
};

}  // namespace hearth::client
