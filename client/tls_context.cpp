#include "client/tls_context.hpp"

#include <openssl/x509v3.h>

#include <map>
#include <mutex>

namespace hearth::client {
namespace {

std::mutex default_mu;
tls_settings default_settings;

std::string bare_host(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

void set_default_tls(tls_settings settings) {
  std::lock_guard lock(default_mu);
  default_settings = std::move(settings);
}

tls_settings default_tls() {
  std::lock_guard lock(default_mu);
  return default_settings;
}

result<std::shared_ptr<boost::asio::ssl::context>> client_tls_context(const tls_settings& settings) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, std::shared_ptr<boost::asio::ssl::context>> contexts;
  std::lock_guard lock(mu);
  auto key = std::make_pair(settings.ca_file, settings.insecure);
  if (auto it = contexts.find(key); it != contexts.end()) return it->second;
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (!settings.ca_file.empty()) {
    ctx->load_verify_file(settings.ca_file, ec);
    if (ec) return fail(client_errc::tls_failed, "cannot load the CA file " + settings.ca_file + ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) return fail(client_errc::tls_failed, "cannot load the system's CA store: " + ec.message());
  }
  ctx->set_verify_mode(settings.insecure ? ssl::verify_none : ssl::verify_peer);
  contexts.emplace(key, ctx);
  return ctx;
}

result<void> prepare_tls_connection(SSL* ssl, const std::string& host_in, const tls_settings& settings) {
  std::string host = bare_host(host_in);
  bool ip = is_ip_literal(host);
  if (!ip && !SSL_set_tlsext_host_name(ssl, host.c_str()))
    return fail(client_errc::tls_failed, "cannot set the TLS server name " + host);
  if (settings.insecure) return {};
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (ok != 1) return fail(client_errc::tls_failed, "cannot check the certificate against " + host);
  return {};
}

failure tls_handshake_failure(SSL* ssl, const std::string& host, const std::string& what) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return fail(client_errc::certificate_invalid,
                "the certificate of " + bare_host(host) + " is not trusted: " + X509_verify_cert_error_string(verify));
  return fail(client_errc::tls_failed, "TLS handshake with " + bare_host(host) + " failed: " + what);
}

}  // namespace hearth::client
