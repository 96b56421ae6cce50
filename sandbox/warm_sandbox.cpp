#include "sandbox/warm_sandbox.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "sandbox/isolation.hpp"
#include "sandbox/launch_plan.hpp"
#include "sandbox/zygote.hpp"
#include "sandbox/zygote_wire.hpp"

namespace hearth::sandbox {
namespace {

using namespace detail;
using namespace zygote;

// ---- node side ----

pid_t pid_of_pidfd(int pidfd) {
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(pidfd));
  std::string line;
  while (std::getline(info, line))
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(4)));
  return -1;
}



}  // namespace

result<std::shared_ptr<warm_sandbox>> warm_sandbox::start(const std::string& executable, const zygote_options& o) {
  if (auto ok = check_executable(executable); !ok) return ok.error();
  limits lim;
  lim.network = o.network;
  lim.tmp_mb = o.tmp_mb;
  bool network = o.network;
  plan p = make_plan({executable, {"/sandbox/exe"}, {}, lim, o.writable, o.workdir, o.system_root, o.devpts});
  if (p.landlock.abi <= 0)
    if (auto waived = step_missing(isolation_step::landlock, "the kernel has no Landlock"); !waived)
      return waived.error();

  fd_list guard;
  int sync[2], errpipe[2], sv[2];
  if (auto piped = make_pipes(guard, {sync, errpipe}); !piped) return piped.error();
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return fail(sandbox_errc::sandbox_setup_failed, std::string("socketpair: ") + std::strerror(errno));
  guard.fds.push_back(sv[1]);

  int pidfd = -1;
  auto cloned = clone_into_namespaces(network && !o.private_network, pidfd);
  if (!cloned) {
    ::close(sv[0]);
    return cloned.error();
  }
  pid_t pid = *cloned;
  if (pid == 0) {
    ::close(sync[1]);  // so that the node's death is an EOF on sync[0], not a wait forever
    zygote_main(p, o.shared_tree, sync[0], errpipe[1], sv[1]);
  }

  std::shared_ptr<warm_sandbox> z(new warm_sandbox());
  z->pid_ = pid;
  z->pidfd_ = pidfd;
  z->socket_ = sv[0];
  z->landlock_abi_ = p.landlock.abi;
  z->network_ = network;
  z->shared_tree_ = o.shared_tree;
  // Runs of one zygote share its network namespace, and with it the abstract
  // unix socket namespace: below Landlock ABI 6 only a namespace per run
  // keeps concurrent buyers' runs apart (runs with network start cold there).
  z->own_netns_ = !o.shared_tree && !network && runs_need_own_netns();
  z->group_ = o.group;
  z->run_groups_ = o.run_groups;
  if (auto r = map_ids(z->pid_); !r) return r.error();  // the destructor ends the zygote
  if (z->group_)
    if (auto r = z->group_->add(z->pid_); !r) return r.error();
  if (::write(sync[1], "g", 1) != 1) return fail(sandbox_errc::sandbox_setup_failed, "write(sync pipe) failed");
  ::close(errpipe[1]);
  guard.fds = {sync[0], sync[1], errpipe[0], sv[1]};
  if (auto ready = await_exec(errpipe[0], [&](const child_error& e) { return describe(e, &p); }); !ready)
    return ready.error();
  spdlog::debug("sandbox: warm sandbox {} ready for {}", z->pid_, executable);
  return z;
}

warm_sandbox::~warm_sandbox() {
  if (socket_ >= 0) ::close(socket_);
  if (pidfd_ >= 0) {
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    ::close(pidfd_);
  }
  if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
}

void warm_sandbox::kill() { ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0); }

