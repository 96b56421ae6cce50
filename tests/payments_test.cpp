// hearth_payments: the x402 exact EVM scheme against the shared vector
// (viem and libsecp256k1 agree on it byte for byte) and every way a payment
// must be refused.
#include <catch2/catch.hpp>

#include "crypto/base64.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"
#include "payments/exact_evm.hpp"

using namespace hearth;
using namespace hearth::payments;
using nlohmann::json;

namespace {

const char* payer_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const char* pay_to = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const char* vector_nonce = "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480";
constexpr std::uint64_t vector_after = 1740672089, vector_before = 1740672154;
constexpr std::uint64_t now = vector_after + 10;  // inside the vector's window

requirement vector_requirement() {
  requirement r;
  r.net = find_network("base-sepolia");
  r.amount = *crypto::parse_uint256("10000");
  r.pay_to = *crypto::parse_address(pay_to);
  r.max_timeout_seconds = 60;
  r.resource = "http://127.0.0.1:3000/x.cgi/";
  return r;
}

// The payload a client sends, signed with the payer key; tweak edits the
// JSON before it is encoded.
json signed_payload(int version, const json& auth_overrides = json::object(), std::string sig_override = "") {
  json auth = {{"from", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
               {"to", pay_to},
               {"value", "10000"},
               {"validAfter", std::to_string(vector_after)},
               {"validBefore", std::to_string(vector_before)},
               {"nonce", vector_nonce}};
  auth.update(auth_overrides);
  authorization a{*crypto::parse_address(auth["from"].get<std::string>()),
                  *crypto::parse_address(auth["to"].get<std::string>()),
                  *crypto::parse_uint256(auth["value"].get<std::string>()),
                  *crypto::parse_uint256(auth["validAfter"].get<std::string>()),
                  *crypto::parse_uint256(auth["validBefore"].get<std::string>()),
                  {}};
  auto nonce = crypto::from_hex(vector_nonce);
  std::copy(nonce->begin(), nonce->end(), a.nonce.begin());
  auto key = crypto::private_key::from_hex(payer_key);
  auto r = vector_requirement();
  std::string sig = sig_override.empty() ? key->sign_digest(transfer_digest(domain_separator(*r.net), a)).to_0x()
                                         : sig_override;
  json payload = {{"signature", sig}, {"authorization", auth}};
  if (version == 1) return {{"x402Version", 1}, {"scheme", "exact"}, {"network", "base-sepolia"}, {"payload", payload}};
  return {{"x402Version", 2}, {"payload", payload}, {"resource", {{"url", r.resource}}}, {"accepted", requirement_v2(r)}};
}

std::string header_of(const json& j) { return crypto::base64_encode(j.dump()); }

verdict check(const json& j, std::uint64_t at = now) {
  auto p = decode_payment(header_of(j));
  REQUIRE(p);
  return verify(*p, vector_requirement(), at);
}

}  // namespace

TEST_CASE("the EIP-3009 digest and signature match the shared vector", "[x402]") {
  auto net = find_network("eip155:84532");
  REQUIRE(net);
  CHECK(crypto::to_hex(domain_separator(*net).data(), 32) ==
        "71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818");
  CHECK(crypto::to_hex(domain_separator(*find_network("ethereum")).data(), 32) ==
        "06c37168a7db5138defc7866392bb87a741f9b3d104deb5094588ce041cae335");
  auto p = decode_payment(header_of(signed_payload(1)));
  REQUIRE(p);
  CHECK(crypto::to_hex(transfer_digest(domain_separator(*net), p->auth).data(), 32) ==
        "50708d3bf7216e1aeabe7bf22081b9f36c7c287530f92510318f13a03d89dc86");
  CHECK("0x" + crypto::to_hex(p->signature.data(), p->signature.size()) ==
        "0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e"
        "56c291f1000d6e78f082f1b");
}

TEST_CASE("valid payments of both generations verify and name their payer", "[x402]") {
  for (int version : {1, 2}) {
    auto v = check(signed_payload(version));
    INFO("v" << version << " " << v.reason);
    CHECK(v.valid);
    CHECK(v.payer.checksummed() == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  }
}

TEST_CASE("signatures: v 0/1 is normalised, high-s and foreign domains are refused", "[x402]") {
  std::string sig = signed_payload(1)["payload"]["signature"];
  // v 27 -> 0: the same signature.
  CHECK(check(signed_payload(1, json::object(), sig.substr(0, 130) + "00")).valid);
  // s -> n - s with v flipped: the same point, but high-s.
  auto bytes = *crypto::from_hex(sig);
  crypto::uint256 s{};
  std::copy(bytes.begin() + 32, bytes.begin() + 64, s.begin());
  auto n = *crypto::parse_uint256("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
  // n - s = n + (-s) mod 2^256, done byte-wise.
  auto neg = crypto::negate(s);
  crypto::uint256 high{};
  unsigned carry = 0;
  for (int i = 31; i >= 0; --i) {
    unsigned sum = n[static_cast<std::size_t>(i)] + neg[static_cast<std::size_t>(i)] + carry;
    high[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  std::string high_sig = sig.substr(0, 66) + crypto::to_hex(high.data(), 32) + (sig.substr(130) == "1b" ? "1c" : "1b");
  auto refused = check(signed_payload(1, json::object(), high_sig));
  CHECK_FALSE(refused.valid);
  CHECK(refused.reason == "invalid_exact_evm_payload_signature");

  // Signed for another domain name: recovers to someone else.
  auto p = decode_payment(header_of(signed_payload(1)));
  requirement other = vector_requirement();
  static network renamed = *other.net;
  renamed.usdc_name = "USD Coin";
  other.net = &renamed;
  CHECK(verify(*p, other, now).reason == "invalid_exact_evm_payload_signature");
}

TEST_CASE("amount, recipient, window and network mismatches are refused with their reason", "[x402]") {
  CHECK(check(signed_payload(1, {{"value", "9999"}})).reason == "invalid_exact_evm_payload_authorization_value");
  CHECK(check(signed_payload(1, {{"to", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}})).reason ==
        "invalid_exact_evm_payload_recipient_mismatch");
  CHECK(check(signed_payload(1), vector_after - 1).reason == "invalid_exact_evm_payload_authorization_valid_after");
  CHECK(check(signed_payload(1), vector_before - 3).reason == "invalid_exact_evm_payload_authorization_valid_before");
  // A window longer than maxTimeoutSeconds (+ the clock skew allowed) could be held for later.
  CHECK(check(signed_payload(1, {{"validBefore", std::to_string(now + 3600)}})).reason ==
        "invalid_exact_evm_payload_authorization_valid_before");
  std::uint64_t latest = now + vector_requirement().max_timeout_seconds + max_clock_skew_secs;
  CHECK(check(signed_payload(1, {{"validBefore", std::to_string(latest)}})).valid);
  CHECK(check(signed_payload(1, {{"validBefore", std::to_string(latest + 1)}})).reason ==
        "invalid_exact_evm_payload_authorization_valid_before");
  auto wrong_net = signed_payload(1);
  wrong_net["network"] = "base";
  CHECK(check(wrong_net).reason == "invalid_network");
  auto tampered = signed_payload(2);
  tampered["accepted"]["payTo"] = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  CHECK(check(tampered).reason == "invalid_payment_requirements");
  // Signed by the payer, but for more than it claims: the signature no longer recovers to from.
  auto edited = signed_payload(1);
  edited["payload"]["authorization"]["validAfter"] = std::to_string(vector_after - 5);
  CHECK(check(edited).reason == "invalid_exact_evm_payload_signature");
}

TEST_CASE("malformed payment headers are refused before any check", "[x402]") {
  std::string good = header_of(signed_payload(1));
  std::string url = good;
  std::replace(url.begin(), url.end(), '+', '-');
  std::replace(url.begin(), url.end(), '/', '_');
  if (url != good) CHECK(decode_payment(url).error().code == hearth::payment_errc::malformed_payment);
  CHECK(decode_payment("not base64!").error().code == hearth::payment_errc::malformed_payment);
  CHECK(decode_payment(crypto::base64_encode("[1,2]")).error().code == hearth::payment_errc::malformed_payment);
  auto no_0x = signed_payload(1);
  no_0x["payload"]["authorization"]["nonce"] = std::string(vector_nonce).substr(2);
  auto r = decode_payment(header_of(no_0x));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("nonce") != std::string::npos);
  auto short_sig = signed_payload(1);
  short_sig["payload"]["signature"] = "0x1234";
  CHECK_FALSE(decode_payment(header_of(short_sig)));
  auto bad_version = signed_payload(1);
  bad_version["x402Version"] = 3;
  CHECK_FALSE(decode_payment(header_of(bad_version)));
  auto bad_checksum = signed_payload(1);
  bad_checksum["payload"]["authorization"]["to"] = "0x209693bc6afc0c5328ba36faf03c514ef312287C";
  CHECK_FALSE(decode_payment(header_of(bad_checksum)));
}

#include "payments/buyer.hpp"
#include "support/failing_rng.hpp"

TEST_CASE("a buyer signs nothing when no nonce can be drawn", "[x402][rng]") {
  auto key = crypto::private_key::from_hex(payer_key);
  REQUIRE(key);
  offered o;
  o.x402_version = 2;
  o.net = find_network("base-sepolia");
  o.amount = *crypto::parse_uint256("10000");
  o.pay_to = *crypto::parse_address(pay_to);
  o.asset = o.net->usdc;
  o.max_timeout_seconds = 60;
  REQUIRE(payment_payload(o, *key, now));
  hearth::test::failing_rng broken;
  auto payload = payment_payload(o, *key, now);
  REQUIRE_FALSE(payload);
  CHECK(payload.error().code == hearth::crypto_errc::rng_failure);
  CHECK_FALSE(sign_payment(o, *key, now));
}

TEST_CASE("a signature no EOA of the payer made is left to the chain, never accepted here", "[x402]") {
  std::string eoa = signed_payload(1)["payload"]["signature"];
  // A wallet's own format (longer than 65 bytes): decoded, every other field
  // checked, the signature marked for EIP-1271 on chain.
  auto wallet = check(signed_payload(1, json::object(), eoa + std::string(64, 'a')));
  CHECK_FALSE(wallet.valid);
  CHECK(wallet.needs_contract_check);
  CHECK(wallet.reason == "invalid_exact_evm_payload_signature");
  CHECK(wallet.payer.checksummed() == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  // 65 bytes from another key: could be a wallet's owner, so the same.
  auto other_key = crypto::private_key::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  auto foreign = other_key->sign_digest(crypto::keccak256(std::string_view("not the digest"))).to_0x();
  CHECK(check(signed_payload(1, json::object(), foreign)).needs_contract_check);
  // The payer's own EOA signature needs no chain.
  auto own = check(signed_payload(1));
  CHECK(own.valid);
  CHECK_FALSE(own.needs_contract_check);
  // Anything else wrong is refused before the signature is looked at.
  auto wrong_amount = check(signed_payload(1, {{"value", "9999"}}, eoa + std::string(64, 'a')));
  CHECK(wrong_amount.reason == "invalid_exact_evm_payload_authorization_value");
  CHECK_FALSE(wrong_amount.needs_contract_check);
  // Bounded: a signature longer than max_signature_bytes, or odd hex, is malformed.
  auto huge = signed_payload(1, json::object(), "0x" + std::string(2 * (max_signature_bytes + 1), 'a'));
  CHECK(decode_payment(header_of(huge)).error().code == hearth::payment_errc::malformed_payment);
  auto odd = signed_payload(1, json::object(), eoa + "a");
  CHECK_FALSE(decode_payment(header_of(odd)));
}
