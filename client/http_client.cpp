#include "client/http_client.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hearth::client {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

}  // namespace

result<url_parts> parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return fail(client_errc::bad_url, url.rfind("https://", 0) == 0 ? "https is not supported yet; use http://" : "URL must start with http://");
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url_parts p;
  p.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  } else {
    p.host = authority;
    p.port = "80";
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
  start([&](beast::error_code ec, auto n) {
    result = ec;
    if constexpr (std::is_integral_v<decltype(n)>)
      if (transferred) *transferred = n;
  });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

result<http_response> send_request(const client_request& req) {
  auto parts = parse_url(req.url);
  if (!parts) return parts.error();
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(parts->host, parts->port, ec);
  if (ec) return fail(client_errc::connect_failed, "cannot resolve " + parts->host + ": " + ec.message());
  stream.expires_after(req.timeout);
  ec = run_op(ioc, [&](auto done) { stream.async_connect(endpoints, done); });
  if (ec == beast::error::timeout) return fail(client_errc::timeout, "connecting to " + parts->host + ":" + parts->port + " timed out");
  if (ec) return fail(client_errc::connect_failed, "cannot connect to " + parts->host + ":" + parts->port + ": " + ec.message());

  http::request<http::string_body> r{http::string_to_verb(req.method), parts->target, 11};
  if (r.method() == http::verb::unknown) r.method_string(req.method);
  r.set(http::field::host, parts->host + ":" + parts->port);
  r.set(http::field::user_agent, "hearth/" HEARTH_VERSION);
  for (const auto& [k, v] : req.headers) r.insert(k, v);
  r.body() = req.body;
  r.prepare_payload();
  // Written in slices, each with a fresh deadline: a large upload is slow,
  // not stalled, and reports its progress.
  http::request_serializer<http::string_body> serializer{r};
  serializer.limit(256 * 1024);
  std::uint64_t sent = 0, total = r.body().size();
  while (!serializer.is_done()) {
    stream.expires_after(req.timeout);
    std::size_t n = 0;
    ec = run_op(ioc, [&](auto done) { http::async_write_some(stream, serializer, done); }, &n);
    sent += n;
    if (ec == beast::error::timeout) return fail(client_errc::timeout, "sending the request timed out");
    if (ec) return fail(client_errc::request_failed, "sending the request failed: " + ec.message());
    if (req.on_progress) req.on_progress(std::min(sent, total), total);
  }
  stream.expires_after(req.timeout);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 32);
  if (r.method() == http::verb::head) parser.skip(true);
  ec = run_op(ioc, [&](auto done) { http::async_read(stream, buffer, parser, done); });
  if (ec == beast::error::timeout) return fail(client_errc::timeout, "no answer within " + std::to_string(req.timeout.count()) + " ms");
  if (ec) return fail(client_errc::request_failed, "reading the response failed: " + ec.message());
  auto res = parser.release();
  http_response out;
  out.status = res.result_int();
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace hearth::client
