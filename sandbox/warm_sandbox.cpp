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

// The run's ends of its pipes go to proc, the ends the run got are closed
// (guard), and the run is awaited until its program has exec'd.
result<void> hand_over(sandboxed_process& proc, fd_list& guard, const int* in, const int* out, const int* err,
                       const int* status, const int* errpipe, const int* sync) {
  ::close(errpipe[1]);
  guard.fds = {in[0], out[1], err[1], status[1], sync[0], sync[1], errpipe[0]};
  proc.stdin_fd = in[1];
  proc.stdout_fd = out[0];
  proc.stderr_fd = err[0];
  proc.status_fd = status[0];
  return await_exec(errpipe[0], [](const child_error& e) { return describe(e); });
}

constexpr std::size_t max_idle_slots = 16;  // per zygote; more are ended when their run is over
constexpr int slot_ready_ms = 5000;         // a new slot's first "clean"


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

// A run slot as the node holds it: its init's socket and pidfd, and the
// cgroup its init is in (lent to each run while it lasts).
struct warm_sandbox::slot {
  int sock = -1, pidfd = -1;
  std::unique_ptr<cgroup> group;
  std::shared_ptr<cgroup_pool> group_home;
  std::string key;     // the limits its cgroup enforces and its /tmp's options
  bool clean = false;  // its "clean" was read and no run was sent since
  ~slot() {
    if (sock >= 0) ::close(sock);  // its init sees the end of its socket, and exits
    if (pidfd >= 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      ::close(pidfd);
    }
    if (group_home) group_home->give_back(std::move(group));
  }
};

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

result<void> warm_sandbox::send_request(int sock, const std::string& payload, const int* fds, int fd_total,
                                        int& pidfd) {
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * fd_count)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<std::size_t>(fd_total));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<std::size_t>(fd_total));
  std::memcpy(CMSG_DATA(c), fds, sizeof(int) * static_cast<std::size_t>(fd_total));
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(payload.size()))
    return fail(sandbox_errc::sandbox_gone, std::string("warm sandbox unreachable: ") + std::strerror(errno));
  reply r{EIO};
  auto answer = receive(sock, &r, sizeof r, 1);
  if (answer.size != sizeof r) {
    for (int i = 0; i < answer.fd_total; ++i) ::close(answer.fds[i]);
    return fail(sandbox_errc::sandbox_gone, "warm sandbox ended before answering");
  }
  if (answer.fd_total == 1) pidfd = answer.fds[0];
  if (r.err != 0 || pidfd < 0)
    return fail(sandbox_errc::sandbox_setup_failed, std::string("clone(run in warm sandbox): ") + std::strerror(r.err));
  return {};
}

std::size_t warm_sandbox::idle_slots() const {
  std::lock_guard lock(slots_mu_);
  return idle_.size();
}

result<std::shared_ptr<warm_sandbox::slot>> warm_sandbox::take_slot(const limits& lim, const std::string& tmpfs_options) {
  limits slot_lim = lim;
  slot_lim.max_processes += 1;  // the slot's init is in the group too
  std::string key = cgroup_settings(slot_lim) + " " + tmpfs_options;
  {
    std::lock_guard lock(slots_mu_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      slot& s = **it;
      if (s.key != key) {
        ++it;
        continue;
      }
      if (!s.clean) {
        char c = 0;
        ssize_t n = ::recv(s.sock, &c, 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // still scrubbing
          ++it;
          continue;
        }
        if (n != 1 || c != slot_clean) {  // it ended: it could not show it was clean, or was killed with its run
          it = idle_.erase(it);
          continue;
        }
        s.clean = true;
      }
      auto taken = std::move(*it);
      idle_.erase(it);
      return taken;
    }
  }
  return make_slot(slot_lim, tmpfs_options, key);
}

