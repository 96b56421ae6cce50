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
  // Version 3:
  std::vector<std::uint16_t> tcp_bind, tcp_connect;  // either non-empty: TCP only to these ports (Landlock)
  std::uint32_t cpu_units = 0;                       // thousandths of a core reserved per run; 0: 1000
};

// One more executable of an offer, for another architecture (version 3).
struct offer_variant {
  std::string arch;
  std::string sha256;  // 32 raw bytes
  std::uint64_t size = 0;
  std::string url;     // https://... the node fetches it from; empty: uploaded
};

// One way to pay an offer (version 3): an x402 requirement of its own.
struct price_option {
  std::string network;  // x402 v1 name (base, base-sepolia, ethereum)
  std::string asset;    // 20 raw bytes: the token contract
  std::uint64_t amount = 0;  // atomic units, per call or per second
  bool per_second = false;
  std::string pay_to;   // 20 raw bytes; empty: the offer's pay_to
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
  // Version 3 (see records.capnp):
  std::string executable_url;           // the first executable's https source; empty: uploaded
  std::vector<offer_variant> variants;  // executables for other architectures
  std::string env_private_sha256;       // 32 raw bytes when the owner keeps a secret env on the node
  std::string stdin_private_sha256;     // likewise a secret stdin prefix
  std::vector<price_option> prices;     // empty: price_per_call/second on the node's networks
  std::string pool;                     // the node's pool whose capacity makes calls free
};

// The newest offer version this node understands.
inline constexpr std::uint32_t offer_version = 3;

// A verified offer as the node keeps it.
struct stored_offer {
  std::string hash;       // hex of sha256(canonical)
  std::string canonical;  // bytes that were signed
  std::string signature;  // 65 raw bytes
  std::int64_t received_at_ms = 0;
  offer body;
  bool has_private_env = false, has_private_stdin = false;  // the node holds the owner's secret values
};

// The owner's secret env or stdin for an offer (PUT /offers/HASH/private/KIND):
// sha256(value) must be the offer's; value is never logged or returned.
struct private_upload {
  std::string offer_hash;
  std::string kind;  // "env" (NAME=VALUE lines) or "stdin"
  std::string value;
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
  return f(caf::meta::type_name("offer_limits"), x.ram_mb, x.cpu_secs, x.wall_secs, x.network, x.max_output_bytes,
           x.tcp_bind, x.tcp_connect, x.cpu_units);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer_variant& x) {
  return f(caf::meta::type_name("offer_variant"), x.arch, x.sha256, x.size, x.url);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_option& x) {
  return f(caf::meta::type_name("price_option"), x.network, x.asset, x.amount, x.per_second, x.pay_to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, private_upload& x) {
  return f(caf::meta::type_name("private_upload"), x.offer_hash, x.kind, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer& x) {
  return f(caf::meta::type_name("offer"), x.version, x.executable_sha256, x.executable_size, x.arch, x.mode,
           x.price_per_call, x.price_per_second, x.limits, x.pay_to, x.owner, x.created_at, x.expires_at,
           x.deterministic, x.name, x.description, x.args, x.manifest, x.env, x.env_extendable, x.stdin_prefix,
           x.stdin_appendable, x.args_extendable, x.retain_secs, x.min_duration_secs, x.max_duration_secs,
           x.executable_url, x.variants, x.env_private_sha256, x.stdin_private_sha256, x.prices, x.pool);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_offer& x) {
  return f(caf::meta::type_name("stored_offer"), x.hash, x.canonical, x.signature, x.received_at_ms, x.body,
           x.has_private_env, x.has_private_stdin);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offer_upload& x) {
  return f(caf::meta::type_name("offer_upload"), x.canonical, x.signature, x.executable);
}

}  // namespace hearth
