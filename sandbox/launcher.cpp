#include "sandbox/launcher.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/isolation.hpp"
#include "sandbox/launch_plan.hpp"
#include "sandbox/user_network.hpp"

namespace hearth::sandbox {
namespace {

using namespace detail;

[[noreturn]] void child_main(const plan& p, int sync_fd, int err_fd, int status_fd, int in_fd, int out_fd,
                             int errout_fd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, s_pdeathsig, 0);
  enter_root(p, sync_fd, err_fd);
  confine(p, p.rlimits, err_fd, in_fd, out_fd, errout_fd);
  run_init({"/sandbox/exe", p.argv.data(), p.envp.data()}, err_fd, status_fd, const_cast<char*>(p.exec_stack.data()),
           p.exec_stack.size());
}

}  // namespace

sandboxed_process::~sandboxed_process() {
  for (int fd : {pidfd, stdin_fd, stdout_fd, stderr_fd, status_fd})
    if (fd >= 0) ::close(fd);
  if (return_group) return_group(std::move(group));
  else if (group_home) group_home->give_back(std::move(group));
}

result<std::unique_ptr<sandboxed_process>> launch(const launch_spec& spec) {
  if (auto ok = check_executable(spec.executable); !ok) return ok.error();
  auto proc = std::make_unique<sandboxed_process>();
  proc->own_child = true;
  if (auto group = run_cgroup(spec.lim)) proc->group = std::move(*group);
  else if (auto waived = step_missing(isolation_step::cgroup, group.error().message); !waived) return waived.error();
  // A run with network gets internet through a namespace of its own, never the host's (and its loopback).
  if (spec.lim.network && !user_network::available())
    return fail(sandbox_errc::isolation_unavailable, "user-network: slirp4netns is not installed, and a run with network "
                                         "never shares the host's network namespace");

  std::vector<std::string> argv{spec.argv0};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  plan p = make_plan({spec.executable, std::move(argv), spec.env, spec.lim, spec.writable, spec.workdir, "", false});
  if (p.landlock.abi <= 0)
    if (auto waived = step_missing(isolation_step::landlock, "the kernel has no Landlock"); !waived)
      return waived.error();
  if (spec.lim.network && restricts_tcp(spec.lim) && p.landlock.handled_net == 0)
    if (auto waived = step_missing(isolation_step::tcp_ports, "Landlock ABI " + std::to_string(p.landlock.abi) +
                                                                  " has no network rules (ABI 4, Linux 6.7)");
        !waived)
      return waived.error();
  std::string enforcement = describe_enforcement(spec.lim.network, proc->group.get(), p.landlock.abi);
  if (p.landlock.handled_net) enforcement += ",tcp-ports";

  fd_list guard;
  int in[2], out[2], err[2], sync[2], errpipe[2], status[2];
  if (auto piped = make_pipes(guard, {in, out, err, sync, errpipe, status}); !piped) return piped.error();
  int pidfd = -1;
  auto cloned = clone_into_namespaces(false, pidfd);  // always a network namespace of its own
  if (!cloned) return cloned.error();
  pid_t pid = *cloned;
  if (pid == 0) {
    ::close(sync[1]);  // so that the node's death is an EOF on sync[0], not a wait forever
    child_main(p, sync[0], errpipe[1], status[1], in[0], out[1], err[1]);
  }

  proc->pid = pid;
  proc->pidfd = pidfd;
  auto abort_child = [&](failure f) -> failure {
    ::kill(proc->pid, SIGKILL);
    ::waitpid(proc->pid, nullptr, 0);
    proc->pid = -1;
    return f;
  };
  if (auto r = map_ids(proc->pid); !r) return abort_child(r.error());
  if (proc->group)
    if (auto r = proc->group->add(proc->pid); !r) return abort_child(r.error());
  if (spec.lim.network) {
    auto net = user_network::attach(proc->pid, false);
    if (!net) return abort_child(net.error());
    proc->net = std::move(*net);
  }
  if (::write(sync[1], "g", 1) != 1) return abort_child(fail(sandbox_errc::sandbox_setup_failed, "write(sync pipe) failed"));
  ::close(errpipe[1]);
  guard.fds = {in[0], out[1], err[1], sync[0], sync[1], status[1], errpipe[0]};  // no longer ours to keep
  proc->status_fd = status[0];
  proc->stdin_fd = in[1];
  proc->stdout_fd = out[0];
  proc->stderr_fd = err[0];

  auto exec = await_exec(errpipe[0], [&](const child_error& e) { return describe(e, &p); });
  if (!exec) {
    ::waitpid(proc->pid, nullptr, 0);
    proc->pid = -1;
    return exec.error();
  }
  proc->enforcement = std::move(enforcement);
  return proc;
}

}  // namespace hearth::sandbox
