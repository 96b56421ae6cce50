// Building an offer as its owner does (`hearth offer`): the executable read
// and classified (ELF arch or #! script), prices parsed, an MCP tool's
// manifest taken from the tool itself (`EXE --mcp-schema`, run in the
// sandbox) with its limits unless given, the canonical record signed with
// the owner's key; then uploaded to a node (the executable's bytes only
// when the node lacks the offer).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "crypto/secp256k1_key.hpp"
#include "messages/offer.hpp"
#include "messages/result.hpp"

namespace hearth::client {

struct offer_draft {
  // --exe: [ARCH:]PATH (arch read from the ELF when not given) or
  // ARCH:https://URL#SHA256HEX[:SIZE] (the node fetches it), one per architecture.
  std::vector<std::string> exes;
  offer_mode mode = offer_mode::cgi;
  // -P/--price, --price-per-second: one USDC decimal (every network the node
  // takes; with testnet: each test network's USDC) or JSON entries
  // {"token","network","amount"[,"payTo"]} (an object or an array of them).
  std::vector<std::string> price, price_per_second;
  bool testnet = false;
  std::string pay_to;                   // empty: the owner
  std::string name, description;
  bool deterministic = false;
  double expires_in_hours = 0;  // 0: no expiry
  std::vector<std::string> args;
  bool args_extendable = false;
  std::vector<std::string> env;  // NAME=VALUE
  bool env_extendable = false;
  std::string stdin_text;  // TEXT, or @FILE
  bool stdin_appendable = false;
  std::string valid_for;  // a duration (90d, 1h, 30m, 45s); empty: expires_in_hours
  std::string retain;     // a duration; empty: the node's retention
  std::string min_duration, max_duration;  // per-second offers: the runs a buyer may pay for
  std::vector<std::string> env_private;    // NAME=VALUE kept secret on the node (only its sha256 is signed)
  std::string stdin_private;               // TEXT or @FILE, likewise
  std::vector<std::string> tcp_bind, tcp_connect;  // PORT[,PORT...]
  std::string pool;
  offer_limits limits;
  std::set<std::string> explicit_limits;  // limit flags the owner gave (an MCP tool's own limits yield to them)
};

struct signed_offer {
  offer body;
  std::string canonical;  // storage::canonical_offer
  std::string hash;       // hex
  std::string signature;  // 0x + 65 bytes hex (EIP-191 over sha256(canonical))
  struct local_executable {
    std::string arch, path, bytes;
  };
  std::vector<local_executable> executables;  // the variants read from files (the URL ones the node fetches)
  std::string private_env, private_stdin;     // salted values to give each node (empty: none)
};

result<signed_offer> build_offer(const offer_draft& draft, const crypto::private_key& owner_key);

// The node's JSON answer to the upload. The executable sent is the variant
// for the node's architecture (its /health says which); none when the node
// has the offer or fetches that variant itself. Private values follow the
// offer (PUT /offers/HASH/private/env|stdin). progress (may be empty) is
// called as a large executable is sent: (bytes sent, total).
result<std::string> upload_offer(const std::string& node_url, signed_offer& offer,
                                 std::function<void(std::uint64_t, std::uint64_t)> progress);

// "90d", "12h", "30m", "45s" or plain seconds -> seconds (at most ten years).
result<std::uint64_t> parse_duration_secs(const std::string& text);

// "0.001" USDC -> 1000 atomic units; at most 6 decimals.
bool parse_usdc(const std::string& text, std::uint64_t& atomic);

}  // namespace hearth::client
