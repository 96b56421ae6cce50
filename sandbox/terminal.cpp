#include "sandbox/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/launch_plan.hpp"

namespace hearth::sandbox {
namespace {

constexpr std::size_t max_pending_input = 1u << 20;

}  // namespace

result<pty_pair> open_pty(std::uint16_t cols, std::uint16_t rows) {
  pty_pair p;
  p.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p.master < 0) return fail(sandbox_errc::terminal_failed, std::string("posix_openpt: ") + std::strerror(errno));
  char name[128];
  if (::grantpt(p.master) != 0 || ::unlockpt(p.master) != 0 || ::ptsname_r(p.master, name, sizeof name) != 0) {
    int err = errno;
    ::close(p.master);
    return fail(sandbox_errc::terminal_failed, std::string("unlockpt/ptsname: ") + std::strerror(err));
  }
  p.slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p.slave < 0) {
    int err = errno;
    ::close(p.master);
    return fail(sandbox_errc::terminal_failed, std::string("open ") + name + ": " + std::strerror(err));
  }
  winsize ws{rows, cols, 0, 0};
  ::ioctl(p.master, TIOCSWINSZ, &ws);
  ::fcntl(p.master, F_SETFL, O_NONBLOCK);
  return p;
}

terminal::terminal(int master, std::unique_ptr<sandboxed_process> process)
    : master_(master), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), process_(std::move(process)) {}

terminal::~terminal() {
  hangup();
  ::close(master_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void terminal::wake() {
  std::uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
}

bool terminal::input(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    if (hangup_ || pending_.size() + data.size() > max_pending_input) return false;
    pending_.append(data);
  }
  wake();
  return true;
}

void terminal::resize(std::uint16_t cols, std::uint16_t rows) {
  winsize ws{rows, cols, 0, 0};
  ::ioctl(master_, TIOCSWINSZ, &ws);  // the kernel sends the foreground group SIGWINCH
}

void terminal::hangup() {
  {
    std::lock_guard lock(mu_);
    hangup_ = true;
  }
  if (process_ && process_->pidfd >= 0) ::syscall(SYS_pidfd_send_signal, process_->pidfd, SIGKILL, nullptr, 0);
  wake();
}

terminal_exit terminal::pump(const std::function<void(std::string_view)>& on_output) {
  char buf[16384];
  bool exited = false;
  for (;;) {
    bool want_write;
    {
      std::lock_guard lock(mu_);
      want_write = !pending_.empty();
    }
    pollfd fds[3] = {{master_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0},
                     {process_->pidfd, POLLIN, 0}};
    // Once the program has ended, only what it already wrote is read.
    if (::poll(fds, 3, exited ? 0 : -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      std::uint64_t n;
      (void)!::read(wake_fd_, &n, sizeof n);
    }
    if (fds[2].revents & POLLIN) exited = true;
    if (fds[0].revents & POLLOUT) {
      std::lock_guard lock(mu_);
      ssize_t w = ::write(master_, pending_.data(), pending_.size());
      if (w > 0) pending_.erase(0, static_cast<std::size_t>(w));
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(master_, buf, sizeof buf);
      if (r > 0) {
        on_output(std::string_view(buf, static_cast<std::size_t>(r)));
        continue;
      }
      if (r < 0 && errno == EAGAIN && !exited) continue;
      break;  // EIO: every holder of the slave is gone; or the program ended and all it wrote is read
    }
    if (exited) break;
  }
  terminal_exit out;
  detail::workload_report report{};
  if (::read(process_->status_fd, &report, sizeof report) == sizeof report)
    (report.signaled ? out.signal : out.exit_code) = report.value;
  else
    out.signal = SIGKILL;
  return out;
}

}  // namespace hearth::sandbox
