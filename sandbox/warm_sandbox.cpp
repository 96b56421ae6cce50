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

namespace hearth::sandbox {
namespace {

using namespace detail;

// A request: this header, then the path to execute and argc + envc
// NUL-terminated strings, with the run's six descriptors attached (in the
// order of request_fd).
struct request_header {
  std::uint32_t argc, envc;
  std::uint32_t terminal;  // 1: stdin is a pty's slave, to become the controlling terminal
  std::uint32_t own_netns;  // 1: the run gets a network namespace of its own
  std::uint64_t rlimits[rlimit_count][2];  // soft, hard
  char tmpfs_options[64];  // NUL-terminated
};
enum request_fd { fd_stdin, fd_stdout, fd_stderr, fd_status, fd_errpipe, fd_sync, fd_count };
// The zygote's answer: 0 and the run's pidfd attached, or an errno.
struct reply {
  int err;
};

constexpr std::size_t max_request = 160 * 1024;  // below the socket's default send buffer
constexpr std::size_t max_strings = 8192;
// Processes of concurrent runs share the zygote's user namespace, where
// RLIMIT_NPROC counts them together; each run's own bound is its cgroup.
constexpr rlim_t shared_nproc = 4096;

constexpr std::size_t max_runs = 1024;  // runs in flight per warm sandbox

// One run's memory, mapped by the zygote per request and unmapped when the
// run has ended: the run shares the zygote's address space (nothing is
// copied per run), so it needs a stack and a request buffer of its own.
struct run_region {
  const plan* p;
  bool shared_tree;
  workload w;
  rlimit_item rlimits[rlimit_count];
  char tmpfs_options[64];
  int fds[fd_count];
  char* strings_area[max_strings + 3];
  char request[max_request];
  alignas(16) char run_stack[128 * 1024];
  alignas(16) char exec_stack[exec_stack_size];
};

void* map_region() {
  void* m = ::mmap(nullptr, sizeof(run_region), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  return m == MAP_FAILED ? nullptr : m;
}

// ---- the run, cloned by the zygote into its address space: system calls only ----

int run_main(void* raw) {
  auto* r = static_cast<run_region*>(raw);
  int err_fd = r->fds[fd_errpipe];
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, s_pdeathsig, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  if (::sigaction(SIGCHLD, &dfl, nullptr) != 0) child_fail(err_fd, s_signals, 0);
  char go;
  if (::read(r->fds[fd_sync], &go, 1) != 1) child_fail(err_fd, s_wait_parent, 0);
  if (!r->shared_tree) {  // a run of its own: fresh /tmp and /proc in its own namespaces
    if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, r->tmpfs_options) != 0)
      child_fail(err_fd, s_mount_tmp, 0);
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      child_fail(err_fd, s_mount_proc, 0);
  }
  confine(*r->p, r->rlimits, err_fd, r->fds[fd_stdin], r->fds[fd_stdout], r->fds[fd_stderr], !r->shared_tree);
  run_init(r->w, err_fd, r->fds[fd_status], r->exec_stack, sizeof r->exec_stack);
}

// ---- the zygote: system calls only ----

void send_reply(int sock, int err, int pidfd) {
  reply r{err};
  iovec iov{&r, sizeof r};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pidfd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
  }
  (void)::sendmsg(sock, &msg, MSG_NOSIGNAL);
}

// Receives one message with up to max_fds descriptors (any beyond are
// closed); system calls only, usable by the zygote.
struct received_message {
  ssize_t size = -1;
  int fds[fd_count];
  int fd_total = 0;
  bool truncated = false;
};

received_message receive(int sock, void* buf, std::size_t size, int max_fds) {
  received_message m;
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * fd_count)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  while ((m.size = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (m.size < 0) return m;
  m.truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (m.fd_total < max_fds) m.fds[m.fd_total++] = fd;
      else ::close(fd);
    }
  }
  return m;
}

// Splits the strings after the header into the path, argv and envp; false
// when the request does not hold exactly what its header says.
bool parse_strings(char* data, std::size_t size, const request_header& h, run_region& r) {
  std::size_t total = 1 + std::size_t{h.argc} + h.envc;
  if (h.argc == 0 || total > max_strings) return false;
  std::size_t at = 0, slot = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (i == 1 + std::size_t{h.argc}) r.strings_area[slot++] = nullptr;
    char* s = data + at;
    void* end = std::memchr(s, '\0', size - at);
    if (!end) return false;
    r.strings_area[slot++] = s;
    at = static_cast<std::size_t>(static_cast<char*>(end) - data) + 1;
  }
  if (h.envc == 0) r.strings_area[slot++] = nullptr;
  r.strings_area[slot] = nullptr;
  if (at != size) return false;
  r.w.path = r.strings_area[0];
  r.w.argv = r.strings_area + 1;
  r.w.envp = r.strings_area + 1 + h.argc + 1;
  r.w.terminal = h.terminal == 1;
  return true;
}

