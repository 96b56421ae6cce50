#include "net/server_tls.hpp"

#include <boost/asio/ssl.hpp>

namespace hearth::net {
namespace {

result<std::shared_ptr<boost::asio::ssl::context>> make_context(const std::string& cert, const std::string& key) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert, ec);
  if (ec) return fail(http_errc::tls_identity_unusable, "--tls-cert " + cert + ": " + ec.message());
  ctx->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) return fail(http_errc::tls_identity_unusable, "--tls-key " + key + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return fail(http_errc::tls_identity_unusable, "--tls-key " + key + " does not belong to --tls-cert " + cert);
  return ctx;
}

}  // namespace

result<std::shared_ptr<server_tls>> server_tls::load(std::string cert_file, std::string key_file) {
  std::shared_ptr<server_tls> out(new server_tls(std::move(cert_file), std::move(key_file)));
  if (auto ok = out->reload(); !ok) return ok.error();
  return out;
}

result<void> server_tls::reload() {
  auto ctx = make_context(cert_file_, key_file_);
  if (!ctx) return ctx.error();
  std::lock_guard lock(mu_);
  context_ = std::move(*ctx);
  return {};
}

std::shared_ptr<boost::asio::ssl::context> server_tls::context() const {
  std::lock_guard lock(mu_);
  return context_;
}

}  // namespace hearth::net
