// RFC 3875 translation, both ways: an HTTP request into a task's input
// (meta-variables as environment, body as stdin) and a CGI program's stdout
// into an HTTP response (Status, Content-Type, Location, other headers, body).
#pragma once

#include <string>

#include "messages/result.hpp"
#include "messages/task.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

struct cgi_context {
  std::string offer_hash;
  std::string path_info;  // after /{hash}.cgi, "/" when empty
  std::string server_name;
  std::string server_port;
};

// Payment headers (X-PAYMENT, PAYMENT-SIGNATURE, X-402-*) and Proxy
// (httpoxy) never reach the program. REMOTE_ADDR/PORT go to private_env, so
// identical requests from different clients share a task id.
task_input cgi_input(const http_request& req, const cgi_context& ctx);

// Fails with bad_cgi_output when there is no header block or a header line is malformed.
result<http_response> parse_cgi_output(const std::string& stdout_data);

}  // namespace hearth::net
