// The node's TLS identity when it listens with --tls-cert/--tls-key: the
// certificate chain and key as an OpenSSL server context, loaded at start
// and swapped whole on reload (SIGHUP). A connection keeps the context it
// was accepted with; a reload that fails keeps the identity that works.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "messages/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace hearth::net {

class server_tls {
 public:
  // Fails with tls_identity_unusable naming the file and OpenSSL's reason.
  static result<std::shared_ptr<server_tls>> load(std::string cert_file, std::string key_file);
  result<void> reload();
  std::shared_ptr<boost::asio::ssl::context> context() const;

 private:
  server_tls(std::string cert, std::string key) : cert_file_(std::move(cert)), key_file_(std::move(key)) {}
  std::string cert_file_, key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace hearth::net
