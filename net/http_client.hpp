// A blocking HTTP/1.1 client for the CLI (hearth offer, and later curl and
// the MCP gateway's backends): one request per call, bounded by a timeout.
#pragma once

#include <chrono>
#include <string>

#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

struct client_request {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query
  header_list headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};
};

result<http_response> send_request(const client_request& req);

}  // namespace hearth::net
