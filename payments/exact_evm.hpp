// The x402 "exact" scheme on EVM: a USDC transferWithAuthorization
// (EIP-3009) signed as EIP-712 typed data. Decodes the payment headers of
// both protocol generations (X-PAYMENT v1, PAYMENT-SIGNATURE v2), computes
// the digest directly (two fixed-size Keccak inputs, no generic EIP-712
// pass), and verifies a payment against what the node asked for. Plain
// library: recording the nonce exactly once is the payment actor's job.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"
#include "messages/result.hpp"
#include "payments/networks.hpp"

namespace hearth::payments {

struct authorization {
  crypto::address from, to;
  crypto::uint256 value{}, valid_after{}, valid_before{};
  crypto::hash256 nonce{};
};

// What the node asks for one call.
struct requirement {
  const network* net = nullptr;
  crypto::uint256 amount{};  // atomic units
  crypto::address pay_to;
  std::uint64_t max_timeout_seconds = 300;
  std::string resource;  // the URL paid for
  std::string description;
  std::string mime_type = "application/json";
  // v2: the accepts[] entry a client must echo as `accepted`; when null,
  // requirement_v2(*this). Set when the node verifies for another server.
  nlohmann::json v2_entry;
};

// A payer's signature is an EOA's 65 bytes (r, s, v), or a smart wallet's
// (EIP-1271: whatever its isValidSignature takes, possibly wrapped as
// ERC-6492 for a wallet not deployed yet), at most this long.
inline constexpr std::size_t max_signature_bytes = 4096;

struct payment {
  int x402_version = 1;
  std::string scheme;
  std::string network;  // as the client named it
  crypto::bytes signature;
  authorization auth;
  nlohmann::json accepted;  // v2: the requirement the client chose, verbatim
  std::string json;         // the header's decoded PaymentPayload, as sent
};

// A header value: strict base64 (with padding) of the PaymentPayload JSON.
// Fails with code "malformed_payment" (an HTTP 400) saying what is wrong.
result<payment> decode_payment(std::string_view header_value);

// The requirement as each generation's accepts[] entry.
nlohmann::json requirement_v1(const requirement& r);
nlohmann::json requirement_v2(const requirement& r);

crypto::hash256 domain_separator(const network& net);
// The same for any token: EIP712Domain(name, version, chainId, verifyingContract).
crypto::hash256 domain_separator(const std::string& name, const std::string& version, std::uint64_t chain_id,
                                 const crypto::address& contract);
crypto::hash256 transfer_digest(const crypto::hash256& domain_separator, const authorization& a);

struct verdict {
  bool valid = false;
  std::string reason;  // x402's invalidReason names when invalid
  crypto::address payer;
  // Everything checked but the signature, which is no EOA signature of the
  // payer: valid only if the payer is a contract whose EIP-1271
  // isValidSignature accepts it, which only the chain can tell.
  bool needs_contract_check = false;
};

// How far ahead of the node's clock a payer's may run: validBefore may be
// up to maxTimeoutSeconds + this past now (x402's clients set it to their
// now + maxTimeoutSeconds).
inline constexpr std::uint64_t max_clock_skew_secs = 60;

// Everything but the nonce's single use: scheme, network, (v2) the echoed
// requirement, recipient, exact value, time window (now + 6 s <= validBefore
// <= now + maxTimeoutSeconds + max_clock_skew_secs), and the signature (v 27/28 or 0/1, low-s, recovering
// to authorization.from; otherwise needs_contract_check).
verdict verify(const payment& p, const requirement& r, std::uint64_t now_secs);

// ERC-6492: a signature of a wallet not deployed yet, wrapped as
// abi.encode(factory, factoryCalldata, innerSignature) ++ 32 bytes of 0x6492.
struct erc6492_wrapped {
  crypto::address factory;
  crypto::bytes factory_calldata;
  crypto::bytes inner;
};
bool is_erc6492(const crypto::bytes& signature);
// The parts, or malformed_payment when the wrapping is not valid ABI.
result<erc6492_wrapped> unwrap_erc6492(const crypto::bytes& signature);

}  // namespace hearth::payments
