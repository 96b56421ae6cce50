// Everything a sandbox launch does, prepared in the parent before clone (it
// allocates), and the child-side steps that carry it out with system calls
// only. Shared by the cold launcher (one sandbox per run) and the warm
// sandbox (namespaces and root built once, a fresh confined process per run).
// Internal to hearth_sandbox.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/cgroup_pool.hpp"
#include "sandbox/landlock_rules.hpp"
#include "sandbox/launcher.hpp"
#include "sandbox/limits.hpp"

namespace hearth::sandbox::detail {

constexpr uid_t inside_id = 1000;
constexpr const char* root_base = "/tmp/.hearth-sandbox";
// The child opens the executable and the writable directories while it
// still has the node's credentials, and binds them from /proc/self/fd: at
// whatever descriptors they get, never fixed numbers, which a node holding
// a thousand descriptors would have its pipes and sockets at.
constexpr std::size_t max_writable_dirs = 16;
constexpr int exe_source = 0;  // fs_op::held: the executable; 1 + i: writable_host[i]
// The stack the workload borrows between its clone and its execve.
constexpr std::size_t exec_stack_size = 64 * 1024;

// One filesystem step of the new root, with its strings ready before clone.
struct fs_op {
  enum kind_t { make_dir, touch, symlink, bind_ro, bind_dev, tmpfs, proc, bind_rw, devpts } kind;
  std::string target;  // absolute host-side path under the new root
  std::string source;  // bind source, symlink content, or tmpfs options
  unsigned long remount_flags = 0;
  int held = -1;  // a bind from a descriptor the child holds (exe_source, 1 + i) instead of source
};

// Child steps, reported by index through the error pipe.
enum step : int {
  s_wait_parent, s_open_exe, s_setgroups, s_setresgid, s_setresuid, s_setsid, s_pdeathsig, s_private_mounts, s_fs_op,
  s_pivot_root, s_chdir_root, s_umount_old, s_rmdir_old, s_remount_root, s_sethostname, s_rlimit,
  s_no_new_privs, s_landlock, s_seccomp, s_chdir_tmp, s_dup_stdio, s_execve, s_fork_workload,
  s_mount_tmp, s_mount_proc, s_signals, s_terminal, s_slot_setup, s_step_count
};

struct child_error {
  int step;
  int index;
  int err;
};

// What the sandbox's init reports on the status pipe when the workload ends.
struct workload_report {
  int signaled;  // 1: value is a signal number; 0: an exit code
  int value;
  long long cpu_usec;   // user + system of the workload and the children it reaped
  long long maxrss_kb;
};

struct rlimit_item {
  int resource;
  rlim_t soft, hard;
  const char* name;
};

constexpr std::size_t rlimit_count = 6;
constexpr const char* rlimit_names[rlimit_count] = {"RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NOFILE",
                                                    "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CORE"};
constexpr int rlimit_resources[rlimit_count] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_NOFILE,
                                                RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CORE};

struct plan {
  std::string root;
  std::string old_root;  // root + "/.old", where pivot_root puts the host's root
  std::vector<fs_op> ops;
  rlimit_item rlimits[rlimit_count];
  landlock_plan landlock;
  std::vector<sock_filter> seccomp;
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, envp;
  std::vector<char> exec_stack = std::vector<char>(exec_stack_size);  // the workload's until execve
  bool clear_groups = false;
  std::string exe_path;  // opened by the child: a bind source must live in its own mount namespace
  std::string workdir = "/tmp";
  std::vector<std::string> writable_host;  // opened by the child, bound as held source 1 + i
};

struct plan_input {
  std::string executable;
  std::vector<std::string> argv;  // argv[0] first
  std::vector<std::string> env;
  limits lim;
  std::vector<writable_dir> writable;
  std::string workdir = "/tmp";
  std::string system_root;  // empty: the host's system directories and chosen /etc files
  bool devpts = false;      // a private devpts at /dev/pts (ptys made inside: sshd's sessions)
};

