// hearth_sandbox: executable architecture detection.
#include <catch2/catch.hpp>

#include "support/skip.hpp"

#include <algorithm>
#include <fstream>

#include "sandbox/elf_arch.hpp"
#include "support/process.hpp"

using namespace hearth::sandbox;

TEST_CASE("the host's own binaries are runnable ELF of its architecture", "[elf]") {
  auto info = read_elf_info("/bin/true");
  REQUIRE(info);
  CHECK(info->arch == host_arch());
  CHECK(info->is_executable);
  CHECK(host_can_run(*info));
}

TEST_CASE("non-ELF and foreign-architecture files are refused", "[elf]") {
  hearth::test::temp_dir dir;
  std::ofstream(dir.file("script")) << "#!/bin/sh\necho hi\n";
  auto script = read_elf_info(dir.file("script"));
  REQUIRE_FALSE(script);
  CHECK(script.error().code == hearth::sandbox_errc::not_elf);

  // A minimal little-endian 64-bit ELF header for a machine the host is not.
  std::string header(64, '\0');
  header.replace(0, 4, "\x7f" "ELF");
  header[4] = 2;      // ELFCLASS64
  header[5] = 1;      // little endian
  header[16] = 2;     // ET_EXEC
  header[18] = host_arch() == "aarch64" ? 62 : static_cast<char>(183);  // EM_X86_64 or EM_AARCH64
  std::ofstream(dir.file("foreign"), std::ios::binary) << header;
  auto foreign = read_elf_info(dir.file("foreign"));
  REQUIRE(foreign);
  CHECK(foreign->arch != host_arch());
  CHECK_FALSE(host_can_run(*foreign));
  CHECK_FALSE(read_elf_info(dir.file("missing")).ok());
}

// ---- the sandbox, with the probe inside it ----

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>

#include "sandbox/seccomp_filter.hpp"

#include "sandbox/isolation.hpp"
#include "sandbox/runner.hpp"

namespace {

// Each sandbox test runs twice: cold (a sandbox per run) and warm (runs
// cloned from the probe's warm sandbox), which must contain it alike.
warm_pool* active_pool = nullptr;

warm_pool& shared_pool() {
  static warm_pool pool;
  return pool;
}

bool each_mode() {
  bool warm = GENERATE(false, true);
  active_pool = warm ? &shared_pool() : nullptr;
  return warm;
}

struct probe_run {
  run_report report;
  std::string out;
};

probe_run probe(std::vector<std::string> args, limits lim = {}, std::string input = "") {
  launch_spec spec;
  spec.executable = SANDBOX_PROBE;
  spec.args = std::move(args);
  spec.env = {"PATH=/usr/bin:/bin", "SECRET_FROM_SPEC=visible"};
  spec.lim = lim;
  probe_run r;
  run_io io;
  io.stdin_data = std::move(input);
  io.on_stdout = [&](std::string_view s) { r.out.append(s); };
  auto report = run(spec, std::move(io), active_pool);
  INFO((report ? "" : report.error().message));
  REQUIRE(report);
  CHECK((report->enforcement.find(",warm") != std::string::npos) == (active_pool != nullptr));
  r.report = *report;
  return r;
}

bool denied(const probe_run& r) { return r.out.rfind("denied", 0) == 0; }

}  // namespace

TEST_CASE("the sandboxed process is unprivileged and confined", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  auto who = probe({"whoami"});
  CHECK(who.report.how == ending::exited);
  CHECK(who.out.find("uid=1000 euid=1000") != std::string::npos);
  CHECK(who.out.find("pid=2 ") != std::string::npos);  // its own pid namespace, under the sandbox's init
  CHECK(who.out.find("CapEff:\t0000000000000000") != std::string::npos);
  CHECK(who.out.find("NoNewPrivs:\t1") != std::string::npos);
  CHECK(who.out.find("Seccomp:\t2") != std::string::npos);  // the filter is on, as the kernel says
  CHECK(who.report.enforcement.find("landlock-v") != std::string::npos);  // or the run would have refused
  int inheritable = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: would leak through a plain exec
  CHECK(probe({"fds"}).out == "0 1 2 \n");          // nothing of the node's is inherited
  ::close(inheritable);
}

