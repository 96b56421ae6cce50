// One HTTP/1.1 connection (Beast): reads requests within the limits
// (header and body sizes, deadlines, keep-alive, requests per connection;
// large bodies of spooled routes to a file), hands each to the route
// handler and writes its answer (whole, or chunked from a body_stream),
// pipelined requests answered in order, one at a time; an accepted
// upgrade becomes a websocket_session.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace boost::asio::ssl {
class context;
}

#include "net/server_state.hpp"

namespace hearth::net {

class http_session {
 public:
  virtual ~http_session() = default;
  virtual void start() = 0;
  // Draining: closes the connection now if no request is in flight (or at
  // once, force).
  virtual void close_if_idle(bool force) = 0;
  // For the listener at its limit (read from its thread): whether the
  // connection waits for a request (its first, or the next on keep-alive),
  // how many it has served, its peer; shed closes it to free its slot.
  virtual bool waiting_for_request() const = 0;
  virtual unsigned requests_served() const = 0;
  virtual const std::string& peer_address() const = 0;
  virtual void shed() = 0;
};

// peer: the address the listener counts the connection under.
std::shared_ptr<http_session> make_http_session(boost::asio::ip::tcp::socket&& socket,
                                                std::shared_ptr<shared_state> shared, std::string peer);
// The same over TLS, with the context it keeps while it lives.
std::shared_ptr<http_session> make_https_session(boost::asio::ip::tcp::socket&& socket,
                                                 std::shared_ptr<shared_state> shared, std::string peer,
                                                 std::shared_ptr<boost::asio::ssl::context> context);

}  // namespace hearth::net
