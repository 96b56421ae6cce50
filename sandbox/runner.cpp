#include "sandbox/runner.hpp"

#include "sandbox/launch_plan.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <cerrno>
#include <chrono>

namespace hearth::sandbox {
namespace {

using steady = std::chrono::steady_clock;
constexpr int cpu_check_ms = 50;

std::string_view ending_names[] = {"exited", "signaled", "memory_limit", "cpu_limit", "wall_limit", "output_limit",
                                   "setup_failed", "cancelled"};

void kill_run(sandboxed_process& p) {
  if (p.shared_tree) {  // the workload leads its own process group: stop all of it
    std::ifstream children("/proc/" + std::to_string(p.pid) + "/task/" + std::to_string(p.pid) + "/children");
    for (pid_t child; children >> child;) ::kill(-child, SIGKILL);
  }
  ::syscall(SYS_pidfd_send_signal, p.pidfd, SIGKILL, nullptr, 0);
  if (p.group) p.group->kill_all();
}

// What the run reads on stdin: the given bytes, a file read a slice at a
// time (a large request body is never held whole), or a descriptor read
// when it has something (polled with the run's own pipes, never blocking).
class stdin_feed {
 public:
  explicit stdin_feed(std::string data) : data_(std::move(data)) {}
  ~stdin_feed() {
    if (file_ >= 0) ::close(file_);
  }
  result<void> open(const std::string& path) {
    file_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_ < 0) return fail(sandbox_errc::stdin_unreadable, "the request body is gone: " + path);
    return {};
  }
  void stream_from(int fd) { source_ = fd; }
  int source() const { return source_; }
  // After the source polled readable: its next bytes; false at its end.
  bool read_source() {
    data_.resize(64 * 1024);
    ssize_t n = ::read(source_, data_.data(), data_.size());
    data_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    off_ = 0;
    if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) source_ = -1;
    return source_ >= 0;
  }
  // The bytes to write now; empty when there are none yet (a source) or no more.
  std::string_view pending() {
    if (off_ == data_.size() && file_ >= 0) {
      data_.resize(64 * 1024);
      ssize_t n = ::read(file_, data_.data(), data_.size());
      data_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      off_ = 0;
      if (n <= 0) {
        ::close(file_);
        file_ = -1;
      }
    }
    return std::string_view(data_).substr(off_);
  }
  void consumed(std::size_t n) { off_ += n; }
  void abandon() {  // the reader is gone
    data_.clear();
    off_ = 0;
    source_ = -1;
    if (file_ >= 0) ::close(file_);
    file_ = -1;
  }

 private:
  std::string data_;
  std::size_t off_ = 0;
  int file_ = -1;
  int source_ = -1;  // the caller's: never closed here
};

latency_histogram launches[3];  // by launch_mode

}  // namespace

std::string to_string(ending e) { return std::string(ending_names[static_cast<int>(e)]); }

const latency_histogram& launch_latency(launch_mode mode) { return launches[static_cast<int>(mode)]; }

