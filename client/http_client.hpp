// A blocking HTTP/1.1 client for the CLI (hearth offer, and later curl and
// the MCP gateway's backends): one request per call, bounded by a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::client {

// The HTTP vocabulary is the edge's (net/http_types.hpp).
using net::header_list;
using net::http_response;

struct client_request {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query
  header_list headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // for each slice sent and for the answer
  std::function<void(std::uint64_t sent, std::uint64_t total)> on_progress;  // body bytes, as they go out
};

result<http_response> send_request(const client_request& req);

struct url_parts {
  std::string host, port, target;
};
// http://host[:port]/target (port 80 when absent).
result<url_parts> parse_url(const std::string& url);

}  // namespace hearth::client
