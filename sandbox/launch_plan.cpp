#include "sandbox/launch_plan.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <spdlog/spdlog.h>

#include "sandbox/elf_arch.hpp"
#include "sandbox/seccomp_filter.hpp"

namespace hearth::sandbox::detail {
namespace {

const char* kind_name(fs_op::kind_t k) {
  static const char* names[] = {"mkdir", "touch", "symlink", "mount bind", "mount bind", "mount tmpfs", "mount proc",
                                "mount bind"};
  return names[k];
}

const char* step_call[s_step_count] = {
    "read(sync pipe)", "open(executable) in the new mount namespace", "setgroups(0)", "setresgid", "setresuid",
    "setsid", "prctl(PR_SET_PDEATHSIG)", "mount(/, MS_REC|MS_PRIVATE)", "", "pivot_root", "chdir(/)",
    "umount2(/.old, MNT_DETACH)", "rmdir(/.old)", "mount(/, MS_REMOUNT|MS_RDONLY)", "sethostname", "setrlimit",
    "prctl(PR_SET_NO_NEW_PRIVS)", "landlock_restrict_self", "prctl(PR_SET_SECCOMP)", "chdir(/tmp)", "dup2",
    "execve(workload)", "fork(workload)", "mount tmpfs /tmp", "mount proc /proc", "sigaction(SIGCHLD)",
    "setsid/ioctl(TIOCSCTTY)", "run slot setup (mqueue, ns_last_pid)"};

unsigned long locked_flags(const std::string& path) {
  struct statvfs sv {};
  if (::statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

void add_host_path(plan& p, const std::string& host, const std::string& inside) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) return;
  std::string target = p.root + inside;
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
    if (n > 0) p.ops.push_back({fs_op::symlink, target, std::string(buf, static_cast<std::size_t>(n))});
    return;
  }
  p.ops.push_back({S_ISDIR(st.st_mode) ? fs_op::make_dir : fs_op::touch, target, ""});
  p.ops.push_back({fs_op::bind_ro, target, host, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags(host)});
}

// "/proc/self/fd/N" without allocating (the child may share the node's memory).
void held_path(char (&out)[32], int fd) {
  static constexpr char prefix[] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + fd % 10);
  while ((fd /= 10) > 0);
  std::size_t at = sizeof prefix - 1;
  std::memcpy(out, prefix, at);
  while (n > 0) out[at++] = digits[--n];
  out[at] = '\0';
}

