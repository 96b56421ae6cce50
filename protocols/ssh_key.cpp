#include "protocols/ssh_key.hpp"

#include <array>
#include <cstdint>

#include "crypto/base64.hpp"
#include "messages/errors.hpp"

namespace hearth::protocols {
namespace {

constexpr std::array<std::string_view, 8> key_types = {
    "ssh-ed25519",         "ssh-rsa",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss"};

failure bad(const std::string& why) { return fail(market_errc::bad_ssh_key, why); }

bool plain(char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

}  // namespace

result<std::string> normalize_ssh_pubkey(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (line.empty()) return bad("ssh_pubkey is empty");
  if (line.size() > max_ssh_key_bytes) return bad("ssh_pubkey is longer than 16 KiB");
  for (char c : line)
    if (c == '\n' || c == '\r' || c == '\0') return bad("ssh_pubkey is one line");
  auto space = line.find(' ');
  if (space == std::string_view::npos) return bad("ssh_pubkey is 'type base64 [comment]'");
  std::string_view type = line.substr(0, space), rest = line.substr(space + 1);
  bool known = false;
  for (auto t : key_types) known = known || t == type;
  if (!known) return bad("ssh_pubkey's type is not an OpenSSH public key type (options are not accepted)");
  auto end = rest.find(' ');
  std::string_view blob_text = rest.substr(0, end);
  std::string_view comment = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  auto blob = crypto::base64_decode(blob_text);
  if (!blob) return bad("ssh_pubkey's key is not base64");
  // The blob starts with the type as an SSH string: uint32 length, bytes.
  if (blob->size() < 4 + type.size()) return bad("ssh_pubkey's key is truncated");
  auto u = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>((*blob)[i])); };
  std::uint32_t len = u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
  if (len != type.size() || blob->compare(4, len, type) != 0) return bad("ssh_pubkey's key is not of its stated type");
  std::string out = std::string(type) + " " + std::string(blob_text);
  std::string clean;
  for (char c : comment)
    if (plain(c) && clean.size() < 128) clean.push_back(c);
  while (!clean.empty() && clean.back() == ' ') clean.pop_back();  // cut at 128, it may end in one
  if (!clean.empty()) out += " " + clean;
  return out;
}

}  // namespace hearth::protocols
