#include "client/websocket_client.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "client/http_client.hpp"

namespace hearth::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Handlers hold a plain pointer: they run only on the io thread, which the
// client joins before the impl goes, and the io_context (a member) destroys
// whatever is still pending with it. (Holding the impl itself, they would
// keep it, and so themselves, alive forever.)
struct websocket_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer in;
  std::deque<websocket_message> out;  // io thread only
  bool writing = false;
  std::thread io;

  mutable std::mutex mu;  // received, ended and queued
  std::condition_variable arrived;
  std::condition_variable room;  // send waits while queued is at the bound
  std::size_t queued = 0;        // bytes sent but not yet written
  std::deque<websocket_message> received;
  bool ended = false;

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
};

result<std::unique_ptr<websocket_client>> websocket_client::connect(const std::string& url, const header_list& headers,
                                                                     std::chrono::milliseconds timeout) {
  auto parts = parse_url(url);
  if (!parts) return parts.error();
  auto p = std::make_shared<impl>();
  beast::error_code ec;
  tcp::resolver resolver(p->ioc);
  auto endpoints = resolver.resolve(parts->host, parts->port, ec);
  if (ec) return fail(client_errc::connect_failed, "cannot resolve " + parts->host + ": " + ec.message());
  auto& tcp_layer = beast::get_lowest_layer(p->ws);
  tcp_layer.expires_after(timeout);
  tcp_layer.connect(endpoints, ec);
  if (ec) return fail(client_errc::connect_failed, "cannot connect to " + parts->host + ":" + parts->port + ": " + ec.message());
  p->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type answer;
  bool done = false;
  p->ws.async_handshake(answer, parts->host + ":" + parts->port, parts->target, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  p->ioc.run();  // the handshake alone, bounded by the deadline
  p->ioc.restart();
  if (!done || ec) {
    if (answer.result_int() != 0 && answer.result() != http::status::switching_protocols)
      return fail(client_errc::handshake_refused, std::to_string(answer.result_int()) + " " + answer.body());
    return fail(ec == beast::error::timeout ? client_errc::timeout : client_errc::connect_failed, "WebSocket handshake failed: " + ec.message());
  }
  tcp_layer.expires_never();
  p->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  p->ws.read_message_max(16u << 20);
  p->do_read();
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
    p->out.push_back({std::move(data), binary});
    p->do_write();
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
  asio::post(impl_->ioc, [p = impl_.get()] { p->ws.async_close(websocket::close_code::normal, [p](beast::error_code) {}); });
}

}  // namespace hearth::client