int run_fs_op(const fs_op& op, const int* held_fds) {
  char held[32];
  const char* source = op.source.c_str();
  if (op.held >= 0) {
    held_path(held, held_fds[op.held]);
    source = held;
  }
  switch (op.kind) {
    case fs_op::make_dir:
      return ::mkdir(op.target.c_str(), 0755) == 0 || errno == EEXIST ? 0 : -1;
    case fs_op::touch: {
      struct stat st {};
      if (::stat(op.target.c_str(), &st) == 0) return 0;  // a file of a read-only tree, bound over
      int fd = ::open(op.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return -1;
      ::close(fd);
      return 0;
    }
    case fs_op::symlink:
      return ::symlink(op.source.c_str(), op.target.c_str());
    case fs_op::bind_ro:
    case fs_op::bind_dev:
    case fs_op::bind_rw:
      if (::mount(source, op.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return -1;
      return ::mount(nullptr, op.target.c_str(), nullptr, op.remount_flags, nullptr);
    case fs_op::tmpfs:
      return ::mount("tmpfs", op.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, op.source.c_str());
    case fs_op::proc:
      return ::mount("proc", op.target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    case fs_op::devpts:
      return ::mount("devpts", op.target.c_str(), "devpts", MS_NOSUID | MS_NOEXEC, op.source.c_str());
  }
  return -1;
}

result<void> write_proc(pid_t pid, const char* file, const std::string& value) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(sandbox_errc::sandbox_setup_failed, "open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  ::close(fd);
  if (!ok) return fail(sandbox_errc::sandbox_setup_failed, "write " + path + " '" + value + "': " + std::strerror(err));
  return {};
}

}  // namespace

void fill_rlimits(rlimit_item (&out)[rlimit_count], const limits& lim, rlim_t nproc) {
  rlim_t as = (2 * lim.ram_mb + 256) << 20;
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan the node's clones carry its terabytes of shadow mappings, so
  // any address-space limit fails their first allocation; the cgroup's
  // memory limit still bounds the run.
  as = RLIM_INFINITY;
#endif
  rlim_t values[rlimit_count][2] = {{lim.cpu_secs, lim.cpu_secs + 1},
                                    {as, as},
                                    {lim.max_open_files, lim.max_open_files},
                                    {nproc, nproc},
                                    {lim.tmp_mb << 20, lim.tmp_mb << 20},
                                    {0, 0}};
  for (std::size_t i = 0; i < rlimit_count; ++i)
    out[i] = {rlimit_resources[i], values[i][0], values[i][1], rlimit_names[i]};
}

plan make_plan(const plan_input& in) {
  plan p;
  p.root = root_base;
  p.old_root = p.root + "/.old";
  p.exe_path = in.executable;
  p.clear_groups = ::geteuid() == 0;
  const auto& lim = in.lim;
  p.ops.push_back({fs_op::tmpfs, p.root, "mode=0755,size=1m"});
  const std::string& sys = in.system_root;
  for (const char* top : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) add_host_path(p, sys + top, top);
  if (!sys.empty()) {  // a golden rootfs: its /etc is no secret of the host's
    add_host_path(p, sys + "/opt", "/opt");
    add_host_path(p, sys + "/etc", "/etc");
  } else {
    p.ops.push_back({fs_op::make_dir, p.root + "/etc", ""});
    std::vector<std::string> etc = {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group",
                                    "nsswitch.conf", "localtime", "mime.types"};
    if (lim.network) etc.insert(etc.end(), {"resolv.conf", "hosts", "ssl", "ca-certificates", "gai.conf"});
    for (const auto& name : etc) {
      char resolved[PATH_MAX];
      std::string host = "/etc/" + name;
      if (::realpath(host.c_str(), resolved)) add_host_path(p, resolved, "/etc/" + name);
    }
  }
  p.ops.push_back({fs_op::make_dir, p.root + "/dev", ""});
  p.ops.push_back({fs_op::tmpfs, p.root + "/dev", "mode=0755,size=64k"});
  for (const char* dev : {"null", "zero", "full", "random", "urandom"}) {
    std::string host = std::string("/dev/") + dev;
    p.ops.push_back({fs_op::touch, p.root + host, ""});
    p.ops.push_back({fs_op::bind_dev, p.root + host, host, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC | locked_flags(host)});
  }
  for (auto [link, to] : {std::pair{"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"},
                          {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"}})
    p.ops.push_back({fs_op::symlink, p.root + link, to});
  if (in.devpts) {
    p.ops.push_back({fs_op::make_dir, p.root + "/dev/pts", ""});
    p.ops.push_back({fs_op::devpts, p.root + "/dev/pts", "newinstance,ptmxmode=0666,mode=0620"});
    p.ops.push_back({fs_op::symlink, p.root + "/dev/ptmx", "pts/ptmx"});
  }
  p.ops.push_back({fs_op::make_dir, p.root + "/proc", ""});
  p.ops.push_back({fs_op::proc, p.root + "/proc", ""});
  p.ops.push_back({fs_op::make_dir, p.root + "/tmp", ""});
  p.ops.push_back({fs_op::tmpfs, p.root + "/tmp", tmp_mount_options(lim.tmp_mb)});
  p.ops.push_back({fs_op::make_dir, p.root + "/sandbox", ""});
  p.ops.push_back({fs_op::touch, p.root + "/sandbox/exe", ""});
  p.ops.push_back({fs_op::bind_ro, p.root + "/sandbox/exe", "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                   exe_source});
  std::vector<std::string> writable_inside, readable_inside;
  for (const auto& w : in.writable) {
    if (p.writable_host.size() == max_writable_dirs) break;
    std::string target = p.root + w.inside;
    for (auto slash = target.find('/', p.root.size() + 1); slash != std::string::npos; slash = target.find('/', slash + 1))
      p.ops.push_back({fs_op::make_dir, target.substr(0, slash), ""});
    struct stat st {};
    bool dir = ::stat(w.host.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
    p.ops.push_back({dir ? fs_op::make_dir : fs_op::touch, target, ""});
    int held = 1 + static_cast<int>(p.writable_host.size());
    if (w.read_only)
      p.ops.push_back({fs_op::bind_ro, target, "",
                       MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags(w.host), held});
    else
      p.ops.push_back(
          {fs_op::bind_rw, target, "", MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | locked_flags(w.host), held});
    p.writable_host.push_back(w.host);
    // A read-only file is readable where its directory is (binds over /etc's files).
    if (!w.read_only) writable_inside.push_back(w.inside);
    else if (dir) readable_inside.push_back(w.inside);
  }
  p.workdir = in.workdir;
  p.ops.push_back({fs_op::make_dir, p.old_root, ""});

  fill_rlimits(p.rlimits, lim, lim.max_processes);
  p.landlock = plan_landlock(writable_inside, readable_inside);
  if (lim.network && restricts_tcp(lim)) plan_tcp_ports(p.landlock, lim.tcp_bind, lim.tcp_connect);
  p.seccomp = build_seccomp_filter(lim.network);

  p.argv_store = in.argv;
  p.env_store = in.env;
  for (auto& a : p.argv_store) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_store) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return p;
}

std::string tmp_mount_options(std::uint64_t tmp_mb) { return "mode=1777,size=" + std::to_string(tmp_mb) + "m"; }

std::string describe(const child_error& e, const plan* p) {
  std::string call;
  if (e.step == s_fs_op && p && e.index >= 0 && static_cast<std::size_t>(e.index) < p->ops.size()) {
    const auto& op = p->ops[static_cast<std::size_t>(e.index)];
    std::string target = op.target.substr(p->root.size());
    std::string source = op.held == exe_source ? p->exe_path
                         : op.held > 0 && static_cast<std::size_t>(op.held) <= p->writable_host.size()
                             ? p->writable_host[static_cast<std::size_t>(op.held) - 1]
                             : op.source;
    call = std::string(kind_name(op.kind)) + " " + (source.empty() ? "" : source + " -> ") + target;
  } else if (e.step == s_open_exe && p && e.index > 0 &&
             static_cast<std::size_t>(e.index) <= p->writable_host.size()) {
    call = "open(" + p->writable_host[static_cast<std::size_t>(e.index) - 1] + ")";
  } else if (e.step == s_rlimit && e.index >= 0 && static_cast<std::size_t>(e.index) < rlimit_count) {
    call = std::string("setrlimit(") + rlimit_names[e.index] + ")";
  } else if (e.step >= 0 && e.step < s_step_count) {
    call = step_call[e.step];
  }
  return "sandbox setup failed at " + call + ": " + std::strerror(e.err);
}

result<void> map_ids(pid_t pid) {
  bool root = ::geteuid() == 0;
  std::string outside_uid = root ? "65534" : std::to_string(::geteuid());
  std::string outside_gid = root ? "65534" : std::to_string(::getegid());
  if (!root)
    if (auto r = write_proc(pid, "setgroups", "deny"); !r) return r;
  if (auto r = write_proc(pid, "uid_map", std::to_string(inside_id) + " " + outside_uid + " 1\n"); !r) return r;
  return write_proc(pid, "gid_map", std::to_string(inside_id) + " " + outside_gid + " 1\n");
}

// ---- parent side ----

fd_list::~fd_list() {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

result<void> make_pipes(fd_list& guard, std::initializer_list<int*> pairs) {
  for (int* pair : pairs) {
    if (::pipe2(pair, O_CLOEXEC) != 0) return fail(sandbox_errc::sandbox_setup_failed, std::string("pipe2: ") + std::strerror(errno));
    guard.fds.insert(guard.fds.end(), {pair[0], pair[1]});
  }
  return {};
}

result<pid_t> clone_into_namespaces(bool network, int& pidfd) {
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
  if (!network) args.flags |= CLONE_NEWNET;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail(sandbox_errc::sandbox_setup_failed, std::string("clone3(namespaces): ") + std::strerror(errno));
  return static_cast<pid_t>(pid);
}

result<void> check_executable(const std::string& path) {
  auto elf = read_elf_info(path);
  if (elf && !host_can_run(*elf))
    return fail(offer_errc::unsupported_architecture, path + " is built for " + elf->arch + "; this host runs " + host_arch());
  if (!elf && elf.error().code != sandbox_errc::not_elf) return elf.error();
  if (::access(path.c_str(), R_OK) != 0) return fail(sandbox_errc::file_unreadable, path + ": " + std::strerror(errno));
  if (::mkdir(root_base, 0700) != 0 && errno != EEXIST)
    return fail(sandbox_errc::sandbox_setup_failed, std::string("mkdir ") + root_base + ": " + std::strerror(errno));
  return {};
}

result<std::unique_ptr<cgroup>> run_cgroup(const limits& lim, cgroup_pool* pool) {
  auto group = pool ? pool->acquire(lim) : cgroup::create(run_group_name(), lim);
  if (!group) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      spdlog::warn("sandbox: cgroup limits unavailable ({}); memory and processes are bounded by rlimits only",
                   group.error().message);
  }
  return group;
}

std::string describe_enforcement(bool network, const cgroup* group, int landlock_abi) {
  std::string e = "userns,pidns,mountns,ipcns,utsns";
  e += network ? ",netns,user-network" : ",netns";
  if (group) e += std::string(",") + group->version();
  e += ",rlimits,no_new_privs";
  if (landlock_abi > 0) e += ",landlock-v" + std::to_string(landlock_abi);
  return e + ",seccomp";
}

result<void> await_exec(int errpipe_fd, const std::function<std::string(const child_error&)>& describe_error) {
  child_error e{};
  ssize_t n;
  while ((n = ::read(errpipe_fd, &e, sizeof e)) < 0 && errno == EINTR) {
  }
  if (n == sizeof e && e.step == s_execve)  // the sandbox stood; the program itself cannot run
    return fail(sandbox_errc::program_not_runnable, describe_error(e));
  if (n == sizeof e) return fail(sandbox_errc::sandbox_setup_failed, describe_error(e));
  return {};
}

// ---- child side ----

void child_fail(int err_fd, int step, int index) {
  child_error e{step, index, errno};
  ssize_t ignored = ::write(err_fd, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

void enter_root(const plan& p, int sync_fd, int err_fd) {
  char go;
  if (::read(sync_fd, &go, 1) != 1) child_fail(err_fd, s_wait_parent, 0);
  int held[1 + max_writable_dirs];
  held[exe_source] = ::open(p.exe_path.c_str(), O_PATH | O_CLOEXEC);
  if (held[exe_source] < 0) child_fail(err_fd, s_open_exe, 0);
  for (std::size_t i = 0; i < p.writable_host.size(); ++i) {
    held[1 + i] = ::open(p.writable_host[i].c_str(), O_PATH | O_CLOEXEC);
    if (held[1 + i] < 0) child_fail(err_fd, s_open_exe, static_cast<int>(i) + 1);
  }
  // Raw system calls: glibc's wrappers would try to change the ids of every
  // thread the parent had, and wait forever for threads this process lacks.
  if (p.clear_groups && ::syscall(SYS_setgroups, 0, nullptr) != 0) child_fail(err_fd, s_setgroups, 0);
  if (::syscall(SYS_setresgid, inside_id, inside_id, inside_id) != 0) child_fail(err_fd, s_setresgid, 0);
  if (::syscall(SYS_setresuid, inside_id, inside_id, inside_id) != 0) child_fail(err_fd, s_setresuid, 0);
  if (::setsid() < 0) child_fail(err_fd, s_setsid, 0);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(err_fd, s_private_mounts, 0);
  for (std::size_t i = 0; i < p.ops.size(); ++i)
    if (run_fs_op(p.ops[i], held) != 0) child_fail(err_fd, s_fs_op, static_cast<int>(i));
  if (::syscall(SYS_pivot_root, p.root.c_str(), p.old_root.c_str()) != 0) child_fail(err_fd, s_pivot_root, 0);
  if (::chdir("/") != 0) child_fail(err_fd, s_chdir_root, 0);
  if (::umount2("/.old", MNT_DETACH) != 0) child_fail(err_fd, s_umount_old, 0);
  if (::rmdir("/.old") != 0) child_fail(err_fd, s_rmdir_old, 0);
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
    child_fail(err_fd, s_remount_root, 0);
  if (::sethostname("sandbox", 7) != 0) child_fail(err_fd, s_sethostname, 0);
  for (std::size_t i = 0; i <= p.writable_host.size(); ++i) ::close(held[i]);
}

void restrict_self(const plan& p, int err_fd) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(err_fd, s_no_new_privs, 0);
  if (int e = apply_landlock(p.landlock); e != 0) {
    errno = e;
    child_fail(err_fd, s_landlock, 0);
  }
}

void confine(const plan& p, const rlimit_item* rlimits, int err_fd, int in_fd, int out_fd, int errout_fd,
             bool with_landlock) {
  if (with_landlock) restrict_self(p, err_fd);
  // After Landlock, which opens descriptors: the node's own (many, closed
  // only later) may already exceed the run's RLIMIT_NOFILE.
  for (std::size_t i = 0; i < rlimit_count; ++i) {
    rlimit rl{rlimits[i].soft, rlimits[i].hard};
    if (::setrlimit(rlimits[i].resource, &rl) != 0) child_fail(err_fd, s_rlimit, static_cast<int>(i));
  }
  if (::chdir(p.workdir.c_str()) != 0) child_fail(err_fd, s_chdir_tmp, 0);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(errout_fd, 2) < 0) child_fail(err_fd, s_dup_stdio, 0);
  sock_fprog prog{static_cast<unsigned short>(p.seccomp.size()), const_cast<sock_filter*>(p.seccomp.data())};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) child_fail(err_fd, s_seccomp, 0);
}

namespace {

struct exec_args {
  const workload* w;
  int err_fd, status_fd;
};

int exec_workload(void* raw) {
  auto* a = static_cast<exec_args*>(raw);
  ::close(a->status_fd);
  // Dies with its init: a guest command cut by its timeout or kill takes
  // its workload along (in a run's own pid namespace that happens anyway).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(a->err_fd, s_pdeathsig, 0);
  // Its own session and process group, which a guest command's timeout
  // stops whole; with a pty, that is its controlling terminal.
  if (::setsid() < 0) child_fail(a->err_fd, s_setsid, 0);
  if (a->w->terminal && ::ioctl(0, TIOCSCTTY, 0) != 0) child_fail(a->err_fd, s_terminal, 0);
  ::execve(a->w->path, a->w->argv, a->w->envp);
  child_fail(a->err_fd, s_execve, 0);
}

}  // namespace

// pid 1 of the sandbox: starts the workload (so it is not a namespace init,
// whose own signals the kernel ignores), reaps every process, and reports
// the workload's status on status_fd when it ends; its exit then tears the
// namespace down, killing whatever the workload left behind.
void run_init(const workload& w, int err_fd, int status_fd, char* stack, std::size_t stack_size) {
  // vfork-style: the workload borrows this address space until its execve,
  // so nothing is copied, and no glibc fork lock (possibly held by another
  // thread of the node when this process was cloned) is taken.
  // Nothing of the node's reaches the workload: only stdio and the two pipes.
  int lo = std::min(err_fd, status_fd), hi = std::max(err_fd, status_fd);
  if (lo > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(lo) - 1, 0u);
  if (hi > lo + 1) ::syscall(SYS_close_range, static_cast<unsigned>(lo) + 1, static_cast<unsigned>(hi) - 1, 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(hi) + 1, ~0u, 0u);
  exec_args args{&w, err_fd, status_fd};
  pid_t workload = ::clone(exec_workload, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  if (workload < 0) child_fail(err_fd, s_fork_workload, 0);
  // Init never execs, so close-on-exec never fires for it: close every
  // descriptor but the status pipe, or the workload's stdin would never see
  // EOF and the parent would not learn of its exec (errpipe).
  if (status_fd > 0) ::syscall(SYS_close_range, 0u, static_cast<unsigned>(status_fd) - 1, 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(status_fd) + 1, ~0u, 0u);
  int status = 0;
  rusage ru{};
  await_workload(workload, 0, status, ru);
  report_workload(status_fd, status, ru);
  ::_exit(0);
}

void await_go(int err_fd, int sync_fd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, s_pdeathsig, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  if (::sigaction(SIGCHLD, &dfl, nullptr) != 0) child_fail(err_fd, s_signals, 0);
  char go;
  if (::read(sync_fd, &go, 1) != 1) child_fail(err_fd, s_wait_parent, 0);
}

void await_workload(pid_t workload, int wait_flags, int& status, rusage& ru) {
  for (;;) {
    pid_t r = ::wait4(-1, &status, wait_flags, &ru);
    if (r == workload) return;
    if (r < 0 && errno != EINTR) ::_exit(125);
  }
}

void report_workload(int status_fd, int status, const rusage& ru) {
  workload_report report{};
  report.signaled = WIFSIGNALED(status) ? 1 : 0;
  report.value = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
  report.cpu_usec = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  report.maxrss_kb = ru.ru_maxrss;
  ssize_t ignored = ::write(status_fd, &report, sizeof report);
  (void)ignored;
}

}  // namespace hearth::sandbox::detail