TEST_CASE("host files are out of sight and the root is read-only", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  for (const char* path : {"/etc/shadow", "/root/.bashrc", "/home", SANDBOX_PROBE, "/proc/1/environ/../../../etc/hostname"})
    CHECK(denied(probe({"read", path})));
  CHECK(denied(probe({"write", "/etc/passwd"})));
  CHECK(denied(probe({"write", "/sandbox/exe"})));
  CHECK(denied(probe({"write", "/usr/bin/evil"})));
  CHECK(probe({"write", "/tmp/scratch"}).out == "ok\n");
  CHECK(probe({"read", "/etc/passwd"}).out == "ok\n");  // what programs need stays readable
}

TEST_CASE("dangerous system calls are refused", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  for (const char* what : {"mount", "ptrace", "unshare"}) {
    auto r = probe({what});
    INFO(what << ": " << r.out);
    CHECK(r.out.find("denied errno=1 ") == 0);
  }
}

TEST_CASE("a hostile program's escapes are contained, one by one", "[sandbox][attack]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  // Refused by the seccomp filter itself (EPERM), whatever else the host has.
  for (const char* what : {"ptrace-init", "ptrace-sibling", "umount", "pivot_root", "keyring", "perf", "userfaultfd",
                           "bpf"}) {
    auto r = probe({what});
    INFO(what << ": " << r.out);
    CHECK(r.out.find("denied errno=1 ") == 0);
  }
  // Refused one way or another (no such node or id, no permission, another filesystem).
  std::vector<std::vector<std::string>> attempts = {
      {"setuid"}, {"setgid"}, {"setns"}, {"raw-socket"}, {"packet-socket"}, {"sysctl"}, {"tiocsti"},
      {"read", "/dev/mem"}, {"read", "/dev/kmsg"}, {"read", "/dev/sda"}, {"read", "/dev/vda"},
      {"read", "/proc/kcore"}, {"read", "/proc/sysrq-trigger"},
      {"link", "/etc/passwd"}, {"symlink", "/etc/shadow"}, {"symlink", "/proc/1/root/etc/shadow"}};
  for (const auto& a : attempts) {
    auto r = probe(a);
    INFO(a[0] << " " << (a.size() > 1 ? a[1] : "") << ": " << r.out);
    CHECK(denied(r));
  }
  auto tty = probe({"tiocsti"});  // when the sandbox has a pty to try it on, the filter refuses it
  if (tty.out.find("errno=2 ") == std::string::npos) CHECK(tty.out.find("denied errno=1 ") == 0);
  auto seen = probe({"procs"});  // its own pid namespace: the sandbox's init and itself
  INFO(seen.out);
  CHECK((seen.out == "ok 2\n" || seen.out == "ok 1\n"));
}

TEST_CASE("the seccomp filter refuses typing into a terminal (TIOCSTI), however the request is spelled", "[sandbox][attack]") {
  // The sandbox has no pty of its own to try it on, so the filter is tried
  // alone, in a child that owns a pty as its controlling terminal.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0 || ::setsid() < 0) ::_exit(10);
    int slave = ::open(::ptsname(master), O_RDWR);
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0) ::_exit(11);
    char c = 'x';
    if (::ioctl(slave, TIOCSTI, &c) != 0) ::_exit(12);  // allowed before the filter: the test can fail
    auto filter = build_seccomp_filter(false);
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
      ::_exit(13);
    if (::ioctl(slave, TIOCSTI, &c) == 0 || errno != EPERM) ::_exit(14);
    if (::syscall(SYS_ioctl, slave, 0x100000000ul | TIOCSTI, &c) == 0 || errno != EPERM) ::_exit(15);  // high bits
    if (::ioctl(slave, TIOCLINUX, &c) == 0 || errno != EPERM) ::_exit(16);
    int n = 0;
    if (::ioctl(slave, FIONREAD, &n) != 0) ::_exit(17);  // other ioctls still work
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("no network unless the limits allow it, and never the host's loopback", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));

  CHECK(denied(probe({"socket"})));
  CHECK(denied(probe({"connect", port})));
  limits open;
  open.network = true;
  // Internet through a namespace of its own (slirp4netns's tap0), not the host's: the node's
  // loopback-only endpoints stay out of reach.
  CHECK(probe({"socket"}, open).out == "ok\n");
  auto reach = probe({"connect", port}, open);
  CHECK(denied(reach));
  CHECK(reach.report.enforcement.find("user-network") != std::string::npos);
  CHECK(probe({"shell", "cat /proc/net/dev"}, open).out.find("tap0") != std::string::npos);
  ::close(listener);
}

