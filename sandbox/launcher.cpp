#include "sandbox/launcher.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "sandbox/elf_arch.hpp"
#include "sandbox/landlock_rules.hpp"
#include "sandbox/seccomp_filter.hpp"

namespace hearth::sandbox {
namespace {

constexpr uid_t inside_id = 1000;
constexpr const char* root_base = "/tmp/.hearth-sandbox";

// One filesystem step of the new root, with its strings ready before clone.
struct fs_op {
  enum kind_t { make_dir, touch, symlink, bind_ro, bind_dev, tmpfs, proc } kind;
  std::string target;  // absolute host-side path under the new root
  std::string source;  // bind source, symlink content, or tmpfs options
  unsigned long remount_flags = 0;
};

const char* kind_name(fs_op::kind_t k) {
  static const char* names[] = {"mkdir", "touch", "symlink", "mount bind", "mount bind", "mount tmpfs", "mount proc"};
  return names[k];
}

// Child steps, reported by index through the error pipe.
enum step : int {
  s_wait_parent, s_open_exe, s_setgroups, s_setresgid, s_setresuid, s_setsid, s_pdeathsig, s_private_mounts, s_fs_op,
  s_pivot_root, s_chdir_root, s_umount_old, s_rmdir_old, s_remount_root, s_sethostname, s_rlimit,
  s_no_new_privs, s_landlock, s_seccomp, s_chdir_tmp, s_dup_stdio, s_execve, s_fork_workload
};
const char* step_call[] = {
    "read(sync pipe)", "open(executable) in the new mount namespace", "setgroups(0)", "setresgid", "setresuid", "setsid", "prctl(PR_SET_PDEATHSIG)",
    "mount(/, MS_REC|MS_PRIVATE)", "", "pivot_root", "chdir(/)", "umount2(/.old, MNT_DETACH)", "rmdir(/.old)",
    "mount(/, MS_REMOUNT|MS_RDONLY)", "sethostname", "setrlimit", "prctl(PR_SET_NO_NEW_PRIVS)",
    "landlock_restrict_self", "prctl(PR_SET_SECCOMP)", "chdir(/tmp)", "dup2", "execve(/sandbox/exe)",
    "fork(workload)"};

struct child_error {
  int step;
  int index;
  int err;
};

struct rlimit_item {
  int resource;
  rlim_t soft, hard;
  const char* name;
};

struct plan {
  std::string root;
  std::string old_root;  // root + "/.old", where pivot_root puts the host's root
  std::vector<fs_op> ops;
  std::vector<rlimit_item> rlimits;
  landlock_plan landlock;
  std::vector<sock_filter> seccomp;
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, envp;
  bool clear_groups = false;
  std::string exe_path;  // opened by the child: a bind source must live in its own mount namespace
};

// The child keeps the executable open at this descriptor for the bind mount.
constexpr int exe_fd_slot = 1023;

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

void add_host_path(plan& p, const std::string& host, const std::string& inside, bool required_dir = false) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) return;
  std::string target = p.root + inside;
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
    if (n > 0) p.ops.push_back({fs_op::symlink, target, std::string(buf, static_cast<std::size_t>(n))});
    return;
  }
  bool dir = S_ISDIR(st.st_mode);
  if (required_dir && !dir) return;
  p.ops.push_back({dir ? fs_op::make_dir : fs_op::touch, target, ""});
  p.ops.push_back({fs_op::bind_ro, target, host, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags(host)});
}

