// Per-run cgroups kept for reuse. Making and removing a cgroup costs the
// kernel more than the rest of a warm run (mkdir populates a dozen control
// files, rmdir waits for RCU), so a run's group, once every process of that
// run is gone, serves a later run with the same limits, its accounting
// restarted. Nothing of a run is left in it: its processes are killed and
// awaited before reuse; only page cache charged to it stays (reclaimable).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/cgroup.hpp"

namespace hearth::sandbox {

class cgroup_pool {
 public:
  explicit cgroup_pool(std::size_t max_kept = 256);
  // An empty group with these limits and fresh accounting.
  result<std::unique_ptr<cgroup>> acquire(const limits& lim);
  // Kills what is left of the run in it; it is reused once empty.
  void give_back(std::unique_ptr<cgroup> group);
  std::size_t kept() const;

 private:
  void sweep_draining();  // with mu_ held: emptied groups become idle

  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<cgroup>>> idle_;  // by settings
  std::vector<std::unique_ptr<cgroup>> draining_;                     // killed, not yet empty
  std::size_t idle_count_ = 0;
  std::size_t max_kept_;
};

}  // namespace hearth::sandbox
