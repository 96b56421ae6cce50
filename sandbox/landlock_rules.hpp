// Landlock filesystem rules for the sandbox's own root (after pivot_root):
// the system directories read and execute, /tmp read-write, nothing else.
// From ABI 6 the domain is also scoped: abstract unix sockets and signals
// cannot reach processes outside it (another run, the warm sandbox's zygote).
// With a TCP allowlist (ABI 4 and later) bind and connect are handled too and
// allowed to the listed ports only. The parent prepares the rules; the child
// applies them with syscalls only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hearth::sandbox {

struct landlock_rule {
  std::string path;
  std::uint64_t access;  // LANDLOCK_ACCESS_FS_* bits
};

struct landlock_plan {
  int abi = 0;                  // 0: the kernel has no Landlock
  std::uint64_t handled = 0;    // every right of that ABI
  std::uint64_t scoped = 0;     // LANDLOCK_SCOPE_* bits (ABI 6 and later)
  std::vector<landlock_rule> rules;
  std::uint64_t handled_net = 0;  // LANDLOCK_ACCESS_NET_* bits when TCP ports are restricted
  std::vector<std::pair<std::uint16_t, std::uint64_t>> port_rules;  // port, allowed access
};

// Adds TCP port rules to plan: false when the kernel's Landlock is older
// than ABI 4 (the caller decides whether that may be waived).
bool plan_tcp_ports(landlock_plan& plan, const std::vector<std::uint16_t>& bind_ports,
                    const std::vector<std::uint16_t>& connect_ports);

// readable_dirs: read-only binds outside the system tree (a job's sshd set-up).
landlock_plan plan_landlock(const std::vector<std::string>& writable_dirs = {},
                            const std::vector<std::string>& readable_dirs = {});

// Child side, async-signal-safe: returns 0 or the errno of the failing call.
int apply_landlock(const landlock_plan& plan);

}  // namespace hearth::sandbox