plan make_plan(const launch_spec& spec) {
  plan p;
  p.root = root_base;
  p.old_root = p.root + "/.old";
  p.exe_path = spec.executable;
  p.clear_groups = ::geteuid() == 0;
  const auto& lim = spec.lim;
  p.ops.push_back({fs_op::tmpfs, p.root, "mode=0755,size=1m"});
  for (const char* top : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) add_host_path(p, top, top);
  p.ops.push_back({fs_op::make_dir, p.root + "/etc", ""});
  std::vector<std::string> etc = {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group",
                                  "nsswitch.conf", "localtime", "mime.types"};
  if (lim.network) etc.insert(etc.end(), {"resolv.conf", "hosts", "ssl", "ca-certificates", "gai.conf"});
  for (const auto& name : etc) {
    char resolved[PATH_MAX];
    std::string host = "/etc/" + name;
    if (::realpath(host.c_str(), resolved)) add_host_path(p, resolved, "/etc/" + name);
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
  p.ops.push_back({fs_op::make_dir, p.root + "/proc", ""});
  p.ops.push_back({fs_op::proc, p.root + "/proc", ""});
  p.ops.push_back({fs_op::make_dir, p.root + "/tmp", ""});
  p.ops.push_back({fs_op::tmpfs, p.root + "/tmp", "mode=1777,size=" + std::to_string(lim.tmp_mb) + "m"});
  p.ops.push_back({fs_op::make_dir, p.root + "/sandbox", ""});
  p.ops.push_back({fs_op::touch, p.root + "/sandbox/exe", ""});
  p.ops.push_back({fs_op::bind_ro, p.root + "/sandbox/exe", "/proc/self/fd/" + std::to_string(exe_fd_slot),
                   MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV});
  p.ops.push_back({fs_op::make_dir, p.old_root, ""});

  rlim_t as = (2 * lim.ram_mb + 256) << 20;
  p.rlimits = {
      {RLIMIT_CPU, static_cast<rlim_t>(lim.cpu_secs), static_cast<rlim_t>(lim.cpu_secs + 1), "RLIMIT_CPU"},
      {RLIMIT_AS, as, as, "RLIMIT_AS"},
      {RLIMIT_NOFILE, lim.max_open_files, lim.max_open_files, "RLIMIT_NOFILE"},
      {RLIMIT_NPROC, lim.max_processes, lim.max_processes, "RLIMIT_NPROC"},
      {RLIMIT_FSIZE, lim.tmp_mb << 20, lim.tmp_mb << 20, "RLIMIT_FSIZE"},
      {RLIMIT_CORE, 0, 0, "RLIMIT_CORE"},
  };
  p.landlock = plan_landlock();
  p.seccomp = build_seccomp_filter(lim.network);

  p.argv_store.push_back(spec.argv0);
  p.argv_store.insert(p.argv_store.end(), spec.args.begin(), spec.args.end());
  p.env_store = spec.env;
  for (auto& a : p.argv_store) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_store) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return p;
}

// ---- child side: system calls only, no allocation ----

