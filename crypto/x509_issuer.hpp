// The cluster's private CA and its node certificates (`hearth cluster ca`,
// `hearth cluster cert`): P-256 keys, SHA-256 signatures, a CA limited to
// signing certificates, node certificates for both TLS sides (server and
// client: cluster nodes authenticate each other) naming the node's IPs and
// DNS names. All in PEM; the private keys never leave the caller's hands.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"

namespace hearth::crypto {

struct issued_certificate {
  std::string certificate_pem;
  std::string key_pem;
};

result<issued_certificate> make_certificate_authority(const std::string& common_name, int days);

// ips and dns_names go into subjectAltName (at least one of them).
result<issued_certificate> issue_node_certificate(const std::string& ca_certificate_pem, const std::string& ca_key_pem,
                                                  const std::string& node_name, const std::vector<std::string>& ips,
                                                  const std::vector<std::string>& dns_names, int days);

}  // namespace hearth::crypto
