// The OpenSSL client contexts behind https and wss: one per tls_settings,
// built once (loading a CA store costs milliseconds) and shared; and the
// per-connection setup (SNI, hostname or IP check) with its error wording.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "client/http_client.hpp"
#include "messages/result.hpp"

namespace hearth::client {

result<std::shared_ptr<boost::asio::ssl::context>> client_tls_context(const tls_settings& settings);

// Sets SNI (for names, not IP literals) and what the certificate must name.
result<void> prepare_tls_connection(SSL* ssl, const std::string& host, const tls_settings& settings);

// A handshake that failed: certificate_invalid with OpenSSL's reason when
// the peer's certificate did not verify, tls_failed otherwise.
failure tls_handshake_failure(SSL* ssl, const std::string& host, const std::string& what);

}  // namespace hearth::client
