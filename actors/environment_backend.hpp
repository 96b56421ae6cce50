// Where couch guests' environments live. "local" (sandbox/guest_env on this
// host) is the one built in; a VM backend (Firecracker, a cloud API like the
// seed's) implements the same calls. All calls may block: guest actors make
// them from detached helpers, never on the scheduler.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include "messages/couch.hpp"
#include "messages/result.hpp"
#include "sandbox/terminal.hpp"

namespace hearth::actors {

// A command's output as it is produced (fd 1 stdout, 2 stderr); it may block.
using exec_output = std::function<void(int fd, std::string_view data)>;

class environment_backend {
 public:
  virtual ~environment_backend() = default;
  virtual std::string name() const = 0;
  // Builds the guest's environment; returns its agent endpoint (a path on this node or a URL).
  virtual result<std::string> create(const guest_record& g) = 0;
  // on_output (may be empty) gets the output as it comes; the result carries it whole too.
  virtual result<exec_result> exec(const guest_record& g, const exec_request& r, const std::atomic<bool>* cancel,
                                   const exec_output& on_output) = 0;
  // A shell on a pty in the environment (the WebSocket terminal).
  virtual result<std::shared_ptr<sandbox::terminal>> open_terminal(const guest_record& g, std::uint16_t cols,
                                                                   std::uint16_t rows) = 0;
  // Every process of the environment is stopped before it is removed.
  virtual result<void> destroy(const std::string& guest_id) = 0;
  virtual environment_usage sample(const std::string& guest_id) = 0;
  virtual std::vector<std::string> running() const = 0;  // guests whose environments have processes
};

// The guest's home under base_dir/<id>, its processes in one long-lived
// sandbox whose system directories come from rootfs (empty: the host's).
std::shared_ptr<environment_backend> make_local_backend(std::string base_dir, std::string rootfs = "");

}  // namespace hearth::actors
