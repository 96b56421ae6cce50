// Internet for a sandbox that has a network namespace of its own, without
// touching the host's interfaces or firewall: slirp4netns (user-mode NAT,
// the rootless containers' way) serves a tap device in that namespace and
// makes the sandbox's connections as the node's own. The namespace's own
// counters then say exactly what the sandbox sent (its egress). The host's
// loopback services stay out of reach unless host_loopback.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "messages/result.hpp"

namespace hearth::sandbox {

class user_network {
 public:
  static bool available();  // slirp4netns is installed
  // Attaches to pid's network namespace; returns once its interface is up.
  static result<std::unique_ptr<user_network>> attach(pid_t pid, bool host_loopback);
  ~user_network();  // slirp4netns exits (the namespace loses its interface)

  // Bytes sent on the interfaces of pid's network namespace, loopback aside.
  static std::uint64_t egress_bytes(pid_t pid);

 private:
  user_network() = default;
  pid_t helper_ = -1;
  int exit_fd_ = -1;  // closing it ends slirp4netns
};

}  // namespace hearth::sandbox
