#include "sandbox/ssh_door.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "messages/errors.hpp"

namespace hearth::sandbox {

result<std::unique_ptr<ssh_door>> ssh_door::open(const std::string& address, std::uint16_t port,
                                                 std::function<void(int)> on_connection) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
    return fail(http_errc::bad_listen_address, "the SSH address is not an IPv4 address: " + address);
  std::unique_ptr<ssh_door> d(new ssh_door());
  d->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(d->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (d->fd_ < 0 || ::bind(d->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(d->fd_, 64) != 0)
    return fail(market_errc::provision_failed,
                "cannot listen on " + address + ":" + std::to_string(port) + ": " + std::strerror(errno));
  socklen_t len = sizeof a;
  ::getsockname(d->fd_, reinterpret_cast<sockaddr*>(&a), &len);
  d->port_ = ntohs(a.sin_port);
  d->stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (d->stop_fd_ < 0) return fail(market_errc::provision_failed, "eventfd failed");
  d->thread_ = std::thread([fd = d->fd_, stop = d->stop_fd_, on = std::move(on_connection)] {
    for (;;) {
      pollfd p[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
      if (p[1].revents) return;
      if (!(p[0].revents & POLLIN)) continue;
      int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) on(c);
    }
  });
  return d;
}

ssh_door::~ssh_door() {
  if (stop_fd_ >= 0) {
    std::uint64_t one = 1;
    ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

}  // namespace hearth::sandbox
