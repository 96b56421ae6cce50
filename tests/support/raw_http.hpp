// Test support: a plain TCP client for sending exact (also malformed) bytes
// and reading HTTP/1.1 responses, each read bounded by a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace hearth::test {

struct response {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class raw_connection {
 public:
  // source: the local address to connect from (e.g. 127.0.0.2); empty: any.
  explicit raw_connection(std::uint16_t port, const std::string& source = "");
  ~raw_connection();
  bool send(const std::string& bytes);
  // One response (Content-Length framed; no body after HEAD); nullopt when
  // the peer closes first or the deadline passes.
  std::optional<response> read_response(std::chrono::milliseconds deadline = std::chrono::seconds(10),
                                        bool head = false);
  // Whatever bytes arrive next, as they are (nullopt at EOF or the deadline).
  std::optional<std::string> read_some(std::chrono::milliseconds deadline);
  // True when the peer closes the connection (EOF) before the deadline.
  bool wait_closed(std::chrono::milliseconds deadline);

 private:
  bool fill(std::chrono::steady_clock::time_point until);
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// One request on a fresh connection.
std::optional<response> http_exchange(std::uint16_t port, const std::string& raw_request);

}  // namespace hearth::test