plan make_plan(const plan_input& in);
// The rlimits a run gets; nproc overrides max_processes (warm sandboxes
// share one user namespace, so the count there spans concurrent runs).
void fill_rlimits(rlimit_item (&out)[rlimit_count], const limits& lim, rlim_t nproc);

// Names the failed step; filesystem steps are named from p's ops (runs in a
// warm sandbox have none, and pass no plan).
std::string describe(const child_error& e, const plan* p = nullptr);
// The options of a run's private /tmp.
std::string tmp_mount_options(std::uint64_t tmp_mb);
// uid/gid maps for a child that entered a new user namespace.
result<void> map_ids(pid_t pid);

// ---- parent side ----

// Closes what it holds when it goes out of scope.
struct fd_list {
  std::vector<int> fds;
  ~fd_list();
};

// Close-on-exec pipes into each pair, held by guard until handed on.
result<void> make_pipes(fd_list& guard, std::initializer_list<int*> pairs);
// clone3 into new user, pid, mount, ipc, uts (and, without network, net)
// namespaces: 0 in the child, the child's pid in the parent.
result<pid_t> clone_into_namespaces(bool network, int& pidfd);
// The executable must exist, be readable and run on this host's architecture.
result<void> check_executable(const std::string& path);
// A per-run cgroup, new or (from pool) emptied and counting afresh, or why
// the host offers none (warned about once).
result<std::unique_ptr<cgroup>> run_cgroup(const limits& lim, cgroup_pool* pool = nullptr);
std::string describe_enforcement(bool network, const cgroup* group, int landlock_abi);
// Blocks until the workload has exec'd (the error pipe closes) or a child
// step reports its failure.
result<void> await_exec(int errpipe_fd, const std::function<std::string(const child_error&)>& describe_error);

// ---- child side: system calls only, no allocation, no glibc wrapper that
// takes a lock (the child is a raw clone of a multithreaded process) ----

[[noreturn]] void child_fail(int err_fd, int step, int index);
// Waits for the parent's go, takes the unprivileged ids, builds the root,
// pivots into it and makes it read-only.
void enter_root(const plan& p, int sync_fd, int err_fd);
// no_new_privs and the plan's Landlock domain, for the calling process and
// everything it starts (a guest environment's zygote takes them once).
void restrict_self(const plan& p, int err_fd);
// Applies rlimits, no_new_privs, Landlock, the working directory, stdio and
// seccomp to the calling process and everything it starts. with_landlock
// false: the caller is already in the domain it should share (a guest
// environment's commands, which may signal one another).
void confine(const plan& p, const rlimit_item* rlimits, int err_fd, int in_fd, int out_fd, int errout_fd,
             bool with_landlock = true);
// What run_init starts: path is inside the sandbox; with terminal, stdin
// is a pty's slave that becomes the workload's controlling terminal.
struct workload {
  const char* path;
  char* const* argv;
  char* const* envp;
  bool terminal = false;
};
// Becomes the run's init (pid 1 of a fresh pid namespace, or a guest
// command's parent): starts the workload (on stack until its execve), reaps
// its children, writes a workload_report to status_fd and exits.
[[noreturn]] void run_init(const workload& w, int err_fd, int status_fd, char* stack, std::size_t stack_size);
// A freshly cloned sandbox child's first steps: it dies with its parent,
// waits for its own children normally, and waits for the parent's go.
void await_go(int err_fd, int sync_fd);
// Reaps children (wait_flags: 0, or __WALL to take clone children too)
// until the workload ends; its wait status and rusage.
void await_workload(pid_t workload, int wait_flags, int& status, rusage& ru);
// Writes the workload's end (its wait status and rusage) to status_fd.
void report_workload(int status_fd, int status, const rusage& ru);


}  // namespace hearth::sandbox::detail