result<std::shared_ptr<warm_sandbox::slot>> warm_sandbox::make_slot(const limits& lim, const std::string& tmpfs_options,
                                                                     const std::string& key) {
  auto s = std::make_shared<slot>();
  s->key = key;
  auto group = run_cgroup(lim, run_groups_.get());
  if (!group) return fail(sandbox_errc::cgroup_unavailable, group.error().message);
  s->group = std::move(*group);
  s->group_home = run_groups_;
  fd_list guard;
  int sv[2], errpipe[2], sync[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return fail(sandbox_errc::sandbox_setup_failed, std::string("socketpair: ") + std::strerror(errno));
  s->sock = sv[0];
  guard.fds.push_back(sv[1]);
  if (auto piped = make_pipes(guard, {errpipe, sync}); !piped) return piped.error();

  request_header h{};
  h.kind = slot_request;
  std::snprintf(h.tmpfs_options, sizeof h.tmpfs_options, "%s", tmpfs_options.c_str());
  std::string payload(reinterpret_cast<const char*>(&h), sizeof h);
  int fds[slot_fd_count] = {sv[1], errpipe[1], sync[0]};
  {
    std::lock_guard lock(mu_);
    if (auto sent = send_request(socket_, payload, fds, slot_fd_count, s->pidfd); !sent) return sent.error();
  }
  pid_t pid = pid_of_pidfd(s->pidfd);
  if (pid <= 0) return fail(sandbox_errc::sandbox_setup_failed, "no pid for the run slot's pidfd");
  if (auto added = s->group->add(pid); !added) return added.error();
  if (::write(sync[1], "g", 1) != 1) return fail(sandbox_errc::sandbox_setup_failed, "write(sync pipe) failed");
  ::close(errpipe[1]);
  guard.fds = {sv[1], errpipe[0], sync[0], sync[1]};
  if (auto ready = await_exec(errpipe[0], [](const child_error& e) { return describe(e); }); !ready) return ready.error();
  pollfd pfd{s->sock, POLLIN, 0};
  char c = 0;
  if (::poll(&pfd, 1, slot_ready_ms) != 1 || ::recv(s->sock, &c, 1, MSG_DONTWAIT) != 1 || c != slot_clean)
    return fail(sandbox_errc::sandbox_setup_failed, "the run slot did not become ready");
  s->clean = true;
  return s;
}

void warm_sandbox::give_back(std::shared_ptr<slot> s) {
  if (!s->group) return;  // its cgroup went elsewhere: the slot ends here
  std::lock_guard lock(slots_mu_);
  if (idle_.size() < max_idle_slots) idle_.push_back(std::move(s));
}

result<std::unique_ptr<sandboxed_process>> warm_sandbox::run_in_slot(std::shared_ptr<slot> s, const launch_spec& spec,
                                                                     const std::string& payload) {
  auto proc = std::make_unique<sandboxed_process>();
  proc->keeps = shared_from_this();
  s->group->restart_accounting();
  proc->group = std::move(s->group);
  // Whatever happens below, the slot goes back with its group: clean, or
  // to be read clean after its scrub, or seen ended at its next take.
  proc->return_group = [self = shared_from_this(), s](std::unique_ptr<cgroup> g) {
    s->group = std::move(g);
    self->give_back(s);
  };

  fd_list guard;
  int in[2], out[2], err[2], status[2], errpipe[2], sync[2];
  if (auto piped = make_pipes(guard, {in, out, err, status, errpipe, sync}); !piped) return piped.error();
  int child_fds[fd_count] = {in[0], out[1], err[1], status[1], errpipe[1], sync[0]};
  s->clean = false;
  int pidfd = -1;
  if (auto sent = send_request(s->sock, payload, child_fds, fd_count, pidfd); !sent) return sent.error();
  proc->pidfd = pidfd;
  proc->pid = pid_of_pidfd(pidfd);
  if (auto exec = hand_over(*proc, guard, in, out, err, status, errpipe, sync); !exec) return exec.error();
  proc->enforcement = describe_enforcement(network_, proc->group.get(), landlock_abi_) + ",warm,slot";
  return proc;
}

result<std::unique_ptr<sandboxed_process>> warm_sandbox::launch(const launch_spec& spec) {
  if (spec.lim.network != network_) return fail(sandbox_errc::sandbox_setup_failed, "warm sandbox network setting differs");
  std::string payload(sizeof(request_header), '\0');
  request_header h{};
  h.kind = run_request;
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

  if (slots_ && !shared_tree_ && !own_netns_ && spec.terminal_fd < 0 && spec.stdio_fd < 0) {
    auto s = take_slot(spec.lim, h.tmpfs_options);
    if (s) return run_in_slot(std::move(*s), spec, payload);
    if (s.error().code == sandbox_errc::sandbox_gone) return s.error();
    spdlog::warn("sandbox: no run slot for {} ({}); its runs are cloned one by one", pid_, s.error().message);
    slots_ = false;
  }

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

  int pidfd = -1;
  {
    std::lock_guard lock(mu_);
    if (auto sent = send_request(socket_, payload, child_fds, fd_count, pidfd); !sent) return sent.error();
  }
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
  if (auto exec = hand_over(*proc, guard, in, out, err, status, errpipe, sync); !exec) return exec.error();
  proc->enforcement = describe_enforcement(network_, proc->group ? proc->group.get() : group_.get(), landlock_abi_) +
                     (own_netns_ ? ",netns-per-run" : "") + (shared_tree_ ? ",environment" : ",warm");
  return proc;
}


}  // namespace hearth::sandbox
