// The TCP port buyers reach one job's sshd on (a seller's side): listens on
// an address and port (0: any free port), and hands each accepted
// connection to on_connection, which owns the descriptor from then on. A
// plain listener on a thread of its own; closing it stops new connections
// (sessions already handed on are the environment's to end).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "messages/result.hpp"

namespace hearth::sandbox {

class ssh_door {
 public:
  static result<std::unique_ptr<ssh_door>> open(const std::string& address, std::uint16_t port,
                                                std::function<void(int fd)> on_connection);
  ~ssh_door();
  std::uint16_t port() const { return port_; }

 private:
  ssh_door() = default;
  int fd_ = -1;
  int stop_fd_ = -1;  // an eventfd: the destructor's wake-up
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace hearth::sandbox
