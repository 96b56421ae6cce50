// An offer as plain C++ values (mirrors records.capnp Offer) and the
// messages the offer registry and offer actors answer.
#pragma once

#include <caf/atom.hpp>

#include "messages/atoms.hpp"
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth {

enum class offer_mode : std::uint8_t { cgi = 0, mcp = 1, batch = 2 };

struct offer_limits {
  std::uint64_t ram_mb = 64;
  std::uint64_t cpu_secs = 10;
  std::uint64_t wall_secs = 30;
  bool network = false;
  std::uint64_t max_output_bytes = 16ull << 20;
};

struct offer {
  std::uint32_t version = 1;
  std::string executable_sha256;  // 32 raw bytes
  std::uint64_t executable_size = 0;
  std::string arch;
  offer_mode mode = offer_mode::cgi;
  std::uint64_t price_per_call = 0;
  std::uint64_t price_per_second = 0;
  offer_limits limits;
  std::string pay_to;  // 20 raw bytes
  std::string owner;   // 20 raw bytes
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool deterministic = false;
  std::string name;
  std::string description;
  std::vector<std::string> args;
  std::string manifest;  // mcp offers: the tool's --mcp-schema JSON
  // Version 2: the owner's presets (see records.capnp).
  std::vector<std::string> env;  // KEY=VALUE
  bool env_extendable = false;
  std::string stdin_prefix;
  bool stdin_appendable = false;
  bool args_extendable = false;
  std::uint64_t retain_secs = 0;
  std::uint64_t min_duration_secs = 0, max_duration_secs = 0;  // per-second offers: what a buyer may pay for
};

// The newest offer version this node understands.
inline constexpr std::uint32_t offer_version = 2;

// A verified offer as the node keeps it.
struct stored_offer {
  std::string hash;       // hex of sha256(canonical)
  std::string canonical;  // bytes that were signed
  std::string signature;  // 65 raw bytes
  std::int64_t received_at_ms = 0;
  offer body;
};

// Upload: the signed offer and its executable's bytes (empty when the node
// already has that executable).
struct offer_upload {
  std::string canonical;
  std::string signature;
  std::string executable;
};


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer_limits& x) {
  return f(caf::meta::type_name("offer_limits"), x.ram_mb, x.cpu_secs, x.wall_secs, x.network, x.max_output_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer& x) {
  return f(caf::meta::type_name("offer"), x.version, x.executable_sha256, x.executable_size, x.arch, x.mode,
           x.price_per_call, x.price_per_second, x.limits, x.pay_to, x.owner, x.created_at, x.expires_at,
           x.deterministic, x.name, x.description, x.args, x.manifest, x.env, x.env_extendable, x.stdin_prefix,
           x.stdin_appendable, x.args_extendable, x.retain_secs, x.min_duration_secs, x.max_duration_secs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_offer& x) {
  return f(caf::meta::type_name("stored_offer"), x.hash, x.canonical, x.signature, x.received_at_ms, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer_upload& x) {
  return f(caf::meta::type_name("offer_upload"), x.canonical, x.signature, x.executable);
}

}  // namespace hearth
