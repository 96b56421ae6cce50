// A blocking HTTP/1.1 client, plain or over TLS, for every outbound request
// of hearth (curl, offer upload, the facilitator and chain RPC backends, the
// MCP gateway's backends): one request per call, bounded by a timeout.
// https verifies the server's certificate and name (SNI sent) against the
// system store, or the CA file of tls_settings; insecure skips both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::client {

// The HTTP vocabulary is the edge's (net/http_types.hpp).
using net::header_list;
using net::http_response;

struct tls_settings {
  std::string ca_file;    // PEM bundle to trust instead of the system store; empty: the system's
  bool insecure = false;  // curl's -k: no certificate or name check (never the default)
};

// What a request without its own tls_settings uses: set once by the CLI's
// --cacert / -k; otherwise the system store ($SSL_CERT_FILE honoured).
void set_default_tls(tls_settings settings);
tls_settings default_tls();

struct client_request {
  std::string method = "GET";
  std::string url;  // http[s]://host:port/path?query
  header_list headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // for each slice sent and for the answer
  std::function<void(std::uint64_t sent, std::uint64_t total)> on_progress;  // body bytes, as they go out
  std::optional<tls_settings> tls = std::nullopt;  // unset: default_tls()
  std::uint64_t max_response_bytes = 0;  // a larger answer fails (client_errc::response_too_large); 0: the default bound
};

// A certificate that does not verify fails with client_errc::certificate_invalid
// (curl's exit 60), any other TLS failure with client_errc::tls_failed.
result<http_response> send_request(const client_request& req);

struct url_parts {
  bool tls = false;
  std::string host, port, target;
};
// http[s]://host[:port]/target (port 80 or 443 when absent; [v6] hosts kept bracketed).
result<url_parts> parse_url(const std::string& url);

}  // namespace hearth::client
