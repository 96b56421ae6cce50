// What the HTTP listener's sessions share with it: the limits, the route
// handler, the connection counts (in all and per peer address) and the drain. Outlives the io_context's
// handlers, so a session destroyed during shutdown still has it. Internal
// to net/ (the listener, http_session, websocket_session).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/http_metrics.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

class server_tls;

class http_session;

// What sessions share with the server; outlives the io_context's handlers,
// so a session destroyed during shutdown still has it.
struct shared_state {
  http_limits limits;
  std::shared_ptr<server_tls> tls;  // null: plain HTTP
  std::shared_ptr<http_metrics> metrics;  // null: nothing counted
  request_handler handler;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;
  std::vector<std::weak_ptr<http_session>> sessions;
  std::unordered_map<std::string, std::size_t> per_address;  // open connections by peer address (under mutex)
  std::function<void()> drain_done;
  // Taken shared by whoever reaches a session from outside the io threads
  // (a responder on an actor's thread) for as long as it holds the session;
  // the server closes it, exclusively, before its io_context goes, so no
  // session is touched, or destroyed, from outside after that.
  std::shared_mutex outside_mutex;
  bool io_open = true;

  void session_gone(const std::string& address) {
    std::function<void()> done;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) per_address.erase(it);
      if (--connections == 0 && draining && drain_done) done = std::exchange(drain_done, nullptr);
    }
    if (done) done();
  }
};

// Whether a header value, or a header name, can be written as it is.
inline bool header_safe(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

inline bool token_safe(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 || c == ':') return false;
  return true;
}

}  // namespace hearth::net