TEST_CASE("an offer's TCP allowlist: bind and connect only to the ports listed", "[sandbox][tcp-ports]") {
  bool warm = GENERATE(false, true);
  INFO("through the warm pool: " << warm);
  auto tcp_probe = [warm](const limits& lim) -> hearth::result<probe_run> {
    launch_spec spec;
    spec.executable = SANDBOX_PROBE;
    spec.args = {"tcp", "18080", "18081", "19090"};
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.lim = lim;
    probe_run r;
    run_io io;
    io.on_stdout = [&](std::string_view s) { r.out.append(s); };
    auto report = run(spec, std::move(io), warm ? &shared_pool() : nullptr);
    if (!report) return report.error();
    r.report = *report;
    return r;
  };
  limits open;
  open.network = true;
  // Unrestricted, the probe binds and reaches every port of its own loopback.
  auto free_run = tcp_probe(open);
  REQUIRE(free_run);
  CHECK(free_run->out == "listen 18080: ok\nlisten 18081: ok\nconnect 18080: ok\nconnect 18081: ok\nbind 19090: ok\n");
  limits ports = open;
  ports.tcp_bind = {18080, 18081};
  ports.tcp_connect = {18080};
  auto r = tcp_probe(ports);
  if (!r && r.error().code == hearth::sandbox_errc::isolation_unavailable)
    HEARTH_SKIP("this kernel's Landlock has no network rules: " << r.error().message);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out.find("listen 18080: ok\nlisten 18081: ok\nconnect 18080: ok\n") == 0);
  CHECK(r->out.find("connect 18081: denied errno=13") != std::string::npos);
  CHECK(r->out.find("bind 19090: denied errno=13") != std::string::npos);
  CHECK(r->report.enforcement.find("tcp-ports") != std::string::npos);
  CHECK(r->report.enforcement.find(",warm") == std::string::npos);  // port rules are per run: always cold
}

TEST_CASE("a fork bomb stops at the process limit", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  limits lim;
  lim.max_processes = 16;
  auto r = probe({"forkbomb"}, lim);
  CHECK(r.report.how == ending::exited);
  int forked = std::stoi(r.out.substr(r.out.find(' ') + 1));
  CHECK(forked > 0);
  CHECK(forked < 16);
}

TEST_CASE("each limit ends the run and is named", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  limits lim;
  lim.ram_mb = 32;
  lim.cpu_secs = 1;
  lim.wall_secs = 2;
  lim.max_output_bytes = 10000;
  auto mem = probe({"alloc", "256"}, lim);
  INFO(mem.out);
  // With a memory cgroup the kernel kills it; with rlimits alone malloc fails.
  CHECK((mem.report.how == ending::memory_limit || mem.out.find("alloc failed") != std::string::npos));
  CHECK(mem.out.find("allocated") == std::string::npos);

  auto cpu = probe({"spin"}, lim);
  CHECK(cpu.report.how == ending::cpu_limit);
  CHECK(cpu.report.used.cpu_secs >= 0.9);

  auto wall = probe({"sleep", "60"}, lim);
  CHECK(wall.report.how == ending::wall_limit);
  CHECK(wall.report.used.wall_secs < 30);

  auto out = probe({"print", "1000000"}, lim);
  CHECK(out.report.how == ending::output_limit);
  CHECK(out.out.size() == 10000);
}

