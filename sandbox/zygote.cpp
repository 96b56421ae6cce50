#include "sandbox/zygote.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <dirent.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
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

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

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

// A stack a raw clone ran on keeps, under AddressSanitizer, the poison of
// frames that never returned (a vfork child's, or an ended run's at the
// same address): cleared before the stack is used again.
void forget_frames(void* stack, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(stack, size);
#else
  (void)stack;
  (void)size;
#endif
}

void* map_region() {
  void* m = ::mmap(nullptr, sizeof(run_region), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (m == MAP_FAILED) return nullptr;
  forget_frames(m, sizeof(run_region));
  return m;
}

// ---- the run, cloned by the zygote into its address space: system calls only ----

int run_main(void* raw) {
  auto* r = static_cast<run_region*>(raw);
  int err_fd = r->fds[fd_errpipe];
  await_go(err_fd, r->fds[fd_sync]);
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

// One request from sock into r: its header checked, its strings split and
// its descriptors in r.fds; false (every descriptor closed) when malformed.
// A request whose kind is not wanted (a slot asked to make a slot) is one.
bool take_request(int sock, run_region& r, request_header& h, bool slot_allowed) {
  auto m = receive(sock, r.request, sizeof r.request, fd_count);
  if (m.size <= 0) ::_exit(0);  // the node closed its end, or died
  std::copy(m.fds, m.fds + m.fd_total, r.fds);
  std::size_t size = static_cast<std::size_t>(m.size);
  bool ok = !m.truncated && size >= sizeof h;
  if (ok) std::memcpy(&h, r.request, sizeof h);
  if (ok && h.kind == slot_request) ok = slot_allowed && m.fd_total == slot_fd_count && size == sizeof h;
  else if (ok) ok = h.kind == run_request && m.fd_total == fd_count &&
                    parse_strings(r.request + sizeof h, size - sizeof h, h, r);
  if (!ok) {
    for (int i = 0; i < m.fd_total; ++i) ::close(r.fds[i]);
    return false;
  }
  for (std::size_t i = 0; i < rlimit_count; ++i)
    r.rlimits[i] = {rlimit_resources[i], static_cast<rlim_t>(h.rlimits[i][0]), static_cast<rlim_t>(h.rlimits[i][1]),
                    rlimit_names[i]};
  std::memcpy(r.tmpfs_options, h.tmpfs_options, sizeof r.tmpfs_options);
  r.tmpfs_options[sizeof r.tmpfs_options - 1] = '\0';
  return true;
}

// ---- a run slot: pid 1 of its own pid, mount and ipc namespaces, cloned
// once into the zygote's address space and moved by the node into its
// cgroup; each run is its child, born in that cgroup, confined as any run
// is. After each run it kills every process of the namespace, removes every
// SysV object and POSIX message queue, mounts a fresh /tmp and restarts pid
// numbering, then checks all of that before it says it is clean. System
// calls only. ----

struct slot_state {
  run_region* r;
  int sock, mqueue_fd, last_pid_fd;
};

void close_all_but(const int* keep, int count) {
  int sorted[8];
  std::copy(keep, keep + count, sorted);
  std::sort(sorted, sorted + count);
  unsigned from = 0;
  for (int i = 0; i < count; ++i) {
    if (static_cast<unsigned>(sorted[i]) > from) ::syscall(SYS_close_range, from, static_cast<unsigned>(sorted[i]) - 1, 0u);
    from = static_cast<unsigned>(sorted[i]) + 1;
  }
  ::syscall(SYS_close_range, from, ~0u, 0u);
}

int slot_workload(void* raw) {
  auto* r = static_cast<run_region*>(raw);
  int err_fd = r->fds[fd_errpipe];
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, s_pdeathsig, 0);
  confine(*r->p, r->rlimits, err_fd, r->fds[fd_stdin], r->fds[fd_stdout], r->fds[fd_stderr], true);
  int keep[] = {0, 1, 2, err_fd};  // err_fd is close-on-exec
  close_all_but(keep, 4);
  if (::setsid() < 0) child_fail(err_fd, s_setsid, 0);
  ::execve(r->w.path, r->w.argv, r->w.envp);
  child_fail(err_fd, s_execve, 0);
}

void remove_sysv_objects() {
  shm_info shm{};
  int top = ::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&shm));
  for (int i = 0; i <= top; ++i) {
    shmid_ds ds{};
    int id = ::shmctl(i, SHM_STAT, &ds);
    if (id >= 0) ::shmctl(id, IPC_RMID, nullptr);
  }
  msginfo msg{};
  top = ::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&msg));
  for (int i = 0; i <= top; ++i) {
    msqid_ds ds{};
    int id = ::msgctl(i, MSG_STAT, &ds);
    if (id >= 0) ::msgctl(id, IPC_RMID, nullptr);
  }
  seminfo sem{};
  top = ::semctl(0, 0, SEM_INFO, &sem);
  for (int i = 0; i <= top; ++i) {
    semid_ds ds{};
    int id = ::semctl(i, 0, SEM_STAT, &ds);
    if (id >= 0) ::semctl(id, 0, IPC_RMID);
  }
}

bool sysv_empty() {
  shm_info shm{};
  msginfo msg{};
  seminfo sem{};
  return ::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&shm)) >= 0 && shm.used_ids == 0 &&
         ::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&msg)) >= 0 && msg.msgpool == 0 &&
         ::semctl(0, 0, SEM_INFO, &sem) >= 0 && sem.semusz == 0;
}

