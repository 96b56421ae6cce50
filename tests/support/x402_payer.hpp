// Test support: a buyer paying a node's priced offers with x402 as a
// reference client would (the challenge, an EIP-3009 authorization signed
// by a test key, the payment header, the payment's id), with ways to make
// a payment wrong. Header-only (uses Catch2).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "crypto/base64.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"
#include "support/raw_http.hpp"
#include "support/test_node.hpp"

namespace hearth::test {

inline const char* buyer_hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
inline const char* buyer_address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

inline response call(const node& n, const std::string& path, const std::vector<std::string>& headers = {}) {
  raw_connection c(n.port);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(n.port) + "\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  c.send(req + "\r\n");
  auto r = c.read_response(60s);
  REQUIRE(r);
  return *r;
}

// The offered requirement on base-sepolia in the v2 challenge of an unpaid call.
inline payments::offered challenge_entry(const node& n, const std::string& path, int version = 2) {
  auto r = call(n, path);
  REQUIRE(r.status == 402);
  auto entries = version == 2 ? payments::parse_challenge(r.header("payment-required"), "")
                              : payments::parse_challenge("", r.body);
  REQUIRE(entries);
  for (auto& e : *entries)
    if (e.network_name == (version == 2 ? "eip155:84532" : "base-sepolia")) return e;
  FAIL("no base-sepolia requirement");
  return {};
}

// A payment for o, with one thing changed to make it wrong.
struct tamper {
  std::string domain_name;  // sign over another EIP-712 domain name
  std::string value;        // authorize another amount
  std::string to;           // pay someone else
  std::int64_t after_delta = -600, before_delta = 120;
  bool high_s = false;      // the same signature with s' = n - s
  bool v01 = false;         // v as 0/1 instead of 27/28
  bool nonce_without_0x = false;
  bool base64url = false;
};

inline std::string sign(const payments::offered& o, const tamper& t = {}) {
  auto key = crypto::private_key::from_hex(buyer_hex);
  payments::authorization a;
  a.from = key->to_address();
  a.to = t.to.empty() ? o.pay_to : *crypto::parse_address(t.to);
  a.value = t.value.empty() ? o.amount : *crypto::parse_uint256(t.value);
  std::uint64_t after = static_cast<std::uint64_t>(static_cast<std::int64_t>(unix_secs()) + t.after_delta);
  std::uint64_t before = static_cast<std::uint64_t>(static_cast<std::int64_t>(unix_secs()) + t.before_delta);
  a.valid_after = *crypto::parse_uint256(std::to_string(after));
  a.valid_before = *crypto::parse_uint256(std::to_string(before));
  auto random = crypto::private_key::generate();  // 32 fresh random bytes for the nonce
  a.nonce = random->secret();
  auto domain = payments::domain_separator(t.domain_name.empty() ? o.domain_name : t.domain_name, o.domain_version,
                                           o.net->chain_id, o.asset);
  auto sig = key->sign_digest(payments::transfer_digest(domain, a));
  if (t.high_s) {  // s' = n - s (big-endian subtraction), v flips
    static const char* order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    auto n_bytes = crypto::from_hex(order);
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
      int d = (*n_bytes)[static_cast<std::size_t>(i)] - sig.s[static_cast<std::size_t>(i)] - borrow;
      borrow = d < 0;
      sig.s[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
    }
    sig.v = sig.v == 27 ? 28 : 27;
  }
  auto bytes = sig.to_bytes();
  if (t.v01) bytes[64] = static_cast<std::uint8_t>(bytes[64] - 27);
  std::string nonce = crypto::to_hex(a.nonce);
  json auth = {{"from", a.from.checksummed()},
               {"to", a.to.checksummed()},
               {"value", crypto::to_decimal(a.value)},
               {"validAfter", std::to_string(after)},
               {"validBefore", std::to_string(before)},
               {"nonce", t.nonce_without_0x ? nonce : "0x" + nonce}};
  json payload = {{"signature", "0x" + crypto::to_hex(bytes)}, {"authorization", auth}};
  json body = o.x402_version == 2
                  ? json{{"x402Version", 2}, {"payload", payload}, {"resource", o.resource}, {"accepted", o.entry}}
                  : json{{"x402Version", 1}, {"scheme", "exact"}, {"network", o.network_name}, {"payload", payload}};
  std::string header = crypto::base64_encode(body.dump());
  if (t.base64url) {
    std::replace(header.begin(), header.end(), '+', '-');
    std::replace(header.begin(), header.end(), '/', '_');
    while (!header.empty() && header.back() == '=') header.pop_back();
  }
  return header;
}

inline std::string header_line(const payments::offered& o, const std::string& value) {
  return std::string(payments::payment_header_name(o)) + ": " + value;
}

// The v2 challenge's error field of a refusal.
inline std::string refusal_reason(const response& r) {
  REQUIRE(r.status == 402);
  return payments::challenge_error(r.header("payment-required"), "");
}

inline json get_json(const node& n, const std::string& path) {
  auto r = call(n, path, {n.owner_header()});  // task listings are the owner's
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

inline std::size_t ledger_size(const node& n) { return get_json(n, "/payments/ledger?limit=1000")["entries"].size(); }

inline std::string payment_id_of(const std::string& header) {
  auto body = json::parse(*crypto::base64_decode(header));
  auto payer = crypto::parse_address(body["payload"]["authorization"]["from"].get<std::string>());
  auto nonce = crypto::from_hex(body["payload"]["authorization"]["nonce"].get<std::string>());
  std::string raw(payer->bytes.begin(), payer->bytes.end());
  raw.append(nonce->begin(), nonce->end());
  return crypto::to_hex(crypto::sha256(raw));
}

}  // namespace hearth::test
