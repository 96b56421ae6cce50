// RFC 3875 translation, both ways: an HTTP request into a task's input
// (meta-variables as environment, body as stdin) and a CGI program's stdout
// into an HTTP response (Status, Content-Type, Location, other headers, body).
#pragma once

#include <atomic>
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

// A CGI program's stdout as it is written: held until the header block and
// stream_after bytes of body have come, then answered at once with the
// status and headers and a chunked body the rest goes to (so a large
// response is never held whole). The task's end then ends the body: whole
// when it ended well, cut (no last chunk) otherwise. A smaller output is
// left to the finished task's answer (with its signature headers).
class cgi_streamer {
 public:
  cgi_streamer(responder respond, header_list extra_headers, std::size_t stream_after = 64 * 1024);
  void write(const std::string& task_id, std::string_view data);  // the task's output sink (its thread)
  bool started() const { return started_; }
  void end(bool whole);

 private:
  responder respond_;
  header_list extra_;
  std::size_t stream_after_;
  std::string held_;
  std::shared_ptr<body_stream> body_;
  std::atomic<bool> started_{false};
  bool refused_ = false;  // the head is malformed: the task's answer says so
};

}  // namespace hearth::net