// Unlinks every message queue of the namespace (through the mqueue root the
// slot keeps open); true when none was there to unlink.
bool remove_message_queues(int mqueue_fd) {
  bool none = true;
  alignas(8) char buf[4096];
  if (::lseek(mqueue_fd, 0, SEEK_SET) != 0) return false;
  for (;;) {
    long n = ::syscall(SYS_getdents64, mqueue_fd, buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) return none;
    for (long at = 0; at < n;) {
      auto* d = reinterpret_cast<dirent64*>(buf + at);
      at += d->d_reclen;
      if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
      none = false;
      ::unlinkat(mqueue_fd, d->d_name, 0);
    }
  }
}

bool mount_fresh_tmp(const run_region& r) {
  return ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, r.tmpfs_options) == 0;
}

// After a run: nothing of it may remain for the next one.
bool scrub(const slot_state& s) {
  ::kill(-1, SIGKILL);  // every process of the namespace but this one
  for (;;) {            // ... reaped; a fork racing the kill fails (its parent has a fatal signal pending)
    pid_t r = ::wait4(-1, nullptr, __WALL, nullptr);
    if (r < 0 && errno == ECHILD) break;
  }
  remove_sysv_objects();
  remove_message_queues(s.mqueue_fd);
  if (::umount2("/tmp", MNT_DETACH) != 0 || !mount_fresh_tmp(*s.r)) return false;
  if (::pwrite(s.last_pid_fd, "1", 1, 0) != 1) return false;  // the next run is pid 2 again
  bool alone = ::kill(-1, 0) != 0 && errno == ESRCH;
  return alone && sysv_empty() && remove_message_queues(s.mqueue_fd);
}

void send_byte(int sock, char c) { (void)::send(sock, &c, 1, MSG_NOSIGNAL); }

// One run in the slot: started, awaited, reported on its status pipe.
void slot_run(const slot_state& s) {
  run_region& r = *s.r;
  int pidfd = -1;
  forget_frames(r.exec_stack, sizeof r.exec_stack);
  pid_t pid = ::clone(slot_workload, r.exec_stack + sizeof r.exec_stack, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                      &r, &pidfd);
  int err = pid < 0 ? errno : 0;
  for (int i : {fd_stdin, fd_stdout, fd_stderr, fd_errpipe, fd_sync}) ::close(r.fds[i]);
  send_reply(s.sock, err, pidfd);
  if (pidfd >= 0) ::close(pidfd);
  if (pid > 0) {
    int status = 0;
    rusage ru{};
    await_workload(pid, __WALL, status, ru);
    report_workload(r.fds[fd_status], status, ru);
  }
  ::close(r.fds[fd_status]);
}

int slot_main(void* raw) {
  auto* r = static_cast<run_region*>(raw);
  int err_fd = r->fds[slot_errpipe];
  slot_state s{r, r->fds[slot_socket], -1, -1};
  await_go(err_fd, r->fds[slot_sync]);
  ::close(r->fds[slot_sync]);
  // The namespace's mqueue root, kept open and out of every run's sight.
  if (::mount("mqueue", "/tmp", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) child_fail(err_fd, s_slot_setup, 0);
  s.mqueue_fd = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s.mqueue_fd < 0 || ::umount2("/tmp", MNT_DETACH) != 0) child_fail(err_fd, s_slot_setup, 1);
  if (!mount_fresh_tmp(*r)) child_fail(err_fd, s_mount_tmp, 0);
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) child_fail(err_fd, s_mount_proc, 0);
  s.last_pid_fd = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (s.last_pid_fd < 0 || ::pwrite(s.last_pid_fd, "1", 1, 0) != 1) child_fail(err_fd, s_slot_setup, 2);
  // Nothing of the zygote's (its socket, other runs' pidfds) stays here;
  // closing the error pipe with them tells the node the slot stands.
  int keep[] = {0, 1, 2, s.sock, s.mqueue_fd, s.last_pid_fd};
  close_all_but(keep, 6);

  for (;;) {
    send_byte(s.sock, slot_clean);
    request_header h;
    if (!take_request(s.sock, *r, h, false)) {
      send_reply(s.sock, EINVAL, -1);
      continue;
    }
    slot_run(s);
    if (!scrub(s)) ::_exit(1);  // the node sees the socket close and builds another
  }
}

// Receives one request into region and starts its run (or slot); returns
// its pidfd (kept by the zygote to free the region later), or -1.
int serve_request(const plan& p, bool shared_tree, int sock, run_region& r) {
  request_header h;
  if (!take_request(sock, r, h, !shared_tree)) {
    send_reply(sock, EINVAL, -1);
    return -1;
  }
  r.p = &p;
  r.shared_tree = shared_tree;
  int pidfd = -1;
  int flags = CLONE_VM | CLONE_PIDFD | SIGCHLD;
  if (!shared_tree) flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC;
  if (!shared_tree && h.own_netns == 1) flags |= CLONE_NEWNET;
  bool slot = h.kind == slot_request;
  pid_t pid = ::clone(slot ? slot_main : run_main, r.run_stack + sizeof r.run_stack, flags, &r, &pidfd);
  int err = pid < 0 ? errno : 0;
  int count = slot ? int{slot_fd_count} : int{fd_count};
  for (int i = 0; i < count; ++i) ::close(r.fds[i]);
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
