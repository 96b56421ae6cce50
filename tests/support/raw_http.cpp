#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hearth::test {

using steady = std::chrono::steady_clock;

std::string response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

raw_connection::raw_connection(std::uint16_t port, const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!source.empty()) {  // another loopback address (127.0.0.0/8 is all loopback) as a distinct peer
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
      throw std::runtime_error("cannot bind to " + source);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
}

raw_connection::~raw_connection() { ::close(fd_); }

bool raw_connection::send(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_connection::fill(steady::time_point until) {
  if (eof_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
  pollfd p{fd_, POLLIN, 0};
  if (left < 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;  // 0: a look without waiting
  char buf[8192];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> raw_connection::read_some(std::chrono::milliseconds deadline) {
  if (buffer_.empty() && !fill(steady::now() + deadline)) return std::nullopt;
  return std::exchange(buffer_, std::string());
}

std::optional<response> raw_connection::read_response(std::chrono::milliseconds deadline, bool head_only) {
  auto until = steady::now() + deadline;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(until)) return std::nullopt;
  std::string head = buffer_.substr(0, end);
  response r;
  std::size_t pos = head.find("\r\n");
  std::string status_line = head.substr(0, pos);
  if (status_line.size() < 12) return std::nullopt;
  r.status = std::stoi(status_line.substr(9, 3));
  while (pos != std::string::npos && pos < head.size()) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers.emplace(name, value);
    }
    pos = next;
  }
  std::size_t length = !head_only && r.headers.count("content-length") ? std::stoul(r.header("content-length")) : 0;
  while (buffer_.size() < end + 4 + length)
    if (!fill(until)) return std::nullopt;
  r.body = buffer_.substr(end + 4, length);
  buffer_.erase(0, end + 4 + length);
  return r;
}

bool raw_connection::wait_closed(std::chrono::milliseconds deadline) {
  auto until = steady::now() + deadline;
  while (!eof_)
    if (!fill(until) && !eof_) return false;
  return true;
}

std::optional<response> http_exchange(std::uint16_t port, const std::string& raw_request) {
  raw_connection c(port);
  if (!c.send(raw_request)) return std::nullopt;
  return c.read_response();
}

}  // namespace hearth::test
