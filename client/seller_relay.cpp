#include "client/seller_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "protocols/market_wire.hpp"

namespace hearth::client {

struct seller_relay::relayed {
  int fd = -1;
  std::thread reader;
  std::atomic<bool> done{false};
  ~relayed() {
    if (reader.joinable()) reader.join();
    if (fd >= 0) ::close(fd);
  }
};

int connect_tcp(const std::string& address, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, address == "0.0.0.0" ? "127.0.0.1" : address.c_str(), &a.sin_addr) != 1) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

seller_relay::~seller_relay() {
  close_all();
  // Each reader, its socket shut down, leaves streams_ by itself; then all are joined.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu_);
      if (streams_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<std::shared_ptr<relayed>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(ended_);
    for (auto& [stream, r] : streams_) r->reader.detach();  // a reader stuck past 5 s is left to the process's end
    streams_.clear();
  }
}

void seller_relay::reap() {
  std::vector<std::shared_ptr<relayed>> done;
  {
    std::lock_guard lock(mu_);
    for (auto it = ended_.begin(); it != ended_.end();)
      if ((*it)->done) {
        done.push_back(std::move(*it));
        it = ended_.erase(it);
      } else {
        ++it;
      }
  }
  done.clear();  // joins outside the lock
}

void seller_relay::open(std::uint32_t stream, const std::string& job_id) {
  reap();
  int fd = hooks_.connect(job_id);
  if (fd < 0) {
    hooks_.send_close(stream);
    return;
  }
  auto r = std::make_shared<relayed>();
  r->fd = fd;
  {
    std::lock_guard lock(mu_);
    if (streams_.count(stream)) {
      ::close(fd);
      return;
    }
    streams_[stream] = r;
  }
  r->reader = std::thread([this, stream, raw = r.get()] {
    char buf[protocols::max_relay_chunk];
    for (;;) {
      ssize_t n = ::read(raw->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !hooks_.send_bytes(stream, std::string_view(buf, static_cast<std::size_t>(n)))) break;
    }
    hooks_.send_close(stream);
    std::shared_ptr<relayed> self;
    {
      std::lock_guard lock(mu_);
      if (auto it = streams_.find(stream); it != streams_.end() && it->second.get() == raw) {
        self = it->second;
        streams_.erase(it);
      }
    }
    raw->done = true;
    if (self) {
      std::lock_guard lock(mu_);
      ended_.push_back(std::move(self));  // joined by a later open, close_all or the destructor
    }
  });
}

void seller_relay::bytes(std::uint32_t stream, std::string_view data) {
  std::shared_ptr<relayed> r;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    r = it->second;
  }
  while (!data.empty()) {
    ssize_t n = ::write(r->fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return (void)::shutdown(r->fd, SHUT_RDWR);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void seller_relay::close(std::uint32_t stream) {
  std::lock_guard lock(mu_);
  if (auto it = streams_.find(stream); it != streams_.end()) ::shutdown(it->second->fd, SHUT_RDWR);
}

void seller_relay::close_all() {
  {
    std::lock_guard lock(mu_);
    for (auto& [stream, r] : streams_) ::shutdown(r->fd, SHUT_RDWR);
  }
  reap();
}

}  // namespace hearth::client
