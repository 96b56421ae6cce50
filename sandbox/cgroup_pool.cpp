#include "sandbox/cgroup_pool.hpp"

namespace hearth::sandbox {

cgroup_pool::cgroup_pool(std::size_t max_kept) : max_kept_(max_kept) {
  static std::once_flag swept;
  std::call_once(swept, cgroup::remove_stale);
}

void cgroup_pool::sweep_draining() {
  for (auto it = draining_.begin(); it != draining_.end();) {
    if ((*it)->populated()) {
      ++it;
      continue;
    }
    if (idle_count_ < max_kept_) {
      ++idle_count_;
      idle_[(*it)->settings()].push_back(std::move(*it));
    }
    it = draining_.erase(it);  // over the bound: removed (empty, so at once)
  }
}

result<std::unique_ptr<cgroup>> cgroup_pool::acquire(const limits& lim) {
  std::unique_ptr<cgroup> group;
  {
    std::lock_guard lock(mu_);
    sweep_draining();
    auto it = idle_.find(cgroup_settings(lim));
    if (it != idle_.end() && !it->second.empty()) {
      group = std::move(it->second.back());
      it->second.pop_back();
      --idle_count_;
    }
  }
  if (!group) {
    auto made = cgroup::create(run_group_name(), lim);
    if (!made) return made.error();
    group = std::move(*made);
  }
  // A group that cannot count afresh is still a good group for this one run.
  group->restart_accounting();
  return group;
}

void cgroup_pool::give_back(std::unique_ptr<cgroup> group) {
  if (!group) return;
  group->kill_all();
  if (!group->reusable()) return;  // removed here
  std::lock_guard lock(mu_);
  if (draining_.size() + idle_count_ >= max_kept_) return;
  draining_.push_back(std::move(group));
}

std::size_t cgroup_pool::kept() const {
  std::lock_guard lock(mu_);
  return idle_count_ + draining_.size();
}

}  // namespace hearth::sandbox
