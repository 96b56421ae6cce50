// Keeps one warm sandbox per (executable, network) and launches through it,
// falling back to a cold launch when a warm one cannot start; zygotes idle
// past idle are retired, the least recently used first beyond capacity.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sandbox/warm_sandbox.hpp"

namespace hearth::sandbox {

class warm_pool {
 public:
  explicit warm_pool(std::size_t capacity = 64, std::chrono::seconds idle = std::chrono::minutes(5));
  result<std::unique_ptr<sandboxed_process>> launch(const launch_spec& spec);
  std::size_t size() const;
  std::vector<pid_t> pids() const;  // the zygotes, for monitoring

 private:
  struct entry {
    std::shared_ptr<warm_sandbox> sandbox;
    std::chrono::steady_clock::time_point used;
  };
  result<std::shared_ptr<warm_sandbox>> acquire(const std::string& key, const launch_spec& spec, bool fresh);
  void retire_idle();

  mutable std::mutex mu_;
  std::map<std::string, entry> sandboxes_;
  std::size_t capacity_;
  std::chrono::seconds idle_;
  std::shared_ptr<cgroup_pool> run_groups_ = std::make_shared<cgroup_pool>();
};

}  // namespace hearth::sandbox
