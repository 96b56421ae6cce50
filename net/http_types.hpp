// Plain HTTP request/response values passed between the Beast sessions and
// the route handlers, so that only http_server.cpp includes Beast.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "messages/result.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

// First value of a header in headers, case-insensitive name; empty when absent.
std::string_view find_header(const header_list& headers, std::string_view name);

struct http_request {
  std::string method;  // upper case as sent: GET, POST, ...
  std::string target;  // raw request target
  std::string path;    // target before '?'
  std::string query;   // after '?', without it
  unsigned version = 11;
  header_list headers;
  std::string body;
  // A large body on a spooled route is written to this file as it arrives
  // (body stays empty); the file is removed once the request is answered.
  std::string body_file;
  std::uint64_t body_file_size = 0;
  std::string remote_address;
  std::uint16_t remote_port = 0;
  bool websocket_upgrade = false;  // a WebSocket handshake (answer it with http_response::upgrade)

  // First value of a header, case-insensitive name; empty when absent.
  std::string_view header(std::string_view name) const;
};

// A response body produced over time, sent chunked: a producer pushes from
// any thread; the connection writes what has arrived and waits for more.
// push blocks while max_pending bytes wait for a slow client (the producer
// slows down with it) and is false once the connection is gone.
class body_stream {
 public:
  explicit body_stream(std::size_t max_pending = 1u << 20) : max_pending_(max_pending) {}
  bool push(std::string data);
  // push for a producer that waits by message, not on a thread: the data is
  // taken whatever the fill; room says there is room for more, full that
  // on_room will be called (once, from the connection's thread) when the
  // connection has taken what is pending or has gone.
  enum class fill { room, full, gone };
  fill offer(std::string data, std::function<void()> on_room);
  void finish() { end(false); }
  void abort() { end(true); }  // the body is cut short: the connection closes without its last chunk

  // The connection's side: everything available (and whether the body has
  // ended, and how), or, when nothing is, registers wake to be called once
  // when there is.
  bool take(std::string& out, bool& done, bool& aborted, std::function<void()> wake);
  void gone();  // the connection closed: producers stop waiting

 private:
  void end(bool aborted);
  std::mutex mu_;
  std::condition_variable room_;
  std::string pending_;
  std::size_t max_pending_;
  bool finished_ = false, aborted_ = false, gone_ = false;
  std::function<void()> wake_;
  std::function<void()> on_room_;
};

// A WebSocket a route accepted. send and close work from any thread but an
// io thread: send blocks while too much is queued for a peer that does not
// read (the producer slows down with it); false once the socket is closed.
class websocket_channel {
 public:
  virtual ~websocket_channel() = default;
  virtual bool send(std::string data, bool binary) = 0;
  // send that never waits: false (nothing queued) when the bound is reached,
  // for a sender that must not block (an actor relaying a byte stream).
  virtual bool try_send(std::string data, bool binary) = 0;
  virtual void close(std::uint16_t code, const std::string& reason) = 0;  // after what is queued
};

struct websocket_handler {
  std::function<void(std::shared_ptr<websocket_channel>)> on_open;
  std::function<void(std::string data, bool binary)> on_message;  // one whole message at a time
  std::function<void()> on_close;  // once, however the socket ended
};

struct http_response {
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
  unsigned status = 200;
  header_list headers;  // repeated names are kept (Set-Cookie)
  std::string body;
  std::shared_ptr<body_stream> stream = nullptr;  // when set, the body comes from it (chunked), not from body
  // For a websocket_upgrade request: accept the handshake and hand the socket to this.
  std::shared_ptr<websocket_handler> upgrade = nullptr;
};

// Called exactly once per request, from any thread.
using responder = std::function<void(http_response)>;
using request_handler = std::function<void(http_request, responder)>;

struct http_limits {
  std::size_t header_bytes = 16 * 1024;
  std::uint64_t body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};   // first byte to end of header
  std::chrono::milliseconds body_timeout{30000};     // end of header to end of body
  std::chrono::milliseconds idle_timeout{30000};     // keep-alive wait for the next request
  std::chrono::milliseconds handler_timeout{3660000};  // request to response (a task may run an hour)
  std::chrono::milliseconds drain_timeout{10000};    // graceful shutdown bound
  unsigned max_requests_per_connection = 1000;
  unsigned max_connections = 1024;
  unsigned max_connections_per_address = 256;  // one peer address's share of max_connections
  std::uint64_t upload_bytes = 256ull << 20;  // POST bodies to upload_path (offer executables)
  std::string upload_path = "/offers";
  // Routes whose bodies may be large (CGI): a body above spool_threshold, or
  // of unknown length, goes to a file in spool_dir, up to spool_bytes.
  std::string spool_dir;  // empty: nothing is spooled
  std::function<bool(std::string_view path)> spooled_route;
  std::uint64_t spool_threshold = 64 * 1024;
  std::uint64_t spool_bytes = 1ull << 30;
};

// A query parameter's value, percent- and plus-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name);

// A JSON body (serialized compactly, newline-terminated) with the given status.
http_response json_response(unsigned status, const nlohmann::json& body);

// The page size of a listing: ?limit= from 1 to 1000 (100 when absent);
// nullopt when it is anything else.
std::optional<std::uint32_t> page_limit(std::string_view query);

// {"error":{"code":..., "message":...}} with the code's status
// (messages/errors.hpp): the one error shape every hearth HTTP endpoint
// answers with.
http_response json_error(error_code code, std::string_view message);
// Unix ms as the API shows times: "2026-12-01T10:00:00Z" ("" for 0).
std::string iso_time(std::int64_t ms);
inline http_response failure_response(const failure& f) { return json_error(f.code, f.message); }

// Text for an HTML page: < > & " escaped.
std::string html_escape(const std::string& s);

// Whether a peer address is on loopback (127/8, ::1, IPv4-mapped 127/8).
bool is_loopback_peer(const std::string& address);

// 405 method_not_allowed with an Allow header.
http_response method_not_allowed(const http_request& req, const char* allow);

}  // namespace hearth::net
