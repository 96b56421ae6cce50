#include "net/http_server.hpp"

// Boost 1.74's asio needs a standard header first under some standards modes.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
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

namespace hearth::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class session;

// What sessions share with the server; outlives the io_context's handlers,
// so a session destroyed during shutdown still has it.
struct shared_state {
  http_limits limits;
  request_handler handler;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;
  std::vector<std::weak_ptr<session>> sessions;
  std::function<void()> drain_done;

  void session_gone() {
    std::function<void()> done;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (--connections == 0 && draining && drain_done) done = std::exchange(drain_done, nullptr);
    }
    if (done) done();
  }
};

bool header_safe(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

bool token_safe(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 || c == ':') return false;
  return true;
}

constexpr std::size_t websocket_message_bytes = 1u << 20;
constexpr std::size_t websocket_queue_bytes = 4u << 20;  // unsent output before send() blocks

// A connection after its WebSocket handshake: reads messages to the route's
// handler, writes what the route sends in order. Counts as the connection
// it was, until it closes.
class websocket_session : public websocket_channel, public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(beast::tcp_stream&& stream, std::shared_ptr<shared_state> shared,
                    std::shared_ptr<websocket_handler> handler)
      : ws_(std::move(stream)), shared_(std::move(shared)), handler_(std::move(handler)) {}

  ~websocket_session() override { shared_->session_gone(); }

  void run(http::request<http::empty_body> handshake) {
    ws_.next_layer().expires_never();  // the websocket's own timeouts (and pings) from here on
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "hearth/" HEARTH_VERSION); }));
    ws_.read_message_max(websocket_message_bytes);
    auto req = std::make_shared<http::request<http::empty_body>>(std::move(handshake));
    ws_.async_accept(*req, [self = shared_from_this(), req](beast::error_code ec) {
      if (ec) return self->finish();
      if (self->handler_->on_open) self->handler_->on_open(self);
      self->do_read();
    });
  }

  bool send(std::string data, bool binary) override {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return closed_ || queued_ < websocket_queue_bytes; });
    if (closed_) return false;
    queued_ += data.size();
    lock.unlock();
    asio::post(ws_.get_executor(), [self = shared_from_this(), data = std::move(data), binary]() mutable {
      self->out_.emplace_back(std::move(data), binary);
      if (!self->writing_) self->do_write();
    });
    return true;
  }

  void close(std::uint16_t code, const std::string& reason) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), code, reason] {
      self->close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
      self->closing_ = true;
      if (!self->writing_) self->do_write();
    });
  }

 private:
  void do_read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
        ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) { self->writing_ = false; });
      }
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(asio::buffer(out_.front().first), [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
    beast::error_code ec;
    ws_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    ws_.next_layer().close();
    if (handler_->on_close) handler_->on_close();
    handler_.reset();  // what the route holds may hold this channel
    handler_ = std::make_shared<websocket_handler>();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<websocket_handler> handler_;
  std::deque<std::pair<std::string, bool>> out_;  // io thread only
  bool writing_ = false, closing_ = false, close_sent_ = false;
  websocket::close_reason close_reason_;
  std::mutex mu_;  // queued_ and closed_, shared with senders
  std::condition_variable room_;
  std::size_t queued_ = 0;
  bool closed_ = false;
};

// A spooled request body's file: removed when the request is done with.
struct spool_file {
  std::string path;
  ~spool_file() { ::unlink(path.c_str()); }
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<shared_state> shared)
      : stream_(std::move(socket)),
        buffer_(shared->limits.header_bytes + shared->limits.body_bytes + 4096),
        handler_timer_(stream_.get_executor()),
        shared_(std::move(shared)) {
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = peer.address().to_string();
      remote_port_ = peer.port();
    }
  }

  ~session() {
    if (!closed_) shared_->session_gone();
  }

  void start() { asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this())); }

  // Called on drain: an idle connection closes now; one with a request under
  // way finishes it first. force closes in any case.
  void close_if_idle(bool force) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), force] {
      if (force || (!self->busy_ && self->buffer_.size() == 0)) self->close();
    });
  }

 private:
  const http_limits& limits() const { return shared_->limits; }

  void do_read() {
    if (closed_) return;
    busy_ = false;
    if (shared_->draining) return close();
    file_parser_.reset();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().header_bytes));
    parser_->body_limit(std::max(limits().body_bytes, limits().upload_bytes));
    stream_.expires_after(served_ == 0 ? limits().header_timeout : limits().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
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
    stream_.expires_after(limits().body_timeout);
    const http::request_header<>& req = parser_ ? static_cast<const http::request_header<>&>(parser_->get())
                                                : static_cast<const http::request_header<>&>(file_parser_->get());
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      return http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
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
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->on_request();
    };
    if (file_parser_) return http::async_read(stream_, buffer_, *file_parser_, std::move(done));
    http::async_read(stream_, buffer_, *parser_, std::move(done));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
      return close();
    // tcp_stream closes the socket when its deadline passes, so a slow or
    // idle client is disconnected without a 408.
    if (ec == beast::error::timeout) {
      spdlog::debug("http peer={}:{} read deadline passed; closing", remote_address_, remote_port_);
      return close();
    }
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

    auto seq = ++request_seq_;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto self = shared_from_this();
    // Weak: a responder kept by a slow actor must not keep a closed session alive.
    responder respond = [weak = weak_from_this(), seq, answered](http_response resp) {
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
    stream_.expires_never();
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

  void write(http_response resp) {
    if (resp.upgrade) {
      if (handshake_) return upgrade(std::move(resp.upgrade));
      return send_error(http_errc::upgrade_required, "this endpoint is a WebSocket");
    }
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
    stream_.expires_after(limits().body_timeout);
    http::async_write(stream_, *res_, [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
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
    stream_.expires_after(limits().body_timeout);
    http::async_write_header(stream_, *stream_serializer_, [self = shared_from_this(), body, keep](beast::error_code ec, std::size_t) {
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
    auto wake = [self = shared_from_this(), body, keep] {
      asio::post(self->stream_.get_executor(), [self, body, keep] { self->pump(body, keep); });
    };
    if (!body->take(data, done, aborted, wake)) return;  // woken when there is more
    auto next = [self = shared_from_this(), body, keep, done, aborted](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!done) return self->pump(body, keep);
      if (aborted) return self->close();  // no last chunk: the client sees the body cut
      self->active_body_.reset();
      self->stream_.expires_after(self->limits().body_timeout);
      asio::async_write(self->stream_, http::make_chunk_last(), [self, keep](beast::error_code ec2, std::size_t) {
        if (ec2 || !keep) return self->close();
        self->do_read();
      });
    };
    stream_.expires_after(limits().body_timeout);
    if (data.empty()) return next({}, 0);
    auto piece = std::make_shared<std::string>(std::move(data));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*piece)),
                      [piece, next](beast::error_code ec, std::size_t n) { next(ec, n); });
  }

  // The connection becomes a WebSocket; this session ends without closing it.
  void upgrade(std::shared_ptr<websocket_handler> handler) {
    closed_ = true;
    handler_timer_.cancel();
    auto ws = std::make_shared<websocket_session>(std::move(stream_), shared_, std::move(handler));
    ws->run(std::move(*handshake_));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    spool_.reset();
    if (active_body_) active_body_->gone();
    active_body_.reset();
    handler_timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    shared_->session_gone();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer handler_timer_;
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
  unsigned served_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool busy_ = false;
  bool closed_ = false;
  std::uint64_t request_seq_ = 0;
};

}  // namespace

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

  void admit(tcp::socket socket) {
    if (shared->connections >= shared->limits.max_connections) {
      static const std::string busy = [] {
        auto r = json_error(http_errc::too_many_connections, "connection limit reached");
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
               "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
      }();
      beast::error_code ec;
      socket.non_blocking(true, ec);
      asio::write(socket, asio::buffer(busy.data(), busy.size()), ec);
      socket.close(ec);
      return;
    }
    auto s = std::make_shared<session>(std::move(socket), shared);
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      ++shared->connections;
      auto& list = shared->sessions;
      if (list.size() > 64 && list.size() > 2 * shared->connections)
        list.erase(std::remove_if(list.begin(), list.end(), [](auto& w) { return w.expired(); }), list.end());
      list.push_back(s);
    }
    s->start();
  }

  std::vector<std::shared_ptr<session>> live_sessions() {
    std::lock_guard<std::mutex> lock(shared->mutex);
    std::vector<std::shared_ptr<session>> out;
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
                                                        request_handler handler, unsigned threads) {
  auto parsed = parse_listen_address(listen);
  if (!parsed) return parsed.error();
  beast::error_code ec;
  auto address = asio::ip::make_address(parsed->first, ec);
  if (ec) return fail(http_errc::bad_listen_address, "'" + parsed->first + "' is not an IP address");

  auto p = std::make_shared<impl>();
  p->shared->limits = limits;
  p->shared->handler = std::move(handler);
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
}

std::string http_server::host() const { return impl_->acceptor.local_endpoint().address().to_string(); }
std::uint16_t http_server::port() const { return impl_->acceptor.local_endpoint().port(); }
std::size_t http_server::open_connections() const { return impl_->shared->connections; }

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