bool warm_sandbox::await_exit(std::chrono::milliseconds timeout) const {
  pollfd pfd{pidfd_, POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1;
}

bool warm_sandbox::alive() const { return !await_exit(std::chrono::milliseconds(0)); }

result<std::unique_ptr<sandboxed_process>> warm_sandbox::launch(const launch_spec& spec) {
  if (spec.lim.network != network_) return fail(sandbox_errc::sandbox_setup_failed, "warm sandbox network setting differs");
  std::string payload(sizeof(request_header), '\0');
  request_header h{};
  h.argc = static_cast<std::uint32_t>(1 + spec.args.size());
  h.envc = static_cast<std::uint32_t>(spec.env.size());
  h.terminal = spec.terminal_fd >= 0 ? 1 : 0;
  h.own_netns = own_netns_ ? 1 : 0;
  rlimit_item items[rlimit_count];
  // A shared tree is one user's processes, all counted by RLIMIT_NPROC.
  fill_rlimits(items, spec.lim, shared_tree_ ? spec.lim.max_processes : shared_nproc);
  for (std::size_t i = 0; i < rlimit_count; ++i) {
    h.rlimits[i][0] = items[i].soft;
    h.rlimits[i][1] = items[i].hard;
  }
  std::snprintf(h.tmpfs_options, sizeof h.tmpfs_options, "%s", tmp_mount_options(spec.lim.tmp_mb).c_str());
  std::memcpy(payload.data(), &h, sizeof h);
  auto append = [&](const std::string& s) {
    payload.append(s);
    payload.push_back('\0');
  };
  append(shared_tree_ ? spec.argv0 : "/sandbox/exe");  // a guest runs any program of its environment
  append(spec.argv0);
  for (const auto& a : spec.args) append(a);
  for (const auto& e : spec.env) append(e);
  if (payload.size() > max_request || 1 + std::size_t{h.argc} + h.envc > max_strings)
    return fail(sandbox_errc::request_too_large, "arguments and environment exceed what a warm sandbox takes");

  auto proc = std::make_unique<sandboxed_process>();
  if (shared_tree_) {  // bounded, with everything else in the environment, by the zygote's group
    proc->shared_group = group_;
    if (group_) proc->oom_kills_before = group_->oom_kills();
  } else if (auto group = run_cgroup(spec.lim, run_groups_.get())) {
    proc->group = std::move(*group);
    proc->group_home = run_groups_;
  } else {
    return fail(sandbox_errc::cgroup_unavailable, group.error().message);  // a warm run is bounded by its cgroup
  }

  fd_list guard;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, status[2], errpipe[2], sync[2];
  if (auto piped = make_pipes(guard, {status, errpipe, sync}); !piped) return piped.error();
  int tty = spec.terminal_fd, sock = spec.stdio_fd;
  if (tty < 0 && sock >= 0 && !shared_tree_)
    return fail(sandbox_errc::sandbox_setup_failed, "a socket as stdio is for guest environments");
  if (tty < 0 && sock < 0)
    if (auto piped = make_pipes(guard, {in, out, err}); !piped) return piped.error();
  if (tty < 0 && sock >= 0)
    if (auto piped = make_pipes(guard, {err}); !piped) return piped.error();
  int child_fds[fd_count] = {tty >= 0 ? tty : sock >= 0 ? sock : in[0], tty >= 0 ? tty : sock >= 0 ? sock : out[1],
                             tty >= 0 ? tty : err[1], status[1], errpipe[1], sync[0]};

  reply r{EIO};
  int pidfd = -1;
  {
    std::lock_guard lock(mu_);
    iovec iov{payload.data(), payload.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof child_fds)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof child_fds);
    std::memcpy(CMSG_DATA(c), child_fds, sizeof child_fds);
    if (::sendmsg(socket_, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(payload.size()))
      return fail(sandbox_errc::sandbox_gone, std::string("warm sandbox unreachable: ") + std::strerror(errno));

    auto answer = receive(socket_, &r, sizeof r, 1);
    if (answer.size != sizeof r) return fail(sandbox_errc::sandbox_gone, "warm sandbox ended before answering");
    if (answer.fd_total == 1) pidfd = answer.fds[0];
  }
  if (r.err != 0 || pidfd < 0)
    return fail(sandbox_errc::sandbox_setup_failed, std::string("clone3(run in warm sandbox): ") + std::strerror(r.err));
  proc->pidfd = pidfd;
  proc->pid = pid_of_pidfd(pidfd);
  proc->shared_tree = shared_tree_;
  proc->keeps = shared_from_this();

  auto abort_run = [&](failure f) -> failure {
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    return f;
  };
  if (proc->pid <= 0) return abort_run(fail(sandbox_errc::sandbox_setup_failed, "no pid for the run's pidfd"));
  if (proc->group)
    if (auto added = proc->group->add(proc->pid); !added) return abort_run(added.error());
  if (::write(sync[1], "g", 1) != 1) return abort_run(fail(sandbox_errc::sandbox_setup_failed, "write(sync pipe) failed"));
  ::close(errpipe[1]);
  guard.fds = {in[0], out[1], err[1], status[1], sync[0], sync[1], errpipe[0]};
  proc->stdin_fd = in[1];
  proc->stdout_fd = out[0];
  proc->stderr_fd = err[0];
  proc->status_fd = status[0];
  if (auto exec = await_exec(errpipe[0], [](const child_error& e) { return describe(e); }); !exec)
    return exec.error();
  proc->enforcement = describe_enforcement(network_, proc->group ? proc->group.get() : group_.get(), landlock_abi_) +
                     (own_netns_ ? ",netns-per-run" : "") + (shared_tree_ ? ",environment" : ",warm");
  return proc;
}


}  // namespace hearth::sandbox
