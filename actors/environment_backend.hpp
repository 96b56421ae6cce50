// Where couch guests' environments live. "local" (sandbox/guest_env on this
// host) is the one built in; a VM backend (Firecracker, a cloud API like the
// seed's) implements the same calls. All calls may block: guest actors make
// them from detached helpers, never on the scheduler.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "messages/couch.hpp"
#include "messages/result.hpp"

namespace hearth::actors {

class environment_backend {
 public:
  virtual ~environment_backend() = default;
  virtual std::string name() const = 0;
  // Builds the guest's environment; returns its agent endpoint (a path on this node or a URL).
  virtual result<std::string> create(const guest_record& g) = 0;
  // sink (may be empty) gets the output as it comes; the result carries it whole too.
  virtual result<exec_result> exec(const guest_record& g, const exec_request& r, const std::atomic<bool>* cancel,
                                   const exec_sink& sink) = 0;
  // Every process of the environment is stopped before it is removed.
  virtual result<void> destroy(const std::string& guest_id) = 0;
  virtual std::uint64_t disk_usage_mb(const std::string& guest_id) = 0;
};

// The guest's home under base_dir/<id>, commands in the offers' sandbox.
std::shared_ptr<environment_backend> make_local_backend(std::string base_dir);

}  // namespace hearth::actors
