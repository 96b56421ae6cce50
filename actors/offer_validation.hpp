// The checks an offer passes before the node stores it: canonical encoding,
// a signature that recovers to the owner named inside, an owner the node
// accepts, limits within the node's maxima, not expired, and an executable
// whose hash, size and ELF architecture match what was signed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.hpp"
#include "messages/offer.hpp"
#include "messages/result.hpp"

namespace hearth::actors {

struct offer_policy {
  std::vector<crypto::address> accepted_owners;  // the node's owner first
  offer_limits max_limits{4096, 3600, 3600, false, 1ull << 30, {}, {}, 0};  // cpu_units 0: unchecked
  std::int64_t now = 0;  // unix seconds
  std::vector<std::string> payment_networks;  // an offer's price options must include one of these; empty: any
};

// Builds the stored form of a signed offer after every check but the
// executable's (which needs its bytes or the blob store).
result<stored_offer> verify_signed_offer(const std::string& canonical, const std::string& signature,
                                         const offer_policy& policy);

// An MCP offer's manifest: a JSON object with a tool name of 1-64
// [A-Za-z0-9_.-], a description, an input_schema whose root is an object
// schema, and (optionally) an output_schema likewise ("bad_manifest" otherwise).
result<void> check_tool_manifest(const std::string& manifest);
// Version 2's presets: well-formed, and absent from a version 1 offer.
result<void> check_presets(const offer& o);
// Version 3's parts: variants (a distinct architecture each, https URLs),
// price options (known networks, their USDC, one per network, all per call
// or all per second), TCP ports (with network), private hashes, a pool name.
result<void> check_version3(const offer& o);
bool uses_version3(const offer& o);
// The offer's executables, the first one (the top-level fields) first.
std::vector<offer_variant> executable_variants(const offer& o);
// The one this node runs: unsupported_architecture when there is none.
result<offer_variant> variant_for_host(const offer& o);
// NAME=VALUE with NAME of A-Z a-z 0-9 _ not starting with a digit (an env preset, a private env entry).
bool is_env_entry(std::string_view entry);
// Whether callers may add arguments (version 1 offers: always, as before presets).
bool takes_caller_args(const offer& o);
// Whether the buyer chooses the seconds it pays for (per-second offers with durations).
bool sells_durations(const offer& o);

// Whether an offer is past its expires_at (0: never expires) at unix second now.
const char* mode_name(offer_mode m);  // "cgi", "mcp", "batch"

inline bool is_expired(const offer& o, std::int64_t now_secs) { return o.expires_at != 0 && o.expires_at <= now_secs; }

// The signing side (hearth offer): hash of the canonical bytes and the digest signed.
std::string offer_hash_hex(const std::string& canonical);

}  // namespace hearth::actors
