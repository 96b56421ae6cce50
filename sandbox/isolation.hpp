// The isolation steps a run or a guest environment takes that a host may
// lack, and the operator's word on each. The rule: every step applies, or
// the run (or guest) refuses to start with isolation_unavailable naming the
// step, unless the operator waived that step by name at start
// (`--sandbox-allow-weaker cgroup,landlock,disk-quota,tcp-ports`). Steps without which
// a sandbox would reach more than it should (a network namespace of its own
// for a sandbox with internet) cannot be waived. Process-wide: the node
// sets the waivers once, before any run.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"

namespace hearth::sandbox {

enum class isolation_step {
  cgroup,      // memory, CPU and process limits (and usage) of a run or an environment
  landlock,    // filesystem access rules (and, from ABI 6, abstract-socket and signal scoping)
  disk_quota,  // a guest home's hard size limit (root: an ext4 image on a loop device)
  tcp_ports,   // an offer's TCP port allowlist (Landlock network rules, ABI 4)
};

const char* step_name(isolation_step s);

// Sets the waived steps from their names, comma-separated ("" waives none);
// unknown_isolation_step when a name is not a step that may be waived.
result<void> waive_isolation_steps(const std::string& names);
bool is_waived(isolation_step s);
std::vector<std::string> waived_isolation_steps();

// What to do when step could not be applied (why): ok when it is waived
// (warned about once), else isolation_unavailable naming the step.
result<void> step_missing(isolation_step s, const std::string& why);

// The isolation this host gives runs and environments, probed once:
// namespaces, seccomp and no_new_privs always; cgroup-v1/v2, landlock-vN,
// abstract-unix-scope (Landlock ABI 6) or netns-per-run (the fallback that
// isolates abstract sockets on older kernels), user-network (slirp4netns),
// disk-quota. missing lists the steps the host lacks.
struct host_isolation {
  std::vector<std::string> enforced, missing;
};
host_isolation probe_host_isolation();

// Whether runs of one warm sandbox need a network namespace each to keep
// them from each other's abstract unix sockets (Landlock below ABI 6
// cannot scope them). Tests may force it to exercise the fallback.
bool runs_need_own_netns();
void force_netns_per_run(bool on);

}  // namespace hearth::sandbox
