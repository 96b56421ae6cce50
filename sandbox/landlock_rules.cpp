#include "sandbox/landlock_rules.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace hearth::sandbox {
namespace {

constexpr std::uint64_t read_exec = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr std::uint64_t abi1_all = (1ULL << 13) - 1;
constexpr std::uint64_t scope_abstract_unix_socket = 1ULL << 0;  // LANDLOCK_SCOPE_*, newer than these headers
constexpr std::uint64_t scope_signal = 1ULL << 1;
// Landlock's network rules (ABI 4), newer than Debian 12's headers.
constexpr int rule_net_port = 2;  // LANDLOCK_RULE_NET_PORT
constexpr std::uint64_t net_bind_tcp = 1ULL << 0;
constexpr std::uint64_t net_connect_tcp = 1ULL << 1;
struct __attribute__((packed)) net_port_attr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};

// landlock_ruleset_attr as of ABI 6; the kernel takes a prefix of it.
struct ruleset_attr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

}  // namespace

landlock_plan plan_landlock(const std::vector<std::string>& writable_dirs, const std::vector<std::string>& readable_dirs) {
  landlock_plan plan;
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi <= 0) return plan;
  plan.abi = static_cast<int>(abi);
  plan.handled = abi1_all;
  if (abi >= 2) plan.handled |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) plan.handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 6) plan.scoped = scope_abstract_unix_socket | scope_signal;
  std::uint64_t writable = plan.handled & ~LANDLOCK_ACCESS_FS_EXECUTE & ~LANDLOCK_ACCESS_FS_MAKE_CHAR &
                           ~LANDLOCK_ACCESS_FS_MAKE_BLOCK;
  plan.rules = {
      {"/usr", read_exec}, {"/etc", read_exec}, {"/sandbox", read_exec}, {"/proc", read_exec},
      // Real directories where /usr is not merged (an older golden rootfs).
      {"/bin", read_exec}, {"/sbin", read_exec}, {"/lib", read_exec}, {"/lib32", read_exec}, {"/lib64", read_exec},
      {"/libx32", read_exec}, {"/opt", read_exec},
      {"/dev", read_exec | LANDLOCK_ACCESS_FS_WRITE_FILE | (plan.handled & LANDLOCK_ACCESS_FS_TRUNCATE)},
      {"/tmp", writable},
  };
  for (const auto& dir : writable_dirs) plan.rules.push_back({dir, writable});
  for (const auto& dir : readable_dirs)
    plan.rules.push_back({dir, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR});
  return plan;
}

bool plan_tcp_ports(landlock_plan& plan, const std::vector<std::uint16_t>& bind_ports,
                    const std::vector<std::uint16_t>& connect_ports) {
  if (plan.abi < 4) return false;
  plan.handled_net = net_bind_tcp | net_connect_tcp;
  auto allow = [&plan](std::uint16_t port, std::uint64_t access) {
    for (auto& [p, a] : plan.port_rules)
      if (p == port) return void(a |= access);
    plan.port_rules.emplace_back(port, access);
  };
  for (auto p : bind_ports) allow(p, net_bind_tcp);
  for (auto p : connect_ports) allow(p, net_connect_tcp);
  return true;
}

int apply_landlock(const landlock_plan& plan) {
  if (plan.abi <= 0) return 0;
  ruleset_attr attr{plan.handled, plan.handled_net, plan.scoped};
  std::size_t size = plan.scoped ? sizeof attr
                     : plan.handled_net ? offsetof(ruleset_attr, scoped)
                                        : sizeof attr.handled_access_fs;
  int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset < 0) return errno;
  for (const auto& rule : plan.rules) {
    int fd = ::open(rule.path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // a directory this host lacks needs no rule
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rule.access & plan.handled;
    beneath.parent_fd = fd;
    long rc = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      ::close(ruleset);
      return err;
    }
  }
  for (const auto& [port, access] : plan.port_rules) {
    net_port_attr rule{access, port};
    if (::syscall(SYS_landlock_add_rule, ruleset, rule_net_port, &rule, 0) != 0) {
      int err = errno;
      ::close(ruleset);
      return err;
    }
  }
  long rc = ::syscall(SYS_landlock_restrict_self, ruleset, 0);
  int err = errno;
  ::close(ruleset);
  return rc == 0 ? 0 : err;
}

}  // namespace hearth::sandbox
