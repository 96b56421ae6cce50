#include "client/http_client.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "client/tls_context.hpp"

namespace hearth::client {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

}  // namespace

result<url_parts> parse_url(const std::string& url) {
  url_parts p;
  std::string rest;
  if (url.rfind("http://", 0) == 0 || url.rfind("ws://", 0) == 0) {
    rest = url.substr(url.find("//") + 2);
  } else if (url.rfind("https://", 0) == 0 || url.rfind("wss://", 0) == 0) {
    rest = url.substr(url.find("//") + 2);
    p.tls = true;
  } else {
    return fail(client_errc::bad_url, "URL must start with http:// or https:// (ws:// or wss:// for a WebSocket)");
  }
  auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  p.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (p.target.front() == '?') p.target.insert(0, "/");
  if (authority.find('@') != std::string::npos) return fail(client_errc::bad_url, "URLs with credentials are not taken");
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
    if (p.port.empty() || p.port.size() > 5 || p.port.find_first_not_of("0123456789") != std::string::npos)
      return fail(client_errc::bad_url, "the URL's port is not a number");
  } else {
    p.host = authority;
    p.port = p.tls ? "443" : "80";
  }
  if (p.host.empty()) return fail(client_errc::bad_url, "URL has no host");
  return p;
}

namespace {

// Runs one asynchronous operation to its end: Beast's tcp_stream enforces
// its deadline (expires_after) on asynchronous operations only.
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start start, std::size_t* transferred = nullptr) {
  beast::error_code result = asio::error::would_block;
  start([&](beast::error_code ec, auto... n) {
    result = ec;
    if constexpr (sizeof...(n) == 1 && (std::is_integral_v<decltype(n)> && ...))
      if (transferred) *transferred = (n, ...);
  });
  ioc.restart();
  ioc.run();
  return result;
}

std::string resolve_host(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

// The request and its answer over a connected stream (plain or TLS).
template <class Stream>
result<http_response> exchange(asio::io_context& ioc, Stream& stream, const url_parts& parts, const client_request& req) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  http::request<http::string_body> r{http::string_to_verb(req.method), parts.target, 11};
  if (r.method() == http::verb::unknown) r.method_string(req.method);
  bool default_port = parts.port == (parts.tls ? "443" : "80");
  r.set(http::field::host, default_port ? parts.host : parts.host + ":" + parts.port);
  r.set(http::field::user_agent, "hearth/" HEARTH_VERSION);
  for (const auto& [k, v] : req.headers) r.insert(k, v);
  r.body() = req.body;
  r.prepare_payload();
  // Written in slices, each with a fresh deadline: a large upload is slow,
  // not stalled, and reports its progress.
  http::request_serializer<http::string_body> serializer{r};
  serializer.limit(256 * 1024);
  std::uint64_t sent = 0, total = r.body().size();
  beast::error_code ec;
  while (!serializer.is_done()) {
    tcp_layer.expires_after(req.timeout);
    std::size_t n = 0;
    ec = run_op(ioc, [&](auto done) { http::async_write_some(stream, serializer, done); }, &n);
    sent += n;
    if (ec == beast::error::timeout) return fail(client_errc::timeout, "sending the request timed out");
    if (ec) return fail(client_errc::request_failed, "sending the request failed: " + ec.message());
    if (req.on_progress) req.on_progress(std::min(sent, total), total);
  }
  tcp_layer.expires_after(req.timeout);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(req.max_response_bytes ? req.max_response_bytes : 1ull << 32);
  if (r.method() == http::verb::head) parser.skip(true);
  ec = run_op(ioc, [&](auto done) { http::async_read(stream, buffer, parser, done); });
  if (ec == http::error::body_limit)
    return fail(client_errc::response_too_large, "the answer is larger than " + std::to_string(req.max_response_bytes) + " bytes");
  if (ec == beast::error::timeout) return fail(client_errc::timeout, "no answer within " + std::to_string(req.timeout.count()) + " ms");
  if (ec) return fail(client_errc::request_failed, "reading the response failed: " + ec.message());
  auto res = parser.release();
  http_response out;
  out.status = res.result_int();
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace

result<http_response> send_request(const client_request& req) {
  auto parts = parse_url(req.url);
  if (!parts) return parts.error();
  asio::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(resolve_host(parts->host), parts->port, ec);
  if (ec) return fail(client_errc::connect_failed, "cannot resolve " + parts->host + ": " + ec.message());
  auto connect = [&](beast::tcp_stream& tcp_layer) -> result<void> {
    tcp_layer.expires_after(req.timeout);
    ec = run_op(ioc, [&](auto done) { tcp_layer.async_connect(endpoints, done); });
    if (ec == beast::error::timeout) return fail(client_errc::timeout, "connecting to " + parts->host + ":" + parts->port + " timed out");
    if (ec) return fail(client_errc::connect_failed, "cannot connect to " + parts->host + ":" + parts->port + ": " + ec.message());
    return {};
  };
  if (!parts->tls) {
    beast::tcp_stream stream(ioc);
    if (auto ok = connect(stream); !ok) return ok.error();
    return exchange(ioc, stream, *parts, req);
  }
  tls_settings tls = req.tls ? *req.tls : default_tls();
  auto ctx = client_tls_context(tls);
  if (!ctx) return ctx.error();
  beast::ssl_stream<beast::tcp_stream> stream(ioc, **ctx);
  if (auto ok = prepare_tls_connection(stream.native_handle(), parts->host, tls); !ok) return ok.error();
  if (auto ok = connect(beast::get_lowest_layer(stream)); !ok) return ok.error();
  beast::get_lowest_layer(stream).expires_after(req.timeout);
  ec = run_op(ioc, [&](auto done) { stream.async_handshake(asio::ssl::stream_base::client, done); });
  if (ec == beast::error::timeout) return fail(client_errc::timeout, "the TLS handshake with " + parts->host + " timed out");
  if (ec) return tls_handshake_failure(stream.native_handle(), parts->host, ec.message());
  return exchange(ioc, stream, *parts, req);
}

}  // namespace hearth::client
