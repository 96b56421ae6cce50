// A per-run control group carrying the memory, process-count and CPU limits,
// on cgroup v2 when its controllers are available, else on the v1
// hierarchies. Reads peak memory, CPU time and OOM kills; removes itself.
// When the host allows neither (no permission), create() says why and the
// run relies on rlimits alone. The files read or written per run stay open
// and the accounting can restart, so one group may serve run after run
// (see cgroup_pool).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/limits.hpp"

namespace hearth::sandbox {

class cgroup {
 public:
  // A per-run group is named by run_group_name(), for remove_stale() to
  // know whose it is.
  static result<std::unique_ptr<cgroup>> create(const std::string& name, const limits& lim);
  // Removes the empty groups left by processes that are gone (a node or
  // seller that crashed or was killed: runs' groups, and environments'
  // groups empty for a minute), on every hierarchy.
  static void remove_stale();
  ~cgroup();  // kills what is left inside and removes the directories

  result<void> add(pid_t pid);
  // Usage since creation or the last restart_accounting().
  std::uint64_t peak_memory_bytes() const;
  double cpu_secs() const;
  bool oom_killed() const { return oom_kills() > 0; }
  std::uint64_t oom_kills() const;
  void kill_all();
  const char* version() const { return v2_ ? "cgroup-v2" : "cgroup-v1"; }

  // Counts usage afresh from now: CPU time and OOM kills as differences,
  // the memory peak reset (v1, or v2 on Linux 6.12+). False where that is
  // not possible: such a group is used for one run only.
  bool restart_accounting();
  bool reusable() const { return restartable_; }  // restart_accounting() has not failed
  bool populated() const;  // some process is still inside
  const std::string& settings() const { return settings_; }  // the limits it enforces, as one key

 private:
  cgroup() = default;
  bool v2_ = false;
  std::vector<std::string> dirs_;  // v2: one; v1: memory, pids, cpu, cpuacct (those present)
  std::string memory_dir_, pids_dir_, cpu_dir_, cpuacct_dir_;
  std::string settings_;
  result<void> open_files();
  // Open for the group's lifetime (-1 when the file is missing): cgroup.procs
  // of each directory; cgroup.kill (v2); CPU usage; memory peak; OOM kills;
  // who is inside (v2: cgroup.events; v1 reads its process list afresh,
  // as a list read through an open file may come from the kernel's cache).
  std::vector<int> procs_fds_;
  int kill_fd_ = -1, usage_fd_ = -1, peak_fd_ = -1, oom_fd_ = -1, members_fd_ = -1;
  std::uint64_t cpu_base_usec_ = 0, oom_base_ = 0;
  bool restartable_ = true;
};

// The key a group made for these limits has (see cgroup::settings).
std::string cgroup_settings(const limits& lim);
// A new per-run group's name: "run-<this process's pid>-<count>".
std::string run_group_name();

}  // namespace hearth::sandbox