result<run_report> run(const launch_spec& spec, run_io io, warm_pool* pool) {
  stdin_feed feed(std::move(io.stdin_data));
  if (!io.stdin_file.empty())
    if (auto opened = feed.open(io.stdin_file); !opened) return opened.error();
  feed.stream_from(io.stdin_source);
  auto started = steady::now();
  auto launched = io.sandbox ? io.sandbox->launch(spec) : pool ? pool->launch(spec) : launch(spec);
  if (!launched) return launched.error();
  auto& p = **launched;
  auto mode = p.enforcement.find(",warm") != std::string::npos          ? launch_mode::warm
              : p.enforcement.find(",environment") != std::string::npos ? launch_mode::environment
                                                                          : launch_mode::cold;
  launches[static_cast<int>(mode)].record(
      std::chrono::duration<double>(steady::now() - started).count());
  const auto& lim = spec.lim;
  auto deadline = started + std::chrono::seconds(lim.wall_secs);

  run_report report;
  report.enforcement = p.enforcement;
  std::optional<ending> limit_hit;
  if (feed.pending().empty() && feed.source() < 0) {
    ::close(p.stdin_fd);
    p.stdin_fd = -1;
  } else {
    ::fcntl(p.stdin_fd, F_SETFL, O_NONBLOCK);
  }
  bool exited = false;
  char buf[65536];

  while (!exited || p.stdout_fd >= 0 || p.stderr_fd >= 0) {
    pollfd fds[4];
    int n = 0;
    int idx_in = -1, idx_src = -1, idx_out = -1, idx_err = -1, idx_pid = -1;
    if (p.stdin_fd >= 0 && !feed.pending().empty()) fds[idx_in = n++] = {p.stdin_fd, POLLOUT, 0};
    else if (p.stdin_fd >= 0) fds[idx_src = n++] = {feed.source(), POLLIN, 0};  // nothing buffered: wait for the source
    if (p.stdout_fd >= 0) fds[idx_out = n++] = {p.stdout_fd, POLLIN, 0};
    if (p.stderr_fd >= 0) fds[idx_err = n++] = {p.stderr_fd, POLLIN, 0};
    if (!exited) fds[idx_pid = n++] = {p.pidfd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    // Once killed, the run's end is only waited for (no busy loop while the
    // kernel tears it down).
    int wait_ms = limit_hit ? cpu_check_ms : static_cast<int>(std::max<long long>(0, std::min<long long>(left, cpu_check_ms)));
    int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0 && errno != EINTR) break;

    if (!limit_hit && io.cancel && io.cancel->load()) {
      limit_hit = ending::cancelled;
      kill_run(p);
    }
    if (!limit_hit && steady::now() >= deadline) {
      limit_hit = ending::wall_limit;
      kill_run(p);
    }
    if (!limit_hit && p.group && p.group->cpu_secs() >= static_cast<double>(lim.cpu_secs)) {
      limit_hit = ending::cpu_limit;
      kill_run(p);
    }
    // A stopped guest command whose pipes are held by processes it left
    // running in its environment: nothing more is waited for.
    if (exited && limit_hit) break;
    if (ready <= 0) continue;

    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      auto chunk = feed.pending();
      ssize_t w = ::write(p.stdin_fd, chunk.data(), chunk.size());
      if (w > 0) feed.consumed(static_cast<std::size_t>(w));
      if (w < 0 && errno != EAGAIN) feed.abandon();  // reader gone (EPIPE)
      if (feed.pending().empty() && feed.source() < 0) {
        ::close(p.stdin_fd);
        p.stdin_fd = -1;
      }
    }
    if (idx_src >= 0 && (fds[idx_src].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) && !feed.read_source() &&
        feed.pending().empty()) {
      ::close(p.stdin_fd);  // the source's end is the run's end of input
      p.stdin_fd = -1;
    }
    auto pump = [&](int idx, int& fd, std::uint64_t& counted, const std::function<void(std::string_view)>& sink,
                    bool is_stdout) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r <= 0) {
        ::close(fd);
        fd = -1;
        return;
      }
      std::size_t take = static_cast<std::size_t>(r);
      if (counted + take > lim.max_output_bytes) {
        take = static_cast<std::size_t>(lim.max_output_bytes - std::min(counted, lim.max_output_bytes));
        if (is_stdout && !limit_hit) {
          limit_hit = ending::output_limit;
          kill_run(p);
        }
      }
      counted += take;
      if (sink && take > 0) sink(std::string_view(buf, take));
    };
    pump(idx_out, p.stdout_fd, report.used.stdout_bytes, io.on_stdout, true);
    pump(idx_err, p.stderr_fd, report.used.stderr_bytes, io.on_stderr, false);
    if (idx_pid >= 0 && (fds[idx_pid].revents & POLLIN)) exited = true;
  }

  // The init reports the workload's own end; without a report the init
  // itself was killed (by us, or with the whole sandbox).
  detail::workload_report workload{};
  bool reported = ::read(p.status_fd, &workload, sizeof workload) == sizeof workload;
  int status = 0;
  rusage ru{};
  if (p.own_child) ::wait4(p.pid, &status, 0, &ru);
  p.pid = -1;
  report.used.wall_secs = std::chrono::duration<double>(steady::now() - started).count();
  double init_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  double workload_cpu = reported ? static_cast<double>(workload.cpu_usec) / 1e6 : 0.0;
  report.used.cpu_secs = std::max({init_cpu, workload_cpu, p.group ? p.group->cpu_secs() : 0.0});
  std::uint64_t rss = static_cast<std::uint64_t>(std::max<long long>(ru.ru_maxrss, reported ? workload.maxrss_kb : 0)) * 1024;
  report.used.peak_memory_bytes = std::max(rss, p.group ? p.group->peak_memory_bytes() : 0);

  bool signaled;
  if (reported) {
    signaled = workload.signaled == 1;
    (signaled ? report.signal : report.exit_code) = workload.value;
  } else if (!p.own_child || WIFSIGNALED(status)) {
    signaled = true;
    report.signal = p.own_child ? WTERMSIG(status) : SIGKILL;
  } else {
    signaled = false;
    report.exit_code = WEXITSTATUS(status);
  }
  if (limit_hit) report.how = *limit_hit;
  else if ((p.group && p.group->oom_killed()) ||
           (p.shared_group && p.shared_group->oom_kills() > p.oom_kills_before))
    report.how = ending::memory_limit;
  else if (report.signal == SIGXCPU || (report.signal == SIGKILL && report.used.cpu_secs >= static_cast<double>(lim.cpu_secs)))
    report.how = ending::cpu_limit;
  else if (signaled) report.how = ending::signaled;
  else report.how = ending::exited;
  return report;
}

}  // namespace hearth::sandbox
