#include "payments/usdc_calls.hpp"

#include "crypto/keccak.hpp"

namespace hearth::payments {
namespace {

void put_selector(crypto::bytes& out, std::string_view signature) {
  auto h = crypto::keccak256(signature);
  out.insert(out.end(), h.begin(), h.begin() + 4);
}

void put_word(crypto::bytes& out, const crypto::hash256& w) { out.insert(out.end(), w.begin(), w.end()); }

void put_word(crypto::bytes& out, std::uint64_t v) {
  crypto::hash256 w{};
  for (int i = 31; v; --i, v >>= 8) w[i] = static_cast<std::uint8_t>(v & 0xff);
  put_word(out, w);
}

void put_authorization(crypto::bytes& out, const authorization& a) {
  put_word(out, address_word(a.from));
  put_word(out, address_word(a.to));
  put_word(out, a.value);
  put_word(out, a.valid_after);
  put_word(out, a.valid_before);
  put_word(out, a.nonce);
}

}  // namespace

crypto::hash256 address_word(const crypto::address& a) {
  crypto::hash256 w{};
  std::copy(a.bytes.begin(), a.bytes.end(), w.begin() + 12);
  return w;
}

crypto::bytes transfer_with_authorization(const authorization& a, const std::array<std::uint8_t, 65>& rsv) {
  crypto::bytes out;
  out.reserve(4 + 9 * 32);
  put_selector(out, "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)");
  put_authorization(out, a);
  put_word(out, rsv[64]);
  out.insert(out.end(), rsv.begin(), rsv.begin() + 64);  // r, s: one word each
  return out;
}

crypto::bytes transfer_with_authorization_bytes(const authorization& a, const crypto::bytes& signature) {
  crypto::bytes out;
  put_selector(out, "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)");
  put_authorization(out, a);
  put_word(out, 7 * 32);  // the bytes' offset: after the seven head words
  put_word(out, signature.size());
  out.insert(out.end(), signature.begin(), signature.end());
  out.resize(out.size() + (32 - signature.size() % 32) % 32, 0);
  return out;
}

crypto::bytes transfer_call(const authorization& a, const crypto::bytes& signature) {
  if (is_erc6492(signature)) {
    if (auto w = unwrap_erc6492(signature)) return transfer_call(a, w->inner);
  }
  if (signature.size() != 65) return transfer_with_authorization_bytes(a, signature);
  std::array<std::uint8_t, 65> rsv{};
  std::copy(signature.begin(), signature.end(), rsv.begin());
  return transfer_with_authorization(a, rsv);
}

crypto::bytes is_valid_signature(const crypto::hash256& hash, const crypto::bytes& signature) {
  crypto::bytes out;
  put_selector(out, "isValidSignature(bytes32,bytes)");
  put_word(out, hash);
  put_word(out, 2 * 32);
  put_word(out, signature.size());
  out.insert(out.end(), signature.begin(), signature.end());
  out.resize(out.size() + (32 - signature.size() % 32) % 32, 0);
  return out;
}

crypto::bytes authorization_state(const crypto::address& authorizer, const crypto::hash256& nonce) {
  crypto::bytes out;
  put_selector(out, "authorizationState(address,bytes32)");
  put_word(out, address_word(authorizer));
  put_word(out, nonce);
  return out;
}

crypto::bytes balance_of(const crypto::address& account) {
  crypto::bytes out;
  put_selector(out, "balanceOf(address)");
  put_word(out, address_word(account));
  return out;
}

std::string refusal_reason(const std::string& revert_message) {
  auto has = [&](const char* text) { return revert_message.find(text) != std::string::npos; };
  if (has("authorization is used or canceled")) return "invalid_exact_evm_nonce_already_used";
  if (has("exceeds balance")) return "invalid_exact_evm_insufficient_balance";
  if (has("invalid signature")) return "invalid_exact_evm_payload_signature";
  if (has("authorization is expired")) return "invalid_exact_evm_payload_authorization_valid_before";
  if (has("authorization is not yet valid")) return "invalid_exact_evm_payload_authorization_valid_after";
  if (has("eip6492_factory_not_allowed")) return "eip6492_factory_not_allowed";
  if (has("blacklisted")) return "invalid_exact_evm_payer_blacklisted";
  return "invalid_transaction_state";
}

const crypto::hash256& authorization_used_topic() {
  static const auto t = crypto::keccak256(std::string_view("AuthorizationUsed(address,bytes32)"));
  return t;
}

const crypto::hash256& transfer_topic() {
  static const auto t = crypto::keccak256(std::string_view("Transfer(address,address,uint256)"));
  return t;
}

}  // namespace hearth::payments
