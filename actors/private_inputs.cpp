#include "actors/private_inputs.hpp"

#include <algorithm>
#include <cctype>

#include "actors/offer_validation.hpp"
#include "crypto/bytes.hpp"
#include "crypto/sha256.hpp"
#include "storage/store.hpp"

namespace hearth::actors {
namespace {

constexpr std::size_t max_private_bytes = 1u << 20;

const std::string& named_sha(const offer& o, const std::string& kind) {
  static const std::string none;
  return kind == "env" ? o.env_private_sha256 : kind == "stdin" ? o.stdin_private_sha256 : none;
}

std::string aad_for(const std::string& sha_hex) { return "hearth private input " + sha_hex; }

result<std::vector<std::string>> env_entries(std::string_view payload) {
  std::vector<std::string> out;
  while (!payload.empty()) {
    auto end = payload.find('\0');
    auto entry = payload.substr(0, end);
    if (!is_env_entry(entry))
      return fail(offer_errc::private_input_mismatch, "a private env value is NAME=VALUE entries separated by NUL");
    out.emplace_back(entry);
    if (end == std::string_view::npos) break;
    payload.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

std::string salted_private_value(const std::string& salt, const std::string& payload) { return salt + payload; }

std::string private_env_payload(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (!out.empty()) out.push_back('\0');
    out += e;
  }
  return out;
}

result<void> store_private_input(storage::store& db, const crypto::sealing_key& key, const offer& o,
                                 const private_upload& up) {
  if (up.kind != "env" && up.kind != "stdin")
    return fail(http_errc::not_found, "private inputs are /private/env and /private/stdin");
  const std::string& expected = named_sha(o, up.kind);
  if (expected.empty()) return fail(offer_errc::private_input_mismatch, "the offer names no private " + up.kind);
  if (up.value.size() < private_salt_bytes || up.value.size() > max_private_bytes)
    return fail(offer_errc::private_input_mismatch, "a private value is a 32-byte salt and at most 1 MiB");
  auto digest = crypto::sha256(up.value);
  if (std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()) != expected)  // both public
    return fail(offer_errc::private_input_mismatch, "the value's sha256 is not the one the offer names for its private " + up.kind);
  if (up.kind == "env")
    if (auto entries = env_entries(std::string_view(up.value).substr(private_salt_bytes)); !entries) return entries.error();
  std::string sha_hex = crypto::to_hex(std::string_view(expected));
  auto sealed = crypto::seal(key, up.value, aad_for(sha_hex));
  if (!sealed) return sealed.error();
  return db.put(storage::column::secrets, sha_hex, *sealed);
}

bool has_private_input(const storage::store& db, const offer& o, const std::string& kind) {
  const std::string& sha = named_sha(o, kind);
  if (sha.empty()) return false;
  auto found = db.get(storage::column::secrets, crypto::to_hex(std::string_view(sha)));
  return found && *found;
}

result<private_values> open_private_inputs(const storage::store& db, const crypto::sealing_key& key, const offer& o) {
  private_values out;
  for (const char* kind : {"env", "stdin"}) {
    const std::string& sha = named_sha(o, kind);
    if (sha.empty()) continue;
    std::string sha_hex = crypto::to_hex(std::string_view(sha));
    auto found = db.get(storage::column::secrets, sha_hex);
    if (!found) return found.error();
    if (!*found)
      return fail(offer_errc::private_input_missing, std::string("the offer's owner has not given this node its private ") +
                                                         kind + " (hearth offer --env-private/--stdin-private uploads it)");
    auto value = crypto::open_sealed(key, **found, aad_for(sha_hex));
    if (!value) return value.error();
    auto digest = crypto::sha256(*value);
    if (std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()) != sha || value->size() < private_salt_bytes)
      return fail(offer_errc::private_input_mismatch, std::string("the stored private ") + kind + " no longer matches the offer");
    std::string_view payload = std::string_view(*value).substr(private_salt_bytes);
    if (std::string(kind) == "stdin") {
      out.stdin_prefix.assign(payload);
    } else {
      auto entries = env_entries(payload);
      if (!entries) return entries.error();
      out.env = std::move(*entries);
    }
    crypto::secure_wipe(value->data(), value->size());
  }
  return out;
}

}  // namespace hearth::actors
