// A WebSocket client for the CLI (hearth shell) and the tests: connects with
// a deadline, then reads on its own io thread into a queue; send and close
// work from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::client {

// The HTTP vocabulary is the edge's (net/http_types.hpp).
using net::header_list;
using net::http_response;

struct websocket_message {
  std::string data;
  bool binary = false;
};

class websocket_client {
 public:
  // url: http[s]://host:port/path?query (or ws[s]://; https and wss verify
  // the server as send_request does). A refused handshake fails with the
  // HTTP status and body the server answered with.
  static result<std::unique_ptr<websocket_client>> connect(const std::string& url, const header_list& headers,
                                                           std::chrono::milliseconds timeout);
  ~websocket_client();

  // Blocks while send_queue_bytes wait to be written (a peer that does not read).
  static constexpr std::size_t send_queue_bytes = 4u << 20;
  void send(std::string data, bool binary);
  // The next message; nullopt once the socket has closed and every message
  // was taken, or when timeout passes first (see closed()).
  std::optional<websocket_message> receive(std::chrono::milliseconds timeout);
  bool closed() const;
  void close();

  struct impl;

 private:
  explicit websocket_client(std::shared_ptr<impl> p) : impl_(std::move(p)) {}
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::client
