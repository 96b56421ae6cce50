// A seller's end of the hub's SSH relay (for buyers who cannot reach the
// seller directly): each stream the hub opens is a TCP connection to the
// job's own sshd door on this machine, its bytes carried as binary frames
// over the seller's hub WebSocket both ways. One reader thread per stream;
// writes to the job's socket block (TCP's flow control is the relay's).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace hearth::client {

class seller_relay {
 public:
  // connect: a socket connected to the job's sshd (-1: no such job here).
  // send_bytes / send_close: to the hub (false when the link is down).
  struct hooks {
    std::function<int(const std::string& job_id)> connect;
    std::function<bool(std::uint32_t stream, std::string_view bytes)> send_bytes;
    std::function<bool(std::uint32_t stream)> send_close;
  };
  explicit seller_relay(hooks h) : hooks_(std::move(h)) {}
  ~seller_relay();  // every stream closed, every reader joined

  void open(std::uint32_t stream, const std::string& job_id);
  void bytes(std::uint32_t stream, std::string_view data);
  void close(std::uint32_t stream);
  void close_all();  // the hub went away

 private:
  struct relayed;
  void reap();
  hooks hooks_;
  std::mutex mu_;
  std::map<std::uint32_t, std::shared_ptr<relayed>> streams_;
  std::vector<std::shared_ptr<relayed>> ended_;  // readers to join
};

// A TCP connection to port on address (IPv4), or -1.
int connect_tcp(const std::string& address, std::uint16_t port);

}  // namespace hearth::client