TEST_CASE("stdin, environment and exit codes pass through", "[sandbox]") {
  bool warm = each_mode();
  INFO("warm sandbox: " << warm);
  auto cat = probe({"cat"}, {}, std::string(300000, 'c'));
  CHECK(cat.out.size() == 300000);
  CHECK(probe({"env", "SECRET_FROM_SPEC"}).out == "visible\n");
  CHECK(probe({"env", "HOME"}).out == "(unset)\n");  // nothing inherited from the node
  auto code = probe({"exit", "7"});
  CHECK(code.report.how == ending::exited);
  CHECK(code.report.exit_code == 7);
  auto shell = probe({"shell", "echo from-sh"});
  CHECK(shell.out == "from-sh\n");
  // Not a namespace init, so its own signals act on it.
  auto crash = probe({"shell", "kill -SEGV $$"});
  CHECK(crash.report.how == ending::signaled);
  CHECK(crash.report.signal == 11);
  auto segv = probe({"segv"});
  CHECK(segv.report.how == ending::signaled);
  // What the workload leaves running dies with the sandbox.
  auto orphan = probe({"shell", "sleep 1000 & echo started"});
  CHECK(orphan.report.how == ending::exited);
  CHECK(orphan.report.used.wall_secs < 20);
}

TEST_CASE("foreign executables and missing files are refused before launch", "[sandbox]") {
  hearth::test::temp_dir dir;
  std::string header(64, '\0');
  header.replace(0, 4, "\x7f" "ELF");
  header[4] = 2;
  header[5] = 1;
  header[16] = 2;
  header[18] = host_arch() == "aarch64" ? 62 : static_cast<char>(183);
  std::ofstream(dir.file("foreign"), std::ios::binary) << header;
  launch_spec spec;
  spec.executable = dir.file("foreign");
  auto r = run(spec, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == hearth::offer_errc::unsupported_architecture);
  spec.executable = dir.file("missing");
  auto missing = run(spec, {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == hearth::sandbox_errc::file_unreadable);
}

// ---- warm sandboxes: nothing carries from one run to the next ----

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <sstream>
#include <thread>

namespace {

// Host processes whose command line holds marker (the runs' processes are
// visible to the node, whatever namespaces they are in).
int host_processes_with(const std::string& marker) {
  int found = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find(marker) != std::string::npos) ++found;
  }
  if (proc) ::closedir(proc);
  return found;
}

}  // namespace

TEST_CASE("a warm sandbox gives each run a fresh tmp, process tree and ipc", "[sandbox][warm]") {
  active_pool = &shared_pool();
  auto first = probe({"shell", "echo secret > /tmp/left-behind; ipcmk -Q >/dev/null 2>&1; sleep 987654 & echo started"});
  CHECK(first.out == "started\n");
  CHECK(host_processes_with("987654") == 0);  // the leftover died with its run

  auto second = probe({"shell", "ls -A /tmp; ls /proc | grep -c '^[0-9]'; cat /proc/sysvipc/msg | wc -l"});
  // Empty /tmp; only sh, ls/grep/cat and the run's init; no message queue (header line only).
  INFO(second.out);
  std::istringstream lines(second.out);
  std::string processes, queue_lines;
  std::getline(lines, processes);
  std::getline(lines, queue_lines);
  CHECK(std::stoi(processes) <= 4);
  CHECK(queue_lines == "1");
  CHECK(probe({"read", "/tmp/left-behind"}).out.rfind("denied errno=2 ", 0) == 0);
  CHECK(probe({"whoami"}).out.find("pid=2 ") != std::string::npos);
}

// A warm run goes through a run slot: its namespaces and cgroup outlive the
// run, so after it the slot must hold nothing of it. Each round leaves a
// background process, a file in /tmp, a SysV message queue, segment and
// semaphore set and a POSIX message queue; the next run (in the same slot:
// the pool is one zygote and the runs are sequential) finds none of them.
TEST_CASE("a run slot keeps nothing of one run for the next", "[sandbox][warm][slot]") {
  warm_pool pool;
  active_pool = &pool;
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    std::string key = "hearth-left-" + std::to_string(4242 + round);
    auto first = probe({"shell", "/sandbox/exe ipc-leave " + key + " && /sandbox/exe ipc-find " + key +
                                  "; echo secret > /tmp/left-behind; ipcmk -Q >/dev/null; ipcmk -M 4096 >/dev/null; "
                                  "sleep 987655 & echo started"});
    CHECK(first.out == "ok\nok\nstarted\n");  // within the run they are there
    CHECK(first.report.enforcement.find(",slot") != std::string::npos);
    CHECK(host_processes_with("987655") == 0);
    auto after = probe({"ipc-find", key});
    CHECK(after.out.rfind("denied errno=2 ", 0) == 0);
    auto second = probe({"shell", "ls -A /tmp; cat /proc/sysvipc/msg /proc/sysvipc/shm /proc/sysvipc/sem | wc -l; "
                                   "ls /proc | grep -c '^[0-9]'"});
    INFO(second.out);
    std::istringstream lines(second.out);
    std::string ipc_lines, processes;
    std::getline(lines, ipc_lines);
    std::getline(lines, processes);
    CHECK(ipc_lines == "3");          // the three header lines, no object
    CHECK(std::stoi(processes) <= 5);  // the slot's init, sh, ls, grep (and a subshell)
    CHECK(probe({"whoami"}).out.find("pid=2 ") != std::string::npos);  // pid numbers start afresh
  }
  CHECK(pool.size() == 1);
}

