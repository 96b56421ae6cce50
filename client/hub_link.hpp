// A seller's connection to its hub: finds the seller WebSocket from the
// hub's base URL, answers the challenge with a hello signed by the seller's
// key, then hands every hub message to on_message, decoded. When the socket
// ends (or never opens) it tries again with exponential backoff and jitter
// (from 0.5 s, doubling, at most max_backoff), forever until stopped.
// on_state is told when a session is up (the welcome) and when it is down.
// Runs on a thread of its own; send works from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/websocket_client.hpp"
#include "crypto/secp256k1_key.hpp"
#include "protocols/market_wire.hpp"

namespace hearth::client {

// "http://host:port" (or with a path prefix) -> its seller WebSocket URL.
std::string seller_socket_url(const std::string& hub_url);

class hub_link {
 public:
  struct events {
    std::function<void(const std::string& seller_id, std::uint64_t heartbeat_ms)> up;
    std::function<void(const std::string& why)> down;
    std::function<void(protocols::hub_message)> message;  // after the welcome
    std::function<void(std::uint32_t stream, std::string bytes)> bytes;  // a relayed stream's binary frame
  };
  // hello: everything but the signature and the address, which the link adds.
  hub_link(std::string hub_url, crypto::private_key key, seller_hello hello, events on,
           std::chrono::milliseconds max_backoff = std::chrono::seconds(30));
  ~hub_link();  // stops and joins

  // False when no session is up (the message is dropped: heartbeats carry the state again).
  bool send(const protocols::seller_message& m);
  // A relayed stream's bytes (one binary frame; waits while the hub is slow to read).
  bool send_bytes(std::uint32_t stream, std::string_view bytes);

 private:
  void run();
  bool session();  // one connection, until it ends; true when it got as far as the welcome
  std::string url_;
  crypto::private_key key_;
  seller_hello hello_;
  events on_;
  std::chrono::milliseconds max_backoff_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::shared_ptr<websocket_client> ws_;  // the session's, under mu_
  std::thread thread_;
};

}  // namespace hearth::client
