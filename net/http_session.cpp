#include "net/http_session.hpp"


// Boost 1.74's asio needs a standard header first under some standards modes.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "net/websocket_session.hpp"

namespace hearth::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// A spooled request body's file: removed when the request is done with.
struct spool_file {
  std::string path;
  ~spool_file() { ::unlink(path.c_str()); }
};

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Plain (beast::tcp_stream) or TLS (tls_stream): the same session, the TLS
// one after its handshake, which has the header deadline.
template <class Stream>
class session final : public http_session, public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_stream>;

 public:
  session(Stream&& stream, std::shared_ptr<shared_state> shared, std::string peer, std::shared_ptr<void> context = nullptr)
      : context_(std::move(context)),
        stream_(std::move(stream)),
        buffer_(shared->limits.header_bytes + shared->limits.body_bytes + 4096),
        handler_timer_(stream_.get_executor()),
        read_timer_(stream_.get_executor()),
        shared_(std::move(shared)),
        remote_address_(std::move(peer)) {
    beast::error_code ec;
    auto endpoint = lowest().socket().remote_endpoint(ec);
    if (!ec) remote_port_ = endpoint.port();
  }

  ~session() {
    if (!closed_) shared_->session_gone(remote_address_);
  }

  void start() override {
    if constexpr (tls) {
      lowest().expires_after(limits().header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          spdlog::debug("https peer={}:{} TLS handshake failed: {}", self->remote_address_, self->remote_port_, ec.message());
          return self->close();
        }
        self->do_read();
      });
    } else {
      asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, this->shared_from_this()));
    }
  }

  // Called on drain: an idle connection closes now; one with a request under
  // way finishes it first. force closes in any case.
  void close_if_idle(bool force) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), force] {
      if (force || (!self->busy_ && self->buffer_.size() == 0)) self->close();
    });
  }

  bool waiting_for_request() const override { return !busy_ && !shedding_; }
  unsigned requests_served() const override { return served_; }
  const std::string& peer_address() const override { return remote_address_; }
  void shed() override {
    shedding_ = true;
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) {
        spdlog::debug("http peer={}:{} shed: the node is at its connection limit", self->remote_address_, self->remote_port_);
        self->close();
      } else {
        self->shedding_ = false;  // a request arrived meanwhile: it is served
      }
    });
  }

 private:
  const http_limits& limits() const { return shared_->limits; }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void do_read() {
    if (closed_) return;
    busy_ = false;
    if (shared_->draining) return close();
    file_parser_.reset();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().header_bytes));
    parser_->body_limit(std::max(limits().body_bytes, limits().upload_bytes));
    arm_read_deadline(served_ == 0 ? limits().header_timeout : limits().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_header, this->shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    cancel_read_deadline();
    // Only uploads may be as large as upload_bytes, and spooled bodies as
    // spool_bytes; the rest get body_bytes.
    const auto& head = parser_->get();
    std::string_view target(head.target().data(), head.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    bool upload = head.method() == http::verb::post && path == limits().upload_path;
    auto length = parser_->content_length();
    bool spool = !upload && !limits().spool_dir.empty() && limits().spooled_route && limits().spooled_route(path) &&
                 !parser_->is_done() && (!length || *length > limits().spool_threshold);
    std::uint64_t allowed = upload ? limits().upload_bytes : spool ? limits().spool_bytes : limits().body_bytes;
    if (length && *length > allowed) return on_read_error(http::error::body_limit);
    parser_->body_limit(allowed);
    if (parser_->is_done()) return on_request();
    if (spool && !start_spool(allowed)) return send_error(http_errc::spool_failed, "the node cannot store the request body");
    arm_read_deadline(limits().body_timeout);
    const http::request_header<>& req = parser_ ? static_cast<const http::request_header<>&>(parser_->get())
                                                : static_cast<const http::request_header<>&>(file_parser_->get());
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      return http::async_write(stream_, *continue_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        self->read_body();
      });
    }
    read_body();
  }

  // Moves the request to a parser that writes its body to a new spool file.
  bool start_spool(std::uint64_t allowed) {
    std::string path = limits().spool_dir + "/body-XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0) {
      spdlog::error("http: cannot create a spool file in {}", limits().spool_dir);
      return false;
    }
    ::close(fd);
    spool_ = std::make_shared<spool_file>(spool_file{path});
    file_parser_.emplace(std::move(*parser_));
    parser_.reset();
    file_parser_->body_limit(allowed);
    beast::error_code ec;
    file_parser_->get().body().open(path.c_str(), beast::file_mode::write, ec);
    return !ec;
  }

  void read_body() {
    auto done = [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->cancel_read_deadline();
      self->on_request();
    };
    if (file_parser_) return http::async_read(stream_, buffer_, *file_parser_, std::move(done));
    http::async_read(stream_, buffer_, *parser_, std::move(done));
  }

  // The read's deadline, the only one while reading: when it passes with a
  // request begun (a header or body still arriving) the read is cancelled
  // and answered 408; an idle connection is closed.
  void arm_read_deadline(std::chrono::milliseconds d) {
    lowest().expires_never();  // a write's deadline does not carry into the read
    auto generation = ++read_deadline_generation_;
    read_timer_.expires_after(d);
    read_timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
      if (ec || self->closed_ || generation != self->read_deadline_generation_) return;
      bool begun = self->busy_ || self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some());
      if (!begun) return self->close();
      self->read_timed_out_ = true;
      beast::error_code ignored;
      self->lowest().socket().cancel(ignored);
    });
  }
  void cancel_read_deadline() {
    ++read_deadline_generation_;
    read_timer_.cancel();
  }

  void on_read_error(beast::error_code ec) {
    cancel_read_deadline();
    if (read_timed_out_ && ec == asio::error::operation_aborted) {
      spdlog::debug("http peer={}:{} request not complete within its deadline", remote_address_, remote_port_);
      return send_error(http_errc::request_timeout, "the request did not arrive within its deadline");
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
      return close();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return send_error(http_errc::header_too_large,
                        "request header exceeds " + std::to_string(limits().header_bytes) + " bytes");
    if (ec == http::error::body_limit)
      return send_error(http_errc::body_too_large, "request body exceeds this endpoint's limit");
    send_error(http_errc::bad_request, "malformed HTTP request: " + ec.message());
  }

  void send_error(error_code code, const std::string& message) {
    spdlog::debug("http peer={}:{} status={} code={}", remote_address_, remote_port_, http_status(code), code_name(code));
    keep_alive_ = false;
    head_ = false;
    version_ = 11;
    write(json_error(code, message));
  }

  void on_request() {
    http_request req;
    if (file_parser_) {
      auto msg = file_parser_->release();
      msg.body().close();
      fill_request(msg, req);
      req.body_file = spool_->path;
      struct stat st {};
      if (::stat(spool_->path.c_str(), &st) == 0) req.body_file_size = static_cast<std::uint64_t>(st.st_size);
    } else {
      auto msg = parser_->release();
      fill_request(msg, req);
      if (websocket::is_upgrade(msg)) {
        req.websocket_upgrade = true;
        handshake_.emplace(msg.base());
      }
      req.body = std::move(msg.body());
    }

    if (shared_->metrics) {
      route_ = route_of(req.path);
      request_started_ = std::chrono::steady_clock::now();
    }
    auto seq = ++request_seq_;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto self = this->shared_from_this();
    // Weak: a responder kept by a slow actor must not keep a closed session alive.
    responder respond = [weak = this->weak_from_this(), shared = shared_, seq, answered](http_response resp) {
      std::shared_lock outside(shared->outside_mutex);
      if (!shared->io_open) return;  // the server is gone (the caller is answered by no one)
      auto self = weak.lock();
      if (!self || answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(),
                 [self, seq, resp = std::move(resp)]() mutable { self->on_response(seq, std::move(resp)); });
    };
    handler_timer_.expires_after(limits().handler_timeout);
    handler_timer_.async_wait([self, seq, answered](beast::error_code ec) {
      if (ec || answered->exchange(true)) return;
      self->on_response(seq, json_error(http_errc::handler_timeout, "the node did not answer in time"));
    });
    try {
      shared_->handler(std::move(req), respond);
    } catch (const std::exception& e) {
      spdlog::error("http handler threw: {}", e.what());
      respond(json_error(http_errc::internal_error, "internal error"));
    }
  }

  template <class Message>
  void fill_request(Message& msg, http_request& req) {
    ++served_;
    lowest().expires_never();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == http::verb::head;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.version = msg.version();
    for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.remote_address = remote_address_;
    req.remote_port = remote_port_;
  }

  void on_response(std::uint64_t seq, http_response resp) {
    if (closed_ || seq != request_seq_) return;
    handler_timer_.cancel();
    write(std::move(resp));
  }

  void count(unsigned status) {
    if (!shared_->metrics) return;
    auto took = route_.empty() ? 0.0 : std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started_).count();
    shared_->metrics->record(route_.empty() ? "invalid" : route_, status, took);
    route_.clear();
  }

  void write(http_response resp) {
    if (resp.upgrade) {
      if (!handshake_) return send_error(http_errc::upgrade_required, "this endpoint is a WebSocket");
      count(101);
      return upgrade(std::move(resp.upgrade));
    }
    count(resp.status >= 100 && resp.status <= 599 ? resp.status : 500);
    handshake_.reset();
    spool_.reset();  // the request is answered: its spooled body goes
    res_.emplace();
    res_->version(version_);
    res_->result(resp.status >= 100 && resp.status <= 599 ? resp.status : 500);
    for (const auto& [name, value] : resp.headers) {
      if (!token_safe(name) || !header_safe(value)) {
        spdlog::warn("http dropped an invalid response header name={}", token_safe(name) ? name : "<invalid>");
        continue;
      }
      // The body's framing is the connection's: a handler's own length or
      // transfer coding (a CGI program's, say) would contradict it.
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding")) continue;
      res_->insert(name, value);
    }
    res_->set(http::field::server, "hearth/" HEARTH_VERSION);
    bool keep = keep_alive_ && !shared_->draining && served_ < limits().max_requests_per_connection;
    res_->keep_alive(keep);
    if (resp.stream && !head_) return write_streamed(std::move(resp.stream), keep);
    if (resp.stream) resp.stream->gone();  // HEAD: the producer stops
    res_->body() = std::move(resp.body);
    res_->prepare_payload();
    if (head_) res_->body().clear();  // Content-Length stays that of the GET body
    lowest().expires_after(limits().body_timeout);
    http::async_write(stream_, *res_, [self = this->shared_from_this(), keep](beast::error_code ec, std::size_t) {
      if (ec || !keep) return self->close();
      self->do_read();
    });
  }

  // The header (chunked), then each piece as the producer pushes it, then
  // the last chunk. Every write has the body deadline.
  void write_streamed(std::shared_ptr<body_stream> body, bool keep) {
    active_body_ = body;
    res_->chunked(true);
    streamed_.emplace(std::move(*res_));
    stream_serializer_.emplace(*streamed_);
    lowest().expires_after(limits().body_timeout);
    http::async_write_header(stream_, *stream_serializer_, [self = this->shared_from_this(), body, keep](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->pump(body, keep);
    });
  }

  void pump(std::shared_ptr<body_stream> body, bool keep) {
    if (closed_) return;
    std::string data;
    bool done = false, aborted = false;
    // Strong: while it waits for the producer, nothing else keeps the
    // session alive (producers always finish, which releases it).
    auto wake = [self = this->shared_from_this(), body, keep] {
      asio::post(self->stream_.get_executor(), [self, body, keep] { self->pump(body, keep); });
    };
    if (!body->take(data, done, aborted, wake)) return;  // woken when there is more
    auto next = [self = this->shared_from_this(), body, keep, done, aborted](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!done) return self->pump(body, keep);
      if (aborted) return self->close();  // no last chunk: the client sees the body cut
      self->active_body_.reset();
      self->lowest().expires_after(self->limits().body_timeout);
      asio::async_write(self->stream_, http::make_chunk_last(), [self, keep](beast::error_code ec2, std::size_t) {
        if (ec2 || !keep) return self->close();
        self->do_read();
      });
    };
    lowest().expires_after(limits().body_timeout);
    if (data.empty()) return next({}, 0);
    auto piece = std::make_shared<std::string>(std::move(data));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*piece)),
                      [piece, next](beast::error_code ec, std::size_t n) { next(ec, n); });
  }

  // The connection becomes a WebSocket; this session ends without closing it.
  void upgrade(std::shared_ptr<websocket_handler> handler) {
    closed_ = true;
    handler_timer_.cancel();
    if constexpr (tls)
      start_websocket_session(std::move(stream_), std::move(context_), shared_, remote_address_, std::move(handler),
                              std::move(*handshake_));
    else
      start_websocket_session(std::move(stream_), shared_, remote_address_, std::move(handler), std::move(*handshake_));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    spool_.reset();
    if (active_body_) active_body_->gone();
    active_body_.reset();
    handler_timer_.cancel();
    cancel_read_deadline();
    shared_->session_gone(remote_address_);  // before the peer can see the close and reconnect
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  std::shared_ptr<void> context_;  // TLS: the context the stream was made with
  Stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer handler_timer_;
  asio::steady_timer read_timer_;
  std::uint64_t read_deadline_generation_ = 0;
  bool read_timed_out_ = false;
  std::shared_ptr<shared_state> shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;
  std::shared_ptr<spool_file> spool_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::request<http::empty_body>> handshake_;  // a WebSocket upgrade's request
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::empty_body>> streamed_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::shared_ptr<body_stream> active_body_;  // the streamed body being sent, told when the connection goes
  std::string remote_address_;
  std::uint16_t remote_port_ = 0;
  std::atomic<unsigned> served_{0};
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  std::atomic<bool> busy_{false};
  std::atomic<bool> shedding_{false};
  bool closed_ = false;
  std::uint64_t request_seq_ = 0;
  std::string route_;  // the request being answered, for the metrics (empty: none was read)
  std::chrono::steady_clock::time_point request_started_{};
};

}  // namespace

std::shared_ptr<http_session> make_http_session(tcp::socket&& socket, std::shared_ptr<shared_state> shared,
                                                std::string peer) {
  return std::make_shared<session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), std::move(shared), std::move(peer));
}

std::shared_ptr<http_session> make_https_session(tcp::socket&& socket, std::shared_ptr<shared_state> shared,
                                                 std::string peer, std::shared_ptr<boost::asio::ssl::context> context) {
  auto& ctx = *context;
  return std::make_shared<session<tls_stream>>(tls_stream(beast::tcp_stream(std::move(socket)), ctx), std::move(shared),
                                               std::move(peer), std::move(context));
}

}  // namespace hearth::net
