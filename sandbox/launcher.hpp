// Starts one executable inside a fresh sandbox, as one ordered list of steps
// that fails closed: any step that fails stops the launch, and the error
// names the step and the exact call (e.g. "mount bind /usr -> /usr: EPERM").
//
// The child gets new user, pid, mount, ipc, uts and network namespaces (the
// network one with no interface, or, when the limits allow network, joined
// to the internet by slirp4netns without the host's loopback); a minimal
// root: system directories read-only, a few /etc files, /dev with null, zero,
// full, random, urandom, a private /proc, a size-capped writable /tmp and the
// executable at /sandbox/exe; an unprivileged uid (1000 inside; nobody
// outside when hearth runs as root); rlimits; a cgroup; no_new_privs;
// Landlock; seccomp. A host lacking cgroups or Landlock refuses the run
// unless the operator waived that step (sandbox/isolation.hpp). Everything the child needs is prepared
// before clone, so the child only makes system calls. The child then stays
// as the namespace's init (pid 1) and runs the executable as its child.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/cgroup_pool.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/user_network.hpp"

namespace hearth::sandbox {

// A host directory the sandbox may write, mounted at inside.
// A host directory (or, read-only, a file) bound into the sandbox at inside.
struct writable_dir {
  std::string host, inside;
  bool read_only = false;  // seen, not written (a job's sshd configuration, its /etc/passwd)
};

struct launch_spec {
  std::string executable;         // host path
  std::vector<std::string> args;  // argv[1...]
  std::vector<std::string> env;   // "NAME=value"; nothing else is inherited
  limits lim;
  std::string argv0 = "/sandbox/exe";
  std::vector<writable_dir> writable;  // persistent directories (a couch guest's home); cold launches only
  std::string workdir = "/tmp";        // where the program starts
  // A pty's slave (not owned): the program's stdin, stdout, stderr and
  // controlling terminal. Runs in a guest environment only.
  int terminal_fd = -1;
  // A connected socket (not owned): the program's stdin and stdout, its
  // stderr a pipe (an inetd-style server: sshd -i). Guest environments only.
  int stdio_fd = -1;
};

// A running sandboxed process (pid is the sandbox's init). Owns its
// descriptors and its cgroup; killing and reaping are the runner's job.
struct sandboxed_process {
  pid_t pid = -1;
  int pidfd = -1;
  int stdin_fd = -1;   // write end
  int stdout_fd = -1;  // read end
  int stderr_fd = -1;  // read end
  int status_fd = -1;  // read end: the sandbox init's report of the workload's end
  std::unique_ptr<cgroup> group;  // the run's own; null when the host gave none
  std::shared_ptr<cgroup_pool> group_home;  // where group goes back when the run is over; null: removed
  std::function<void(std::unique_ptr<cgroup>)> return_group;  // a run slot's: takes group back with the slot
  std::shared_ptr<cgroup> shared_group;  // a guest environment's, which the run shares
  std::uint64_t oom_kills_before = 0;    // the shared group's OOM kills when the run started
  std::string enforcement;
  bool own_child = false;    // a child of this process (reap it); a warm sandbox's runs are its zygote's
  bool shared_tree = false;  // in a guest environment: stopping it stops its process group, not the tree
  std::shared_ptr<void> keeps;  // what must outlive the run (its warm sandbox)
  std::unique_ptr<user_network> net;  // a cold run's internet (slirp4netns), when it has network
  ~sandboxed_process();
};

result<std::unique_ptr<sandboxed_process>> launch(const launch_spec& spec);

}  // namespace hearth::sandbox