// Abstract unix sockets live in the network namespace runs of one zygote
// share: Landlock ABI 6 scopes them, older kernels get a namespace per run.
// Both ways are run here (the fallback forced), and the isolation itself is
// what is checked, whatever this kernel is.
TEST_CASE("concurrent runs of one warm sandbox cannot see or reach each other", "[sandbox][warm]") {
  bool fallback = GENERATE(false, true);
  INFO("a network namespace per run forced: " << fallback);
  force_netns_per_run(fallback);
  warm_pool pool;  // zygotes made in this mode
  active_pool = &pool;
  if (fallback) CHECK(probe({"exit", "0"}).report.enforcement.find("netns-per-run") != std::string::npos);
  std::atomic<bool> stop{false};
  std::string listener_out;
  std::promise<void> listening;
  std::thread listener([&] {
    launch_spec spec;
    spec.executable = SANDBOX_PROBE;
    spec.args = {"abstract-listen", "hearth-run-876543"};
    run_io io;
    io.on_stdout = [&](std::string_view s) {
      listener_out.append(s);
      if (listener_out == "listening\n") listening.set_value();
    };
    io.cancel = &stop;
    auto r = run(spec, std::move(io), active_pool);
    CHECK(r);
  });
  REQUIRE(listening.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  CHECK(host_processes_with("hearth-run-876543") == 1);

  auto seen = probe({"shell", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"});
  CHECK(seen.out.find("876543") == std::string::npos);
  auto reach = probe({"abstract-connect", "hearth-run-876543"});
  CHECK(reach.out.rfind("denied", 0) == 0);

  stop = true;
  listener.join();
  CHECK(listener_out == "listening\n");
  force_netns_per_run(false);
}

TEST_CASE("a warm sandbox that died is noticed, and the pool starts a fresh one", "[sandbox][warm]") {
  auto sandbox = warm_sandbox::start(SANDBOX_PROBE, zygote_options{});
  REQUIRE(sandbox);
  REQUIRE((*sandbox)->alive());
  ::kill((*sandbox)->pid(), SIGKILL);
  // Until its exit completes (it is still ours to reap), alive() may say yes.
  siginfo_t ended{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>((*sandbox)->pid()), &ended, WEXITED | WNOWAIT) == 0);
  launch_spec spec;
  spec.executable = SANDBOX_PROBE;
  spec.args = {"exit", "3"};
  auto refused = (*sandbox)->launch(spec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == hearth::sandbox_errc::sandbox_gone);
  CHECK_FALSE((*sandbox)->alive());

  // Through a pool: its sandbox killed between runs, the next run still runs warm.
  warm_pool pool;
  active_pool = &pool;
  CHECK(probe({"exit", "3"}).report.exit_code == 3);
  REQUIRE(pool.size() == 1);
  for (pid_t zygote : pool.pids()) ::kill(zygote, SIGKILL);
  CHECK(probe({"exit", "4"}).report.exit_code == 4);  // probe() checks the run was warm
  CHECK(pool.size() == 1);
}

#include <sys/stat.h>

#include "support/process.hpp"

TEST_CASE("a writable directory persists across runs; the rest stays read-only", "[sandbox]") {
  hearth::test::temp_dir dir;
  std::string home = dir.file("home");
  ::mkdir(home.c_str(), 0777);
  ::chmod(home.c_str(), 0777);  // the sandbox's uid outside is not ours when the tests run as root
  auto sh = [&](const std::string& script) {
    launch_spec spec;
    spec.executable = "/bin/sh";
    spec.argv0 = "/bin/sh";
    spec.args = {"-c", script};
    spec.env = {"PATH=/usr/bin:/bin", "HOME=/home/guest"};
    spec.writable = {{home, "/home/guest"}};
    spec.workdir = "/home/guest";
    std::string out;
    run_io io;
    io.on_stdout = [&](std::string_view s) { out.append(s); };
    auto report = run(spec, std::move(io), &shared_pool());  // persistent dirs always launch cold
    INFO((report ? "" : report.error().message));
    REQUIRE(report);
    CHECK(report->enforcement.find(",warm") == std::string::npos);
    return out;
  };
  CHECK(sh("pwd; echo kept > note; mkdir -p sub && echo deep > sub/file; cat note") == "/home/guest\nkept\n");
  std::ifstream host_note(home + "/note");
  std::string line;
  std::getline(host_note, line);
  CHECK(line == "kept");
  CHECK(sh("cat note sub/file") == "kept\ndeep\n");  // the next run sees it
  CHECK(sh("touch /home/other 2>/dev/null && echo wrote || echo denied") == "denied\n");
  CHECK(sh("touch /usr/x 2>/dev/null && echo wrote || echo denied") == "denied\n");
}

TEST_CASE("the cgroup caps CPU bandwidth at the limit's cores", "[sandbox][cpu-bandwidth]") {
  launch_spec spec;
  spec.executable = "/bin/sh";
  spec.argv0 = "/bin/sh";
  spec.args = {"-c", "while :; do :; done"};
  spec.lim.wall_secs = 2;
  spec.lim.cpu_secs = 10;
  spec.lim.cpu_cores = 0.1;
  auto report = run(spec, run_io{});
  REQUIRE(report);
  CHECK(report->how == ending::wall_limit);
  if (report->enforcement.find("cgroup") == std::string::npos)
    HEARTH_SKIP("this host gives no cgroups and the run was let go without (a waiver): CPU bandwidth is not enforced");
  INFO("cpu_secs=" << report->used.cpu_secs << " wall_secs=" << report->used.wall_secs);
  CHECK(report->used.cpu_secs < 0.5);  // a tenth of a core for ~2 s; unbounded it would be ~2 s
}

// ---- pooled cgroups ----

#include <spawn.h>

#include "sandbox/cgroup_pool.hpp"

namespace {

// Starts argv held at a pipe until it is in group, then lets it go.
pid_t start_in(cgroup& group, std::vector<std::string> argv) {
  int gate[2];
  REQUIRE(::pipe(gate) == 0);
  std::vector<std::string> full = {"/bin/sh", "-c", "read go; exec \"$@\"", "sh"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, gate[0], 0);
  posix_spawn_file_actions_addclose(&fa, gate[1]);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int spawned = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(gate[0]);
  REQUIRE(spawned == 0);
  REQUIRE(group.add(pid));
  REQUIRE(::write(gate[1], "\n", 1) == 1);
  ::close(gate[1]);
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST_CASE("a pooled cgroup serves its next run emptied and counting afresh", "[sandbox][cgroup-pool]") {
  cgroup_pool pool;
  limits lim;
  lim.ram_mb = 256;
  auto first = pool.acquire(lim);
  if (!first) HEARTH_SKIP("no cgroups on this host: " << first.error().message);
  cgroup* group = first->get();
  CHECK(wait_status(start_in(*group, {SANDBOX_PROBE, "alloc", "48"})) == 0);
  CHECK(wait_status(start_in(*group, {"/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"})) == 0);
  CHECK(group->peak_memory_bytes() >= (48u << 20));
  CHECK(group->cpu_secs() >= 0.1);
  pid_t leftover = start_in(*group, {"/bin/sleep", "1000"});

  pool.give_back(std::move(*first));
  int status = wait_status(leftover);  // killed with the run it was part of
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  if (pool.kept() == 0) HEARTH_SKIP("this kernel cannot restart a cgroup's accounting: groups are used once");
  auto second = pool.acquire(lim);
  REQUIRE(second);
  CHECK(second->get() == group);  // the same group, reused
  CHECK(pool.kept() == 0);
  CHECK((*second)->peak_memory_bytes() < (16u << 20));
  CHECK((*second)->cpu_secs() < 0.05);
  CHECK((*second)->oom_kills() == 0);
  CHECK_FALSE((*second)->populated());

  limits other = lim;
  other.ram_mb = 128;
  pool.give_back(std::move(*second));
  auto third = pool.acquire(other);  // other limits: another group
  REQUIRE(third);
  CHECK(third->get() != group);
}

TEST_CASE("a missing isolation step refuses the run unless the operator waived it by name", "[sandbox][isolation]") {
  auto refused = step_missing(isolation_step::cgroup, "no cgroup here");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == hearth::sandbox_errc::isolation_unavailable);
  CHECK(refused.error().message.find("cgroup") == 0);
  CHECK_FALSE(waive_isolation_steps("cgroup,seccomp"));  // seccomp is never optional
  CHECK(waived_isolation_steps().empty());
  REQUIRE(waive_isolation_steps("cgroup, disk-quota"));
  CHECK(step_missing(isolation_step::cgroup, "no cgroup here"));
  CHECK(step_missing(isolation_step::disk_quota, "not root"));
  CHECK_FALSE(step_missing(isolation_step::landlock, "old kernel"));
  CHECK(waived_isolation_steps() == std::vector<std::string>{"cgroup", "disk-quota"});
  REQUIRE(waive_isolation_steps(""));
  CHECK_FALSE(step_missing(isolation_step::cgroup, "no cgroup here"));
  auto host = probe_host_isolation();
  for (const char* always : {"user-ns", "pid-ns", "net-ns", "seccomp", "no-new-privs"})
    CHECK(std::find(host.enforced.begin(), host.enforced.end(), always) != host.enforced.end());
}

#include <sys/resource.h>

// A node serving a hundred guests holds a thousand descriptors: a run must
// not take any of its descriptors for its own, whatever their numbers
// (the child used to park the executable and the writable directories at
// fixed numbers near 1000 and broke the pipes and sockets found there).
TEST_CASE("a node holding a thousand descriptors still launches cold and warm runs", "[sandbox][many-fds]") {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_max < 1200) HEARTH_SKIP("the descriptor limit is " << files.rlim_max << ", below 1200");
  rlimit raised = files;
  raised.rlim_cur = std::max<rlim_t>(files.rlim_cur, 1200);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);
  hearth::test::temp_dir dir;
  std::string home = dir.file("home");
  ::mkdir(home.c_str(), 0777);
  ::chmod(home.c_str(), 0777);
  std::string other = dir.file("other");
  ::mkdir(other.c_str(), 0777);
  // Each fill level puts the run's own pipes and the zygote's socket at other
  // numbers around the old fixed slots.
  for (int next_free : {996, 1000, 1012, 1020}) {
    INFO("descriptors held up to " << next_free);
    std::vector<int> filler;
    for (int fd = ::dup(0); fd >= 0 && fd < next_free; fd = ::dup(0)) filler.push_back(fd);
    if (!filler.empty() && filler.back() + 1 != next_free) filler.push_back(::dup(0));  // the one dup() stopped at
    launch_spec spec;
    spec.executable = "/bin/sh";
    spec.argv0 = "/bin/sh";
    spec.args = {"-c", "echo ok > note; cat note"};
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.writable = {{home, "/home/guest"}, {other, "/home/other"}};
    spec.workdir = "/home/guest";
    std::string out;
    run_io io;
    io.on_stdout = [&](std::string_view s) { out.append(s); };
    auto cold = run(spec, std::move(io), nullptr);
    INFO((cold ? "" : cold.error().message));
    CHECK(cold);
    CHECK(out == "ok\n");

    warm_pool pool;  // its zygote's socket among the high numbers
    active_pool = &pool;
    CHECK(probe({"exit", "5"}).report.exit_code == 5);
    CHECK(probe({"exit", "6"}).report.exit_code == 6);
    active_pool = nullptr;
    for (int fd : filler) ::close(fd);
  }
  ::setrlimit(RLIMIT_NOFILE, &files);
}
