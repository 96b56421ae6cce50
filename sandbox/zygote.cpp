#include "sandbox/zygote.hpp"

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

#include "sandbox/isolation.hpp"
#include "sandbox/launch_plan.hpp"
#include "sandbox/zygote_wire.hpp"

namespace hearth::sandbox::zygote {
namespace {

using namespace detail;

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace hearth::sandbox::zygote
