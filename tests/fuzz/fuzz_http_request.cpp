// The HTTP request edge's parsing: Beast's request parser with the limits
// the node's sessions set (header and body bytes), fed in two pieces split
// where the input's first byte says (so request lines, headers and chunked
// bodies are cut anywhere), then the helpers the routes read a request
// with: headers, query parameters and page limits.
#include <boost/beast/http.hpp>

#include "net/http_types.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto bytes = hearth::fuzz::text_of(data + 1, size - 1);
  std::size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  hearth::net::http_limits limits;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
  parser.body_limit(limits.body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  for (auto piece : {bytes.substr(0, split), bytes.substr(split)}) {
    std::string buffered(piece);
    while (!ec && !buffered.empty() && !parser.is_done()) {
      auto n = parser.put(boost::asio::buffer(buffered), ec);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (n == 0) break;
      buffered.erase(0, n);
      used += n;
    }
  }
  hearth::fuzz::expect(used <= bytes.size());
  if (ec || !parser.is_done()) return 0;
  const auto& msg = parser.get();
  hearth::fuzz::expect(msg.body().size() <= limits.body_bytes);
  std::string target(msg.target());
  auto q = target.find('?');
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  hearth::net::header_list headers;
  for (const auto& field : msg) headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  (void)hearth::net::find_header(headers, "payment-signature");
  (void)hearth::net::find_header(headers, "x-payment");
  (void)hearth::net::query_param(query, "limit");
  if (auto limit = hearth::net::page_limit(query)) hearth::fuzz::expect(*limit >= 1 && *limit <= 1000);
  return 0;
}