// Receives one request into region and starts its run; returns the run's
// pidfd (kept by the zygote to free the region later), or -1.
int serve_request(const plan& p, bool shared_tree, int sock, run_region& r) {
  auto m = receive(sock, r.request, sizeof r.request, fd_count);
  if (m.size <= 0) ::_exit(0);  // the node closed its end, or died
  std::copy(m.fds, m.fds + m.fd_total, r.fds);
  int received = m.fd_total;
  auto close_fds = [&] {
    for (int i = 0; i < received; ++i) ::close(r.fds[i]);
  };
  request_header h;
  std::size_t size = static_cast<std::size_t>(m.size);
  bool ok = received == fd_count && !m.truncated && size >= sizeof h;
  if (ok) {
    std::memcpy(&h, r.request, sizeof h);
    ok = parse_strings(r.request + sizeof h, size - sizeof h, h, r);
  }
  if (!ok) {
    close_fds();
    send_reply(sock, EINVAL, -1);
    return -1;
  }
  r.p = &p;
  r.shared_tree = shared_tree;
  for (std::size_t i = 0; i < rlimit_count; ++i)
    r.rlimits[i] = {rlimit_resources[i], static_cast<rlim_t>(h.rlimits[i][0]), static_cast<rlim_t>(h.rlimits[i][1]),
                    rlimit_names[i]};
  std::memcpy(r.tmpfs_options, h.tmpfs_options, sizeof r.tmpfs_options);
  r.tmpfs_options[sizeof r.tmpfs_options - 1] = '\0';

  int pidfd = -1;
  int flags = CLONE_VM | CLONE_PIDFD | SIGCHLD;
  if (!shared_tree) flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC;
  if (!shared_tree && h.own_netns == 1) flags |= CLONE_NEWNET;
  pid_t pid = ::clone(run_main, r.run_stack + sizeof r.run_stack, flags, &r, &pidfd);
  int err = pid < 0 ? errno : 0;
  close_fds();
  send_reply(sock, err, pidfd);
  return pid < 0 ? -1 : pidfd;
}

[[noreturn]] void zygote_main(const plan& p, bool shared_tree, int sync_fd, int err_fd, int sock) {
  enter_root(p, sync_fd, err_fd);
  // A shared tree's commands share the zygote's Landlock domain, so signals
  // (scoped to a domain) reach the guest's other processes.
  if (shared_tree) restrict_self(p, err_fd);
  struct sigaction ign {};
  // Runs, and in a shared tree the orphans it inherits as pid 1, are reaped
  // by the kernel; the runs' pidfds say when they end.
  ign.sa_handler = SIG_IGN;
  if (::sigaction(SIGCHLD, &ign, nullptr) != 0) child_fail(err_fd, s_signals, 0);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 1) < 0 || ::dup2(null_fd, 2) < 0)
    child_fail(err_fd, s_dup_stdio, 0);
  // Closing the error pipe with the rest tells the node the zygote is ready.
  ::syscall(SYS_close_range, 3u, static_cast<unsigned>(sock) - 1, 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(sock) + 1, ~0u, 0u);

  // Runs in flight: their pidfds (poll slots 1...) and regions.
  static pollfd polled[1 + max_runs];
  static void* regions[max_runs];
  std::size_t runs = 0;
  polled[0] = {sock, POLLIN, 0};
  for (;;) {
    if (::poll(polled, static_cast<nfds_t>(1 + runs), -1) < 0) continue;
    for (std::size_t i = 0; i < runs;) {
      if (!(polled[1 + i].revents & POLLIN)) {
        ++i;
        continue;
      }
      ::close(polled[1 + i].fd);
      ::munmap(regions[i], sizeof(run_region));
      --runs;
      polled[1 + i] = polled[1 + runs];
      regions[i] = regions[runs];
    }
    if (!(polled[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    void* region = runs < max_runs ? map_region() : nullptr;
    if (!region) {
      static char drain[max_request];  // still take the request off the socket, and refuse it
      if (receive(sock, drain, sizeof drain, 0).size <= 0) ::_exit(0);
      send_reply(sock, EAGAIN, -1);
      continue;
    }
    int pidfd = serve_request(p, shared_tree, sock, *static_cast<run_region*>(region));
    if (pidfd < 0) {
      ::munmap(region, sizeof(run_region));
      continue;
    }
    polled[1 + runs] = {pidfd, POLLIN, 0};
    regions[runs] = region;
    ++runs;
  }
}

// ---- node side ----

pid_t pid_of_pidfd(int pidfd) {
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(pidfd));
  std::string line;
  while (std::getline(info, line))
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(4)));
  return -1;
}

std::string pool_key(const launch_spec& spec) { return spec.executable + (spec.lim.network ? "\n+net" : "\n-net"); }

}  // namespace

result<std::shared_ptr<warm_sandbox>> warm_sandbox::start(const std::string& executable, const zygote_options& o) {
  if (auto ok = check_executable(executable); !ok) return ok.error();
  limits lim;
  lim.network = o.network;
  lim.tmp_mb = o.tmp_mb;
  bool network = o.network;
  plan p = make_plan({executable, {"/sandbox/exe"}, {}, lim, o.writable, o.workdir, o.system_root});
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
  if (pid == 0) zygote_main(p, o.shared_tree, sync[0], errpipe[1], sv[1]);

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
  if (spec.terminal_fd < 0)
    if (auto piped = make_pipes(guard, {in, out, err}); !piped) return piped.error();
  int tty = spec.terminal_fd;
  int child_fds[fd_count] = {tty >= 0 ? tty : in[0], tty >= 0 ? tty : out[1], tty >= 0 ? tty : err[1],
                             status[1], errpipe[1], sync[0]};

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
