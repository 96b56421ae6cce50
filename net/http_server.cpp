#include "net/http_server.hpp"

// Boost 1.74's asio needs a standard header first under some standards modes.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

#include "net/http_session.hpp"
#include "net/server_tls.hpp"
#include "net/server_state.hpp"

namespace hearth::net {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

}  // namespace

// The listener: the io threads, the acceptor, the drain timer.
struct http_server::impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer drain_timer{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{ioc.get_executor()};
  std::shared_ptr<shared_state> shared = std::make_shared<shared_state>();
  std::vector<std::thread> threads;

  void do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) admit(std::move(socket));
      do_accept();
    });
  }

  // Answers a connection that gets no slot with one JSON error, then closes it.
  static void refuse(tcp::socket& socket, const char* status_line, http_errc code, const std::string& message,
                     const char* extra_header = "") {
    auto r = json_error(code, message);
    std::string bytes = std::string("HTTP/1.1 ") + status_line + "\r\nContent-Type: application/json\r\nConnection: close\r\n" +
                        extra_header + "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
    beast::error_code ec;
    socket.non_blocking(true, ec);
    asio::write(socket, asio::buffer(bytes.data(), bytes.size()), ec);
    socket.close(ec);
  }

  // At the limit: the connection waiting for a request whose address holds
  // the most connections (one that never completed a request first) makes
  // room; null when every connection has a request under way. Under mutex.
  std::shared_ptr<http_session> pick_to_shed() {
    std::shared_ptr<http_session> best;
    std::size_t best_count = 0;
    for (auto& w : shared->sessions) {
      auto s = w.lock();
      if (!s || !s->waiting_for_request()) continue;
      std::size_t count = shared->per_address[s->peer_address()];
      bool better = !best || count > best_count ||
                    (count == best_count && s->requests_served() == 0 && best->requests_served() > 0);
      if (better) best = std::move(s), best_count = count;
    }
    return best;
  }

  // A connection gets a slot unless its address holds its share (429), or
  // the node holds its limit and no idle connection can make room (503).
  void admit(tcp::socket socket) {
    beast::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    std::string address = ec ? std::string() : peer.address().to_string();
    std::shared_ptr<http_session> shed;
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      if (shared->per_address[address] >= shared->limits.max_connections_per_address) {
        if (shared->per_address[address] == 0) shared->per_address.erase(address);
        if (shared->metrics) ++shared->metrics->connections_refused;
        return refuse(socket, "429 Too Many Requests", http_errc::rate_limited,
                      "too many open connections from this address; close some first", "Retry-After: 1\r\n");
      }
      if (shared->connections >= shared->limits.max_connections) {
        shed = pick_to_shed();
        if (!shed) {
          if (shared->per_address[address] == 0) shared->per_address.erase(address);
          if (shared->metrics) ++shared->metrics->connections_refused;
          return refuse(socket, "503 Service Unavailable", http_errc::too_many_connections, "connection limit reached");
        }
      }
      ++shared->connections;
      ++shared->per_address[address];
    }
    if (shared->metrics) ++shared->metrics->connections_accepted;
    if (shed) shed->shed();
    auto s = shared->tls ? make_https_session(std::move(socket), shared, address, shared->tls->context())
                         : make_http_session(std::move(socket), shared, address);
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      auto& list = shared->sessions;
      if (list.size() > 64 && list.size() > 2 * shared->connections)
        list.erase(std::remove_if(list.begin(), list.end(), [](auto& w) { return w.expired(); }), list.end());
      list.push_back(s);
    }
    s->start();
  }

  std::vector<std::shared_ptr<http_session>> live_sessions() {
    std::lock_guard<std::mutex> lock(shared->mutex);
    std::vector<std::shared_ptr<http_session>> out;
    for (auto& w : shared->sessions)
      if (auto s = w.lock()) out.push_back(std::move(s));
    return out;
  }
};

result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    return fail(http_errc::bad_listen_address, "listen address must be host:port, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoul(port_text) > 65535)
    return fail(http_errc::bad_listen_address, "bad port in listen address '" + listen + "'");
  return std::make_pair(host, static_cast<std::uint16_t>(std::stoul(port_text)));
}

result<std::unique_ptr<http_server>> http_server::start(const std::string& listen, const http_limits& limits,
                                                        request_handler handler, unsigned threads,
                                                        std::shared_ptr<server_tls> tls,
                                                        std::shared_ptr<http_metrics> metrics) {
  auto parsed = parse_listen_address(listen);
  if (!parsed) return parsed.error();
  beast::error_code ec;
  auto address = asio::ip::make_address(parsed->first, ec);
  if (ec) return fail(http_errc::bad_listen_address, "'" + parsed->first + "' is not an IP address");

  auto p = std::make_shared<impl>();
  p->shared->limits = limits;
  p->shared->handler = std::move(handler);
  p->shared->tls = std::move(tls);
  if (metrics)
    metrics->open_connections = [weak = std::weak_ptr<shared_state>(p->shared)] {
      auto shared = weak.lock();
      return shared ? shared->connections.load() : std::size_t{0};
    };
  p->shared->metrics = std::move(metrics);
  tcp::endpoint endpoint(address, parsed->second);
  auto bind_failure = [&](const char* step) {
    return fail(http_errc::listen_failed, std::string(step) + " " + listen + ": " + ec.message());
  };
  p->acceptor.open(endpoint.protocol(), ec);
  if (ec) return bind_failure("open");
  p->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  p->acceptor.bind(endpoint, ec);
  if (ec) return bind_failure("bind");
  p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return bind_failure("listen");
  p->do_accept();
  for (unsigned i = 0; i < std::max(1u, threads); ++i) p->threads.emplace_back([raw = p.get()] { raw->ioc.run(); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

http_server::http_server(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() {
  // Pending handlers (and the sessions they hold) die with the io_context,
  // which is declared first in impl and so destroyed last.
  auto* p = impl_.get();
  p->work.reset();
  p->ioc.stop();
  for (auto& t : p->threads) t.join();
  std::unique_lock outside(p->shared->outside_mutex);
  p->shared->io_open = false;
}

std::string http_server::host() const { return impl_->acceptor.local_endpoint().address().to_string(); }
std::uint16_t http_server::port() const { return impl_->acceptor.local_endpoint().port(); }
std::size_t http_server::open_connections() const { return impl_->shared->connections; }
bool http_server::tls() const { return impl_->shared->tls != nullptr; }

void http_server::drain(std::function<void()> done) {
  auto* p = impl_.get();
  asio::post(p->ioc, [p, done = std::move(done)]() mutable {
    beast::error_code ec;
    p->acceptor.close(ec);
    {
      std::lock_guard<std::mutex> lock(p->shared->mutex);
      p->shared->draining = true;
      if (p->shared->connections > 0) {
        p->shared->drain_done = std::move(done);
        done = nullptr;
      }
    }
    if (done) return done();
    for (auto& s : p->live_sessions()) s->close_if_idle(false);
    p->drain_timer.expires_after(p->shared->limits.drain_timeout);
    p->drain_timer.async_wait([p](beast::error_code ec) {
      if (ec) return;
      spdlog::warn("http drain timed out; closing {} connection(s)", p->shared->connections.load());
      for (auto& s : p->live_sessions()) s->close_if_idle(true);
    });
  });
}

}  // namespace hearth::net
