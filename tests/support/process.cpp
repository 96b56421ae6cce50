#include "support/process.hpp"

#include <sys/mount.h>

#include <fstream>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hearth::test {
namespace {

using steady = std::chrono::steady_clock;

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& x : extra) {
    auto name = x.substr(0, x.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(), [&](auto& s) { return s.rfind(name, 0) == 0; }), env.end());
    env.push_back(x);
  }
  return env;
}

int spawn(std::vector<std::string> argv, const std::vector<std::string>& extra_env, int in_fd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  auto env = merged_env(extra_env);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = spawn(std::move(argv), extra_env, devnull, devnull, err[1]);
  ::close(devnull);
  ::close(err[1]);
  err_fd_ = err[0];
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw std::runtime_error("pidfd_open");
}

child_process::~child_process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void child_process::read_available(std::chrono::milliseconds wait) {
  pollfd p{err_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buf[4096];
  ssize_t n = ::read(err_fd_, buf, sizeof buf);
  if (n > 0) output_.append(buf, static_cast<std::size_t>(n));
  else {
    ::close(err_fd_);
    err_fd_ = -1;
  }
}

std::optional<std::string> child_process::wait_for_line(const std::string& needle, std::chrono::milliseconds deadline) {
  auto until = steady::now() + deadline;
  for (;;) {
    for (auto nl = output_.find('\n', scanned_); nl != std::string::npos; nl = output_.find('\n', scanned_)) {
      std::string line = output_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
    if (left.count() <= 0 || err_fd_ < 0) return std::nullopt;
    read_available(left);
  }
}

void child_process::signal(int sig) { ::kill(pid_, sig); }

std::optional<int> child_process::wait_exit(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  pollfd p{pidfd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(deadline.count())) <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  status_ = decode_status(status);
  while (err_fd_ >= 0) read_available(std::chrono::milliseconds(1000));
  return status_;
}

run_result run(std::vector<std::string> argv, std::vector<std::string> extra_env, const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  int pid = spawn(std::move(argv), extra_env, in[0], out[1], err[1]);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  std::thread writer([fd = in[1], input] {
    std::size_t off = 0;
    while (off < input.size()) {
      ssize_t n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  run_result r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && ::poll(fds, 2, 60000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = decode_status(status);
  return r;
}

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/hearth-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  // A node killed in a test leaves its guests' quota images mounted here.
  std::ifstream mounts("/proc/self/mounts");
  std::vector<std::string> under;
  for (std::string device, point, rest; mounts >> device >> point && std::getline(mounts, rest);)
    if (point.rfind(path_ + "/", 0) == 0) under.push_back(point);
  for (const auto& point : under) ::umount2(point.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace hearth::test
