#include "client/websocket_client.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "client/http_client.hpp"
#include "client/tls_context.hpp"

namespace hearth::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// What send, receive and close share with the io thread, whatever the
// stream (ws or wss) under it.
struct websocket_client::impl {
  asio::io_context ioc;
  std::thread io;

  mutable std::mutex mu;  // received, ended and queued
  std::condition_variable arrived;
  std::condition_variable room;  // send waits while queued is at the bound
  std::size_t queued = 0;        // bytes sent but not yet written
  std::deque<websocket_message> received;
  bool ended = false;

  virtual ~impl() = default;
  virtual void write(websocket_message m) = 0;  // on the io thread
  virtual void close_now() = 0;                 // on the io thread
};

namespace {

// Handlers hold a plain pointer: they run only on the io thread, which the
// client joins before the impl goes, and the io_context (a member) destroys
// whatever is still pending with it. (Holding the impl itself, they would
// keep it, and so themselves, alive forever.)
template <class Stream>
struct stream_impl final : websocket_client::impl {
  std::shared_ptr<asio::ssl::context> context;  // wss: the context the stream was made with
  websocket::stream<Stream> ws;
  beast::flat_buffer in;
  std::deque<websocket_message> out;  // io thread only
  bool writing = false;

  stream_impl() : ws(ioc) {}
  explicit stream_impl(std::shared_ptr<asio::ssl::context> ctx) : context(std::move(ctx)), ws(ioc, *context) {}

  void do_read() {
    ws.async_read(in, [self = this](beast::error_code ec, std::size_t) {
      std::lock_guard lock(self->mu);
      if (ec) {
        self->ended = true;
        self->room.notify_all();
      } else {
        self->received.push_back({beast::buffers_to_string(self->in.data()), self->ws.got_binary()});
        self->in.consume(self->in.size());
      }
      self->arrived.notify_all();
      if (!ec) self->do_read();
    });
  }

  void write(websocket_message m) override {
    out.push_back(std::move(m));
    do_write();
  }

  void do_write() {
    if (out.empty() || writing) return;
    writing = true;
    ws.binary(out.front().binary);
    ws.async_write(asio::buffer(out.front().data), [self = this](beast::error_code ec, std::size_t) {
      self->writing = false;
      {
        std::lock_guard lock(self->mu);
        self->queued -= self->out.front().data.size();
        if (ec) self->ended = true;
      }
      self->room.notify_all();
      self->out.pop_front();
      if (!ec) self->do_write();
    });
  }

  void close_now() override { ws.async_close(websocket::close_code::normal, [](beast::error_code) {}); }

  // TCP, (TLS,) then the WebSocket handshake, all within timeout.
  result<void> open(const url_parts& parts, tcp::resolver::results_type endpoints, const header_list& headers,
                    std::chrono::milliseconds timeout, const tls_settings& tls) {
    auto& tcp_layer = beast::get_lowest_layer(ws);
    beast::error_code ec;
    tcp_layer.expires_after(timeout);
    tcp_layer.connect(endpoints, ec);
    if (ec) return fail(client_errc::connect_failed, "cannot connect to " + parts.host + ":" + parts.port + ": " + ec.message());
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (auto ok = prepare_tls_connection(ws.next_layer().native_handle(), parts.host, tls); !ok) return ok.error();
      bool done = false;
      ws.next_layer().async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
      ioc.run();
      ioc.restart();
      if (!done || ec == beast::error::timeout) return fail(client_errc::timeout, "the TLS handshake with " + parts.host + " timed out");
      if (ec) return tls_handshake_failure(ws.next_layer().native_handle(), parts.host, ec.message());
    }
    ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    websocket::response_type answer;
    bool done = false;
    ws.async_handshake(answer, parts.host + ":" + parts.port, parts.target, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    ioc.run();  // the handshake alone, bounded by the deadline
    ioc.restart();
    if (!done || ec) {
      if (answer.result_int() != 0 && answer.result() != http::status::switching_protocols)
        return fail(client_errc::handshake_refused, std::to_string(answer.result_int()) + " " + answer.body());
      return fail(ec == beast::error::timeout ? client_errc::timeout : client_errc::connect_failed,
                  "WebSocket handshake failed: " + ec.message());
    }
    tcp_layer.expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.read_message_max(16u << 20);
    do_read();
    return {};
  }
};

}  // namespace

result<std::unique_ptr<websocket_client>> websocket_client::connect(const std::string& url, const header_list& headers,
                                                                     std::chrono::milliseconds timeout) {
  auto parts = parse_url(url);
  if (!parts) return parts.error();
  std::string host = parts->host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  asio::io_context resolver_ioc;
  tcp::resolver resolver(resolver_ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, parts->port, ec);
  if (ec) return fail(client_errc::connect_failed, "cannot resolve " + parts->host + ": " + ec.message());
  std::shared_ptr<impl> p;
  if (parts->tls) {
    tls_settings tls = default_tls();
    auto ctx = client_tls_context(tls);
    if (!ctx) return ctx.error();
    auto s = std::make_shared<stream_impl<beast::ssl_stream<beast::tcp_stream>>>(*ctx);
    if (auto ok = s->open(*parts, endpoints, headers, timeout, tls); !ok) return ok.error();
    p = s;
  } else {
    auto s = std::make_shared<stream_impl<beast::tcp_stream>>();
    if (auto ok = s->open(*parts, endpoints, headers, timeout, {}); !ok) return ok.error();
    p = s;
  }
  p->io = std::thread([raw = p.get()] { raw->ioc.run(); });
  return std::unique_ptr<websocket_client>(new websocket_client(std::move(p)));
}

websocket_client::~websocket_client() {
  impl_->ioc.stop();
  if (impl_->io.joinable()) impl_->io.join();
}

void websocket_client::send(std::string data, bool binary) {
  {
    std::unique_lock lock(impl_->mu);
    impl_->room.wait(lock, [&] { return impl_->ended || impl_->queued < send_queue_bytes; });
    if (impl_->ended) return;
    impl_->queued += data.size();
  }
  asio::post(impl_->ioc, [p = impl_.get(), data = std::move(data), binary]() mutable {
    p->write({std::move(data), binary});
  });
}

std::optional<websocket_message> websocket_client::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  impl_->arrived.wait_for(lock, timeout, [&] { return !impl_->received.empty() || impl_->ended; });
  if (impl_->received.empty()) return std::nullopt;
  auto m = std::move(impl_->received.front());
  impl_->received.pop_front();
  return m;
}

bool websocket_client::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ended;
}

void websocket_client::close() {
  asio::post(impl_->ioc, [p = impl_.get()] { p->close_now(); });
}

}  // namespace hearth::client
