// An offer's private env and stdin: the owner's secret values, kept sealed
// (crypto/sealed_box) in the "secrets" column by their sha256, checked
// against the sha256 the signed offer names when stored and again when a run
// opens them. A value is 32 random bytes of salt, then the payload (env:
// NAME=VALUE entries separated by NUL), so its sha256 in the public offer
// tells nothing about a short secret. Values never leave these functions but
// into a run's environment and stdin.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/sealed_box.hpp"
#include "messages/offer.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline constexpr std::size_t private_salt_bytes = 32;
inline constexpr std::string_view private_inputs_label = "hearth offer private inputs";

struct private_values {
  std::vector<std::string> env;  // NAME=VALUE
  std::string stdin_prefix;
};

// Checks up against o (kind, size, sha256, env entries) and stores it sealed.
result<void> store_private_input(storage::store& db, const crypto::sealing_key& key, const offer& o,
                                 const private_upload& up);
// Whether the node holds the value o names for kind ("env" or "stdin").
bool has_private_input(const storage::store& db, const offer& o, const std::string& kind);
// The values o names, opened and checked: private_input_missing when one is
// not on this node, private_input_mismatch when it no longer hashes right.
result<private_values> open_private_inputs(const storage::store& db, const crypto::sealing_key& key, const offer& o);

// The client's side: salt || payload, and the env payload of NAME=VALUE entries.
std::string salted_private_value(const std::string& salt, const std::string& payload);
std::string private_env_payload(const std::vector<std::string>& entries);

}  // namespace hearth::actors
