// Couch guest environments on this host (the "local" backend): each guest
// gets a persistent writable home (BASE/<guest id>/home, mounted at
// /home/guest) and runs its commands in the same sandbox as offers run in,
// with the system directories read-only, its own namespaces, cgroup memory
// and process limits from its invite, and no network unless allowed. A plain
// library: the guest actor owns when and for whom it is used.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/limits.hpp"

namespace hearth::sandbox {

struct guest_exec {
  std::vector<std::string> argv;  // argv[0] is a path inside (e.g. /bin/sh)
  std::string stdin_data;
  limits lim;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(std::string_view)> on_stdout, on_stderr;
};

class local_environments {
 public:
  explicit local_environments(std::string base_dir) : base_(std::move(base_dir)) {}

  // Creates the guest's home (owned by the sandbox's uid outside).
  result<void> create(const std::string& guest_id) const;
  result<run_report> exec(const std::string& guest_id, guest_exec request) const;
  // Removes everything the guest wrote; its processes must be stopped first.
  result<void> destroy(const std::string& guest_id) const;
  bool exists(const std::string& guest_id) const;
  std::uint64_t disk_usage_bytes(const std::string& guest_id) const;
  std::string home(const std::string& guest_id) const;

 private:
  std::string base_;
};

}  // namespace hearth::sandbox
