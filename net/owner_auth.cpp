#include "net/owner_auth.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "crypto/bytes.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secret.hpp"
#include "messages/clock.hpp"

namespace hearth::net {

std::string owner_request_message(const std::string& node_address, const std::string& method,
                                  const std::string& target, std::uint64_t unix_secs) {
  std::string address = node_address;
  std::transform(address.begin(), address.end(), address.begin(), [](unsigned char c) { return std::tolower(c); });
  return "hearth owner request v1\n" + address + "\n" + method + " " + target + "\n" + std::to_string(unix_secs);
}

crypto::hash256 owner_request_digest(const std::string& node_address, const std::string& method,
                                     const std::string& target, std::uint64_t unix_secs) {
  std::string message = owner_request_message(node_address, method, target, unix_secs);
  return crypto::personal_message_digest(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
}

std::string owner_signature_value(const crypto::private_key& key, const std::string& node_address,
                                  const std::string& method, const std::string& target, std::uint64_t unix_secs) {
  return std::to_string(unix_secs) + ":" +
         key.sign_digest(owner_request_digest(node_address, method, target, unix_secs)).to_0x();
}

std::string bearer_token(const http_request& req) {
  std::string auth(req.header("Authorization"));
  if (auth.size() > 7 && strncasecmp(auth.c_str(), "Bearer ", 7) == 0) return auth.substr(7);
  return "";
}

bool host_token_matches(const http_request& req, const node_info& info) {
  return crypto::secret_matches(bearer_token(req), info.couch_host_token_hash);
}

bool owner_signed(const http_request& req, const node_info& info, std::uint64_t now_secs) {
  std::string value(req.header(owner_signature_header));
  auto colon = value.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 12) return false;
  std::string secs = value.substr(0, colon);
  if (secs.find_first_not_of("0123456789") != std::string::npos) return false;
  std::uint64_t at = std::stoull(secs);
  if (at + max_owner_signature_age < now_secs || at > now_secs + max_owner_signature_age) return false;
  auto raw = crypto::from_hex(value.substr(colon + 1));
  if (!raw || raw->size() != 65) return false;
  auto sig = crypto::signature::from_bytes(raw->data(), raw->size());
  if (!sig) return false;
  auto signer = crypto::recover_address(owner_request_digest(info.node_address, req.method, req.target, at), *sig);
  auto owner = crypto::parse_address(info.owner);
  return signer && owner && signer->bytes == owner->bytes;
}

bool is_owner(const http_request& req, const node_info& info) {
  return host_token_matches(req, info) || owner_signed(req, info, unix_secs());
}

}  // namespace hearth::net
