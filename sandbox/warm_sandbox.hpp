// Warm sandboxes: the namespaces and root of a sandbox built once per
// executable, so a run costs a process, not a sandbox.
//
// A warm_sandbox is a zygote: a process that entered new user, pid, mount,
// ipc, uts (and, without network, net) namespaces, built the read-only root
// with the executable at /sandbox/exe, and then only waits for requests on
// a socket. Each run is a fresh process it clones into new pid, mount and
// ipc namespaces; that process mounts a fresh private /tmp and /proc, takes
// the run's own rlimits, Landlock domain (abstract sockets and signals
// scoped to it) and seccomp filter, is moved by the node into a fresh
// cgroup, and execs the executable as its child, exactly as a cold launch
// does. Nothing carries from one run to the next: no process, no file, no
// IPC object, and no way to reach a concurrent run.
//
// Runs of an offer's zygote go through run slots where the host allows:
// a slot is built once (its namespaces, /tmp, /proc and a pooled cgroup its
// init is moved into, off the request path), each run is forked by its init
// and so born in the cgroup, and after each run the init kills every process
// left, removes SysV objects and message queues, mounts a fresh /tmp and
// restarts pid numbering, and checks it is empty before another run may use
// it; a slot that cannot show that is discarded. Runs that need a network
// namespace of their own (Landlock below ABI 6) are cloned one by one.
//
// A couch guest's environment is the same zygote built with shared_tree:
// its runs (the guest's commands) stay in its pid, mount and ipc namespaces,
// so they share its /tmp and home and may leave processes behind (the
// zygote, as the namespace's init, reaps them); its cgroup bounds them all.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/launcher.hpp"

namespace hearth::sandbox {

// How a zygote's sandbox is built; the defaults make an offer's warm sandbox.
struct zygote_options {
  bool network = false;
  bool private_network = false;  // with network: a namespace of its own, for the caller to connect
  std::vector<writable_dir> writable;
  std::string system_root;  // where /usr, /bin, /lib..., /etc come from (read-only); empty: the host's
  std::string workdir = "/tmp";
  std::uint64_t tmp_mb = 64;  // the zygote's /tmp (a shared tree's runs all use it)
  bool shared_tree = false;
  bool devpts = false;  // a private devpts: programs inside open their own ptys (sshd)
  std::shared_ptr<cgroup> group;  // joined by the zygote before any run (shared trees)
  std::shared_ptr<cgroup_pool> run_groups;  // where runs' own groups come from; null: one made per run
};

class warm_sandbox : public std::enable_shared_from_this<warm_sandbox> {
 public:
  static result<std::shared_ptr<warm_sandbox>> start(const std::string& executable, const zygote_options& options);
  ~warm_sandbox();  // ends the zygote; runs still in flight keep it until they end

  // Fails with "sandbox_gone" when the zygote has died (start a new one).
  result<std::unique_ptr<sandboxed_process>> launch(const launch_spec& spec);
  bool alive() const;
  void kill();  // ends the zygote and, in a shared tree, every process of it
  // Waits until the zygote has ended; as its pid namespace's init it ends
  // only after every other process there has. False when timeout passed.
  bool await_exit(std::chrono::milliseconds timeout) const;
  pid_t pid() const { return pid_; }
  std::size_t idle_slots() const;
  // Keeps the zygote's internet (its network namespace's slirp4netns) for as long as it lives.
  void keep_network(std::unique_ptr<user_network> net) { net_ = std::move(net); }

 private:
  struct slot;
  warm_sandbox() = default;
  result<std::unique_ptr<sandboxed_process>> run_in_slot(std::shared_ptr<slot> s, const launch_spec& spec,
                                                         const std::string& payload);
  result<std::shared_ptr<slot>> take_slot(const limits& lim, const std::string& tmpfs_options);
  result<std::shared_ptr<slot>> make_slot(const limits& lim, const std::string& tmpfs_options, const std::string& key);
  void give_back(std::shared_ptr<slot> s);
  // One request and its answer (with the pidfd it carries).
  static result<void> send_request(int sock, const std::string& payload, const int* fds, int fd_total, int& pidfd);
  std::atomic<bool> slots_{true};  // false once a slot could not be built here: runs are cloned one by one
  mutable std::mutex slots_mu_;
  std::vector<std::shared_ptr<slot>> idle_;
  std::mutex mu_;  // one request on the socket at a time
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int socket_ = -1;
  int landlock_abi_ = 0;
  bool network_ = false;
  bool shared_tree_ = false;
  std::shared_ptr<cgroup> group_;
  std::shared_ptr<cgroup_pool> run_groups_;
  std::unique_ptr<user_network> net_;
  bool own_netns_ = false;  // each run in a network namespace of its own (abstract sockets, Landlock < 6)
};

}  // namespace hearth::sandbox
