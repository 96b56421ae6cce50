#include "sandbox/warm_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iterator>

#include "sandbox/isolation.hpp"

namespace hearth::sandbox {
namespace {

std::string pool_key(const launch_spec& spec) { return spec.executable + (spec.lim.network ? "\n+net" : "\n-net"); }

}  // namespace

warm_pool::warm_pool(std::size_t capacity, std::chrono::seconds idle) : capacity_(capacity), idle_(idle) {}

std::size_t warm_pool::size() const {
  std::lock_guard lock(mu_);
  return sandboxes_.size();
}

std::vector<pid_t> warm_pool::pids() const {
  std::lock_guard lock(mu_);
  std::vector<pid_t> out;
  for (const auto& [key, e] : sandboxes_) out.push_back(e.sandbox->pid());
  return out;
}

void warm_pool::retire_idle() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = sandboxes_.begin(); it != sandboxes_.end();)
    it = now - it->second.used > idle_ ? sandboxes_.erase(it) : std::next(it);
  while (sandboxes_.size() >= capacity_) {
    auto oldest = std::min_element(sandboxes_.begin(), sandboxes_.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    sandboxes_.erase(oldest);
  }
}

result<std::shared_ptr<warm_sandbox>> warm_pool::acquire(const std::string& key, const launch_spec& spec, bool fresh) {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(key);
  if (it != sandboxes_.end() && !fresh && it->second.sandbox->alive()) {
    it->second.used = std::chrono::steady_clock::now();
    return it->second.sandbox;
  }
  if (it != sandboxes_.end()) sandboxes_.erase(it);
  retire_idle();
  zygote_options o;
  o.network = spec.lim.network;
  o.private_network = spec.lim.network;  // never the host's network namespace
  o.run_groups = run_groups_;
  auto started = warm_sandbox::start(spec.executable, o);
  if (!started) return started.error();
  if (o.private_network) {
    auto net = user_network::attach((*started)->pid(), false);
    if (!net) return net.error();
    (*started)->keep_network(std::move(*net));
  }
  sandboxes_[key] = {*started, std::chrono::steady_clock::now()};
  return *started;
}

result<std::unique_ptr<sandboxed_process>> warm_pool::launch(const launch_spec& spec) {
  if (!spec.writable.empty() || spec.workdir != "/tmp") return sandbox::launch(spec);  // warm runs have no persistent dirs
  // Runs with network share their zygote's namespace; only Landlock's
  // abstract-socket scope keeps them apart, so without it they start cold.
  if (spec.lim.network && runs_need_own_netns()) return sandbox::launch(spec);
  if (restricts_tcp(spec.lim)) return sandbox::launch(spec);  // port rules are per offer, the zygote's Landlock is not
  if (spec.lim.network && !user_network::available()) return sandbox::launch(spec);  // which refuses, naming why
  auto key = pool_key(spec);
  for (bool fresh : {false, true}) {
    auto sandbox = acquire(key, spec, fresh);
    if (!sandbox) {
      if (sandbox.error().code == offer_errc::unsupported_architecture || sandbox.error().code == sandbox_errc::file_unreadable)
        return sandbox.error();
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true))
        spdlog::warn("sandbox: warm sandboxes unavailable ({}); runs start cold", sandbox.error().message);
      return sandbox::launch(spec);
    }
    auto run = (*sandbox)->launch(spec);
    if (run || run.error().code != sandbox_errc::sandbox_gone) {
      if (!run && (run.error().code == sandbox_errc::cgroup_unavailable || run.error().code == sandbox_errc::request_too_large))
        return sandbox::launch(spec);
      return run;
    }
  }
  return fail(sandbox_errc::sandbox_setup_failed, "warm sandbox died twice in a row");
}

}  // namespace hearth::sandbox
