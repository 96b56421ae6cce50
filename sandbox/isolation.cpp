#include "sandbox/isolation.hpp"

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <sstream>

#include <spdlog/spdlog.h>

#include "sandbox/cgroup.hpp"
#include "sandbox/system_tool.hpp"
#include "sandbox/user_network.hpp"

namespace hearth::sandbox {
namespace {

constexpr isolation_step all_steps[] = {isolation_step::cgroup, isolation_step::landlock, isolation_step::disk_quota,
                                        isolation_step::tcp_ports};
std::atomic<unsigned> waived_mask{0};
std::atomic<unsigned> warned_mask{0};
std::atomic<bool> forced_netns{false};

unsigned bit(isolation_step s) { return 1u << static_cast<unsigned>(s); }

int landlock_abi() {
  static const int abi = [] {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v > 0 ? static_cast<int>(v) : 0;
  }();
  return abi;
}

}  // namespace

const char* step_name(isolation_step s) {
  switch (s) {
    case isolation_step::cgroup: return "cgroup";
    case isolation_step::landlock: return "landlock";
    case isolation_step::disk_quota: return "disk-quota";
    case isolation_step::tcp_ports: return "tcp-ports";
  }
  return "unknown";
}

result<void> waive_isolation_steps(const std::string& names) {
  unsigned mask = 0;
  std::stringstream items(names);
  for (std::string item; std::getline(items, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) continue;
    bool known = false;
    for (auto s : all_steps)
      if (item == step_name(s)) mask |= bit(s), known = true;
    if (!known)
      return fail(sandbox_errc::unknown_isolation_step, item + " is not a step that may be waived (cgroup, landlock, disk-quota, tcp-ports)");
  }
  waived_mask = mask;
  return {};
}

bool is_waived(isolation_step s) { return (waived_mask.load() & bit(s)) != 0; }

std::vector<std::string> waived_isolation_steps() {
  std::vector<std::string> out;
  for (auto s : all_steps)
    if (is_waived(s)) out.push_back(step_name(s));
  return out;
}

result<void> step_missing(isolation_step s, const std::string& why) {
  if (!is_waived(s))
    return fail(sandbox_errc::isolation_unavailable, std::string(step_name(s)) + " cannot be applied on this host (" + why +
                                             "); refusing to start without it (the operator may waive it with "
                                             "--sandbox-allow-weaker " + step_name(s) + ")");
  if (!(warned_mask.fetch_or(bit(s)) & bit(s)))
    spdlog::warn("sandbox: running without {} as the operator allowed ({})", step_name(s), why);
  return {};
}

host_isolation probe_host_isolation() {
  host_isolation h;
  h.enforced = {"user-ns", "pid-ns", "mount-ns", "ipc-ns", "uts-ns", "net-ns", "rlimits", "no-new-privs", "seccomp"};
  limits probe;
  if (auto group = cgroup::create(run_group_name(), probe)) h.enforced.push_back((*group)->version());
  else h.missing.push_back("cgroup");
  int abi = landlock_abi();
  if (abi > 0) h.enforced.push_back("landlock-v" + std::to_string(abi));
  else h.missing.push_back("landlock");
  h.enforced.push_back(abi >= 6 && !forced_netns ? "abstract-unix-scope" : "netns-per-run");
  if (abi >= 4) h.enforced.push_back("tcp-ports");
  else h.missing.push_back("tcp-ports");
  if (user_network::available()) h.enforced.push_back("user-network");
  else h.missing.push_back("user-network");
  if (::geteuid() == 0 && !find_system_tool("mkfs.ext4").empty()) h.enforced.push_back("disk-quota");
  else h.missing.push_back("disk-quota");
  return h;
}

bool runs_need_own_netns() { return forced_netns.load() || landlock_abi() < 6; }
void force_netns_per_run(bool on) { forced_netns = on; }

}  // namespace hearth::sandbox
