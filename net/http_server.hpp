// The HTTP/1.1 listener and its sessions on Boost.Beast. Owns the io threads,
// the acceptor and every connection. Bounded everywhere: header and body
// sizes, read deadlines, keep-alive idle time, requests per connection,
// connection count; pipelined requests are answered in order, one at a time.
// Translates nothing itself: each request goes to the request_handler.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

class server_tls;
class http_metrics;

class http_server {
 public:
  // listen is "host:port" (port 0 picks a free one). Binds before returning.
  static result<std::unique_ptr<http_server>> start(const std::string& listen, const http_limits& limits,
                                                    request_handler handler, unsigned threads = 1,
                                                    std::shared_ptr<server_tls> tls = nullptr,  // set: HTTPS
                                                    std::shared_ptr<http_metrics> metrics = nullptr);
  ~http_server();  // hard stop: closes everything and joins the io threads

  std::string host() const;
  std::uint16_t port() const;
  std::size_t open_connections() const;
  bool tls() const;

  // Stops accepting, closes idle connections, lets requests in flight finish
  // (answered with Connection: close) up to limits.drain_timeout, then closes
  // the rest. done is called once, from an io thread.
  void drain(std::function<void()> done);

  struct impl;

 private:
  explicit http_server(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;
};

// Parses "host:port"; IPv6 as "[::1]:port".
result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& listen);

}  // namespace hearth::net
