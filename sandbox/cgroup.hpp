// A per-run control group carrying the memory, process-count and CPU limits,
// on cgroup v2 when its controllers are available, else on the v1
// hierarchies. Reads peak memory, CPU time and OOM kills; removes itself.
// When the host allows neither (no permission), create() says why and the
// run relies on rlimits alone.
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
  static result<std::unique_ptr<cgroup>> create(const std::string& name, const limits& lim);
  ~cgroup();  // kills what is left inside and removes the directories

  result<void> add(pid_t pid);
  std::uint64_t peak_memory_bytes() const;
  double cpu_secs() const;
  bool oom_killed() const { return oom_kills() > 0; }
  std::uint64_t oom_kills() const;
  void kill_all();
  const char* version() const { return v2_ ? "cgroup-v2" : "cgroup-v1"; }

 private:
  cgroup() = default;
  bool v2_ = false;
  std::vector<std::string> dirs_;  // v2: one; v1: memory, pids, cpu, cpuacct (those present)
  std::string memory_dir_, pids_dir_, cpu_dir_, cpuacct_dir_;
};

}  // namespace hearth::sandbox
