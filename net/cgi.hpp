// RFC 3875 translation, both ways: an HTTP request into a task's input
// (meta-variables as environment, body as stdin) and a CGI program's stdout
// into an HTTP response (Status, Content-Type, Location, other headers, body).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

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
// The header block alone: the response without its body, and where the body starts.
result<std::pair<http_response, std::size_t>> parse_cgi_head(std::string_view stdout_data);

// The first chunk of a CGI program's stdout as a task streams it (past
// stream_threshold_bytes): its header block answers at once (status,
// headers, extra_headers, and a chunked body), so a large response is never
// held whole. Returns the body the rest goes to, the first chunk's own body
// bytes in rest; null when the head is malformed (nothing was answered: the
// task's answer says so).
std::shared_ptr<body_stream> start_cgi_stream(const responder& respond, const header_list& extra_headers,
                                              const std::string& task_id, std::string_view first, std::string& rest);

}  // namespace hearth::net
