// RFC 3875 translation, both ways: an HTTP request into a task's input
// (meta-variables as environment, body as stdin) and a CGI program's stdout
// into an HTTP response (Status, Content-Type, Location, other headers, body).
#pragma once

#include <functional>
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

// A CGI program's stdout as a task streams it (past stream_threshold_bytes):
// the first chunk's header block starts the response at once (status,
// headers, and a chunked body the rest goes to), so a large response is
// never held whole. The task's end then ends the body: whole when it ended
// well, cut (no last chunk) otherwise. Used on one actor's thread at a time.
class cgi_streamer {
 public:
  cgi_streamer(responder respond, header_list extra_headers);
  // more: send the next chunk; full: the client is behind, on_room is called
  // once it has read; stopped: the client is gone or the head is malformed
  // (the task's answer then says so), send no more.
  enum class next { more, full, stopped };
  next write(const std::string& task_id, std::string_view data, std::function<void()> on_room);
  bool started() const { return body_ != nullptr; }
  void end(bool whole);

 private:
  responder respond_;
  header_list extra_;
  std::shared_ptr<body_stream> body_;
  bool refused_ = false;
};

}  // namespace hearth::net