[[noreturn]] void child_fail(int err_fd, int step, int index) {
  child_error e{step, index, errno};
  ssize_t ignored = ::write(err_fd, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

int run_fs_op(const fs_op& op) {
  switch (op.kind) {
    case fs_op::make_dir:
      return ::mkdir(op.target.c_str(), 0755) == 0 || errno == EEXIST ? 0 : -1;
    case fs_op::touch: {
      int fd = ::open(op.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return -1;
      ::close(fd);
      return 0;
    }
    case fs_op::symlink:
      return ::symlink(op.source.c_str(), op.target.c_str());
    case fs_op::bind_ro:
    case fs_op::bind_dev:
      if (::mount(op.source.c_str(), op.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return -1;
      return ::mount(nullptr, op.target.c_str(), nullptr, op.remount_flags, nullptr);
    case fs_op::tmpfs:
      return ::mount("tmpfs", op.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, op.source.c_str());
    case fs_op::proc:
      return ::mount("proc", op.target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
  return -1;
}

// pid 1 of the sandbox: forks the workload (so it is not a namespace init,
// whose own signals the kernel ignores), reaps every process, and reports
// the workload's status on status_fd when it ends; its exit then tears the
// namespace down, killing whatever the workload left behind.
[[noreturn]] void run_init(const plan& p, int err_fd, int status_fd) {
  pid_t workload = ::fork();
  if (workload < 0) child_fail(err_fd, s_fork_workload, 0);
  if (workload == 0) {
    ::close(status_fd);
    ::execve("/sandbox/exe", p.argv.data(), p.envp.data());
    child_fail(err_fd, s_execve, 0);
  }
  // Init never execs, so close-on-exec never fires for it: close every
  // descriptor but the status pipe, or the workload's stdin would never see
  // EOF and the parent would not learn of its exec (errpipe).
  if (status_fd > 0) ::syscall(SYS_close_range, 0u, static_cast<unsigned>(status_fd) - 1, 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(status_fd) + 1, ~0u, 0u);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(-1, &status, 0);
    if (r == workload) break;
    if (r < 0 && errno != EINTR) ::_exit(125);
  }
  int report[2] = {WIFSIGNALED(status) ? 1 : 0, WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)};
  ssize_t ignored = ::write(status_fd, report, sizeof report);
  (void)ignored;
  ::_exit(0);
}

[[noreturn]] void child_main(const plan& p, int sync_fd, int err_fd, int status_fd, int in_fd, int out_fd,
                             int errout_fd) {
  char go;
  if (::read(sync_fd, &go, 1) != 1) child_fail(err_fd, s_wait_parent, 0);
  int exe = ::open(p.exe_path.c_str(), O_PATH | O_CLOEXEC);
  if (exe < 0 || ::dup3(exe, exe_fd_slot, O_CLOEXEC) < 0) child_fail(err_fd, s_open_exe, 0);
  if (p.clear_groups && ::setgroups(0, nullptr) != 0) child_fail(err_fd, s_setgroups, 0);
  if (::setresgid(inside_id, inside_id, inside_id) != 0) child_fail(err_fd, s_setresgid, 0);
  if (::setresuid(inside_id, inside_id, inside_id) != 0) child_fail(err_fd, s_setresuid, 0);
  if (::setsid() < 0) child_fail(err_fd, s_setsid, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, s_pdeathsig, 0);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(err_fd, s_private_mounts, 0);
  for (std::size_t i = 0; i < p.ops.size(); ++i)
    if (run_fs_op(p.ops[i]) != 0) child_fail(err_fd, s_fs_op, static_cast<int>(i));
  if (::syscall(SYS_pivot_root, p.root.c_str(), p.old_root.c_str()) != 0) child_fail(err_fd, s_pivot_root, 0);
  if (::chdir("/") != 0) child_fail(err_fd, s_chdir_root, 0);
  if (::umount2("/.old", MNT_DETACH) != 0) child_fail(err_fd, s_umount_old, 0);
  if (::rmdir("/.old") != 0) child_fail(err_fd, s_rmdir_old, 0);
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
    child_fail(err_fd, s_remount_root, 0);
  if (::sethostname("sandbox", 7) != 0) child_fail(err_fd, s_sethostname, 0);
  for (std::size_t i = 0; i < p.rlimits.size(); ++i) {
    rlimit rl{p.rlimits[i].soft, p.rlimits[i].hard};
    if (::setrlimit(p.rlimits[i].resource, &rl) != 0) child_fail(err_fd, s_rlimit, static_cast<int>(i));
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(err_fd, s_no_new_privs, 0);
  if (int e = apply_landlock(p.landlock); e != 0) {
    errno = e;
    child_fail(err_fd, s_landlock, 0);
  }
  if (::chdir("/tmp") != 0) child_fail(err_fd, s_chdir_tmp, 0);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(errout_fd, 2) < 0) child_fail(err_fd, s_dup_stdio, 0);
  sock_fprog prog{static_cast<unsigned short>(p.seccomp.size()), const_cast<sock_filter*>(p.seccomp.data())};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) child_fail(err_fd, s_seccomp, 0);
  run_init(p, err_fd, status_fd);
}

// ---- parent side ----

std::string describe(const plan& p, const child_error& e) {
  std::string call;
  if (e.step == s_fs_op && e.index >= 0 && static_cast<std::size_t>(e.index) < p.ops.size()) {
    const auto& op = p.ops[static_cast<std::size_t>(e.index)];
    std::string target = op.target.substr(p.root.size());
    call = std::string(kind_name(op.kind)) + " " + (op.source.empty() ? "" : op.source + " -> ") + target;
  } else if (e.step == s_rlimit && e.index >= 0 && static_cast<std::size_t>(e.index) < p.rlimits.size()) {
    call = std::string("setrlimit(") + p.rlimits[static_cast<std::size_t>(e.index)].name + ")";
  } else if (e.step >= 0 && e.step <= s_execve) {
    call = step_call[e.step];
  }
  return "sandbox setup failed at " + call + ": " + std::strerror(e.err);
}

result<void> write_proc(pid_t pid, const char* file, const std::string& value) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("sandbox_setup_failed", "open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  ::close(fd);
  if (!ok) return fail("sandbox_setup_failed", "write " + path + " '" + value + "': " + std::strerror(err));
  return {};
}

struct fd_set_guard {
  std::vector<int> fds;
  ~fd_set_guard() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

std::atomic<unsigned> launch_counter{0};

}  // namespace

sandboxed_process::~sandboxed_process() {
  for (int fd : {pidfd, stdin_fd, stdout_fd, stderr_fd, status_fd})
    if (fd >= 0) ::close(fd);
}

result<std::unique_ptr<sandboxed_process>> launch(const launch_spec& spec) {
  auto elf = read_elf_info(spec.executable);
  if (elf && !host_can_run(*elf))
    return fail("unsupported_architecture",
                spec.executable + " is built for " + elf->arch + "; this host runs " + host_arch());
  if (!elf && elf.error().code != "not_elf") return elf.error();

  if (::access(spec.executable.c_str(), R_OK) != 0)
    return fail("file_unreadable", spec.executable + ": " + std::strerror(errno));
  fd_set_guard guard;
  if (::mkdir(root_base, 0700) != 0 && errno != EEXIST)
    return fail("sandbox_setup_failed", std::string("mkdir ") + root_base + ": " + std::strerror(errno));

  auto proc = std::make_unique<sandboxed_process>();
  std::string enforcement = "userns,pidns,mountns,ipcns,utsns";
  if (!spec.lim.network) enforcement += ",netns";
  std::string name = "run-" + std::to_string(::getpid()) + "-" + std::to_string(++launch_counter);
  auto group = cgroup::create(name, spec.lim);
  if (group) {
    enforcement += std::string(",") + (*group)->version();
    proc->group = std::move(*group);
  } else {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      spdlog::warn("sandbox: cgroup limits unavailable ({}); memory and processes are bounded by rlimits only",
                   group.error().message);
  }

  plan p = make_plan(spec);
  enforcement += ",rlimits,no_new_privs";
  if (p.landlock.abi > 0) enforcement += ",landlock-v" + std::to_string(p.landlock.abi);
  enforcement += ",seccomp";

  int in[2], out[2], err[2], sync[2], errpipe[2], status[2];
  for (int* pair : {in, out, err, sync, errpipe, status}) {
    if (::pipe2(pair, O_CLOEXEC) != 0) return fail("sandbox_setup_failed", std::string("pipe2: ") + std::strerror(errno));
    guard.fds.push_back(pair[0]);
    guard.fds.push_back(pair[1]);
  }

  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
  if (!spec.lim.network) args.flags |= CLONE_NEWNET;
  int pidfd = -1;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail("sandbox_setup_failed", std::string("clone3(namespaces): ") + std::strerror(errno));
  if (pid == 0) child_main(p, sync[0], errpipe[1], status[1], in[0], out[1], err[1]);

  proc->pid = static_cast<pid_t>(pid);
  proc->pidfd = pidfd;
  auto abort_child = [&](failure f) -> failure {
    ::kill(proc->pid, SIGKILL);
    ::waitpid(proc->pid, nullptr, 0);
    proc->pid = -1;
    return f;
  };
  bool root = ::geteuid() == 0;
  std::string outside_uid = root ? "65534" : std::to_string(::geteuid());
  std::string outside_gid = root ? "65534" : std::to_string(::getegid());
  if (!root) {
    if (auto r = write_proc(proc->pid, "setgroups", "deny"); !r) return abort_child(r.error());
  }
  if (auto r = write_proc(proc->pid, "uid_map", std::to_string(inside_id) + " " + outside_uid + " 1\n"); !r)
    return abort_child(r.error());
  if (auto r = write_proc(proc->pid, "gid_map", std::to_string(inside_id) + " " + outside_gid + " 1\n"); !r)
    return abort_child(r.error());
  if (proc->group)
    if (auto r = proc->group->add(proc->pid); !r) return abort_child(r.error());
  if (::write(sync[1], "g", 1) != 1) return abort_child(fail("sandbox_setup_failed", "write(sync pipe) failed"));
  ::close(sync[1]);
  sync[1] = -1;
  ::close(errpipe[1]);
  errpipe[1] = -1;
  guard.fds = {in[0], out[1], err[1], sync[0], status[1]};  // the child's ends
  proc->status_fd = status[0];
  proc->stdin_fd = in[1];
  proc->stdout_fd = out[0];
  proc->stderr_fd = err[0];

  child_error e{};
  ssize_t n;
  while ((n = ::read(errpipe[0], &e, sizeof e)) < 0 && errno == EINTR) {
  }
  ::close(errpipe[0]);
  if (n == sizeof e) {
    int status = 0;
    ::waitpid(proc->pid, &status, 0);
    proc->pid = -1;
    return fail("sandbox_setup_failed", describe(p, e));
  }
  proc->enforcement = std::move(enforcement);
  return proc;
}

}  // namespace hearth::sandbox
