#include "net/websocket_session.hpp"

// Boost 1.74's asio needs a standard header first under some standards modes.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace hearth::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t websocket_message_bytes = 1u << 20;
constexpr std::size_t websocket_queue_bytes = 4u << 20;  // unsent output before send() blocks
constexpr auto close_grace = std::chrono::seconds(2);  // for the peer to answer our close

// A connection after its WebSocket handshake: reads messages to the route's
// handler, writes what the route sends in order. Counts as the connection
// it was, until it closes.
template <class Stream>
class websocket_session final : public websocket_channel, public std::enable_shared_from_this<websocket_session<Stream>> {
 public:
  websocket_session(Stream&& stream, std::shared_ptr<shared_state> shared, std::string peer,
                    std::shared_ptr<websocket_handler> handler, std::shared_ptr<void> context)
      : context_(std::move(context)),
        ws_(std::move(stream)),
        shared_(std::move(shared)),
        handler_(std::move(handler)),
        address_(std::move(peer)) {}

  ~websocket_session() override {
    if (!released_) shared_->session_gone(address_);
  }

  void run(http::request<http::empty_body> handshake) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts (and pings) from here on
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "hearth/" HEARTH_VERSION); }));
    ws_.read_message_max(websocket_message_bytes);
    auto req = std::make_shared<http::request<http::empty_body>>(std::move(handshake));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return self->finish();
      if (self->handler_->on_open) self->handler_->on_open(self);
      self->do_read();
    });
  }

  bool send(std::string data, bool binary) override { return enqueue(std::move(data), binary, true); }
  bool try_send(std::string data, bool binary) override { return enqueue(std::move(data), binary, false); }

  bool enqueue(std::string data, bool binary, bool wait) {
    std::unique_lock lock(mu_);
    if (wait) room_.wait(lock, [&] { return closed_ || queued_ < websocket_queue_bytes; });
    if (closed_ || queued_ >= websocket_queue_bytes) return false;
    queued_ += data.size();
    lock.unlock();
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), data = std::move(data), binary]() mutable {
      self->out_.emplace_back(std::move(data), binary);
      if (!self->writing_) self->do_write();
    });
    return true;
  }

  void close(std::uint16_t code, const std::string& reason) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason] {
      self->close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
      self->closing_ = true;
      if (!self->writing_) self->do_write();
      // A peer that never answers the close (or stopped halfway through a
      // frame) keeps no connection past the grace.
      self->close_timer_.expires_after(close_grace);
      self->close_timer_.async_wait([self](beast::error_code ec) {
        if (!ec) self->finish();
      });
    });
  }

 private:
  void do_read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      std::string data = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      if (self->handler_->on_message) self->handler_->on_message(std::move(data), self->ws_.got_binary());
      self->do_read();
    });
  }

  void do_write() {
    if (out_.empty()) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) { self->writing_ = false; });
      }
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(asio::buffer(out_.front().first), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      {
        std::lock_guard lock(self->mu_);
        self->queued_ -= self->out_.front().first.size();
      }
      self->room_.notify_all();
      self->out_.pop_front();
      if (ec) return self->finish();
      self->do_write();
    });
  }

  void finish() {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    room_.notify_all();
    close_timer_.cancel();
    released_ = true;  // the address's share comes back before the peer can see the close and reconnect
    shared_->session_gone(address_);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
    if (handler_->on_close) handler_->on_close();
    handler_.reset();  // what the route holds may hold this channel
    handler_ = std::make_shared<websocket_handler>();
  }

  std::shared_ptr<void> context_;  // TLS: the context the stream was made with
  websocket::stream<Stream> ws_;
  beast::flat_buffer in_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<websocket_handler> handler_;
  std::string address_;  // the peer, as the listener counted it
  std::deque<std::pair<std::string, bool>> out_;  // io thread only
  bool writing_ = false, closing_ = false, close_sent_ = false;
  websocket::close_reason close_reason_;
  asio::steady_timer close_timer_{ws_.get_executor()};
  std::mutex mu_;  // queued_ and closed_, shared with senders
  std::condition_variable room_;
  std::size_t queued_ = 0;
  bool closed_ = false;
  bool released_ = false;  // io thread only
};

}  // namespace

void start_websocket_session(beast::tcp_stream&& stream, std::shared_ptr<shared_state> shared, std::string peer,
                             std::shared_ptr<websocket_handler> handler, http::request<http::empty_body> handshake) {
  std::make_shared<websocket_session<beast::tcp_stream>>(std::move(stream), std::move(shared), std::move(peer),
                                                         std::move(handler), nullptr)
      ->run(std::move(handshake));
}

void start_websocket_session(beast::ssl_stream<beast::tcp_stream>&& stream, std::shared_ptr<void> context,
                             std::shared_ptr<shared_state> shared, std::string peer,
                             std::shared_ptr<websocket_handler> handler, http::request<http::empty_body> handshake) {
  std::make_shared<websocket_session<beast::ssl_stream<beast::tcp_stream>>>(
      std::move(stream), std::move(shared), std::move(peer), std::move(handler), std::move(context))
      ->run(std::move(handshake));
}

}  // namespace hearth::net
