#include "payments/exact_evm.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "crypto/base64.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"

namespace hearth::payments {
namespace {

using nlohmann::json;

const crypto::hash256& domain_typehash() {
  static const auto h =
      crypto::keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
  return h;
}

const crypto::hash256& transfer_typehash() {
  static const auto h = crypto::keccak256(
      "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,"
      "bytes32 nonce)");
  return h;
}

void put_address(std::uint8_t* word, const crypto::address& a) {
  std::memset(word, 0, 12);
  std::memcpy(word + 12, a.bytes.data(), 20);
}

void put_u64(std::uint8_t* word, std::uint64_t v) {
  std::memset(word, 0, 24);
  for (int i = 0; i < 8; ++i) word[31 - i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// The value when it fits 64 bits; saturates otherwise (a window that far
// out fails the bounds anyway).
std::uint64_t to_u64(const crypto::uint256& v) {
  for (int i = 0; i < 24; ++i)
    if (v[static_cast<std::size_t>(i)] != 0) return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t out = 0;
  for (int i = 24; i < 32; ++i) out = (out << 8) | v[static_cast<std::size_t>(i)];
  return out;
}

failure malformed(const std::string& what) { return failure{payment_errc::malformed_payment, what}; }

result<std::string> text_field(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return malformed(std::string(name) + " must be a string");
  return it->get<std::string>();
}

result<crypto::address> address_field(const json& obj, const char* name) {
  auto text = text_field(obj, name);
  if (!text) return text.error();
  auto a = crypto::parse_address(*text);
  if (!a) return malformed(std::string(name) + ": " + a.error().message);
  return *a;
}

result<crypto::uint256> uint_field(const json& obj, const char* name) {
  auto text = text_field(obj, name);
  if (!text) return text.error();
  auto v = crypto::parse_uint256(*text);
  if (!v) return malformed(std::string(name) + " must be a decimal integer string");
  return *v;
}

// "0x" followed by exactly 2 * N hex digits.
template <std::size_t N>
result<std::array<std::uint8_t, N>> hex_field(const json& obj, const char* name) {
  auto text = text_field(obj, name);
  if (!text) return text.error();
  if (text->size() != 2 + 2 * N || text->compare(0, 2, "0x") != 0)
    return malformed(std::string(name) + " must be 0x and " + std::to_string(2 * N) + " hex digits");
  auto bytes = crypto::from_hex(*text);
  if (!bytes || bytes->size() != N) return malformed(std::string(name) + " is not hex");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

verdict invalid(std::string reason, const crypto::address& payer = {}) { return {false, std::move(reason), payer}; }

}  // namespace

result<payment> decode_payment(std::string_view header_value) {
  auto raw = crypto::base64_decode(header_value);
  if (!raw) return malformed("the header is not standard base64");
  auto body = json::parse(*raw, nullptr, false);
  if (!body.is_object()) return malformed("the header does not hold a JSON object");
  payment p;
  auto version = body.find("x402Version");
  if (version == body.end() || !version->is_number_integer() || (*version != 1 && *version != 2))
    return malformed("x402Version must be 1 or 2");
  p.x402_version = version->get<int>();
  const json* scheme_holder = &body;
  if (p.x402_version == 2) {
    auto accepted = body.find("accepted");
    if (accepted == body.end() || !accepted->is_object()) return malformed("accepted must be an object");
    p.accepted = *accepted;
    scheme_holder = &p.accepted;
  }
  auto scheme = text_field(*scheme_holder, "scheme");
  auto net = text_field(*scheme_holder, "network");
  if (!scheme) return scheme.error();
  if (!net) return net.error();
  p.scheme = *scheme;
  p.network = *net;

  auto payload = body.find("payload");
  if (payload == body.end() || !payload->is_object()) return malformed("payload must be an object");
  auto sig = text_field(*payload, "signature");
  if (!sig) return sig.error();
  if (sig->size() < 2 + 2 * 65 || sig->size() > 2 + 2 * max_signature_bytes || sig->compare(0, 2, "0x") != 0)
    return malformed("signature must be 0x and 130 to " + std::to_string(2 * max_signature_bytes) + " hex digits");
  auto sig_bytes = crypto::from_hex(*sig);
  if (!sig_bytes) return malformed("signature is not hex");
  p.signature = std::move(*sig_bytes);
  auto auth_it = payload->find("authorization");
  if (auth_it == payload->end() || !auth_it->is_object()) return malformed("payload.authorization must be an object");
  const json& a = *auth_it;
  auto from = address_field(a, "from");
  auto to = address_field(a, "to");
  auto value = uint_field(a, "value");
  auto after = uint_field(a, "validAfter");
  auto before = uint_field(a, "validBefore");
  auto nonce = hex_field<32>(a, "nonce");
  for (const failure* f : {from ? nullptr : &from.error(), to ? nullptr : &to.error(), value ? nullptr : &value.error(),
                           after ? nullptr : &after.error(), before ? nullptr : &before.error(),
                           nonce ? nullptr : &nonce.error()})
    if (f) return *f;
  p.auth = {*from, *to, *value, *after, *before, *nonce};
  p.json = std::move(*raw);
  return p;
}

json requirement_v1(const requirement& r) {
  return {{"scheme", "exact"},
          {"network", r.net->name},
          {"maxAmountRequired", crypto::to_decimal(r.amount)},
          {"resource", r.resource},
          {"description", r.description},
          {"mimeType", r.mime_type},
          {"payTo", r.pay_to.checksummed()},
          {"maxTimeoutSeconds", r.max_timeout_seconds},
          {"asset", r.net->usdc.checksummed()},
          {"outputSchema", json::object()},
          {"extra", {{"name", r.net->usdc_name}, {"version", r.net->usdc_version}}}};
}

json requirement_v2(const requirement& r) {
  return {{"scheme", "exact"},
          {"network", r.net->caip2},
          {"amount", crypto::to_decimal(r.amount)},
          {"asset", r.net->usdc.checksummed()},
          {"payTo", r.pay_to.checksummed()},
          {"maxTimeoutSeconds", r.max_timeout_seconds},
          {"extra", {{"name", r.net->usdc_name}, {"version", r.net->usdc_version}}}};
}

crypto::hash256 domain_separator(const network& net) {
  return domain_separator(net.usdc_name, net.usdc_version, net.chain_id, net.usdc);
}

crypto::hash256 domain_separator(const std::string& name, const std::string& version, std::uint64_t chain_id,
                                 const crypto::address& contract) {
  std::uint8_t words[5 * 32];
  std::memcpy(words, domain_typehash().data(), 32);
  auto name_hash = crypto::keccak256(name);
  auto version_hash = crypto::keccak256(version);
  std::memcpy(words + 32, name_hash.data(), 32);
  std::memcpy(words + 64, version_hash.data(), 32);
  put_u64(words + 96, chain_id);
  put_address(words + 128, contract);
  return crypto::keccak256(std::string_view(reinterpret_cast<const char*>(words), sizeof words));
}

crypto::hash256 transfer_digest(const crypto::hash256& domain, const authorization& a) {
  std::uint8_t words[7 * 32];
  std::memcpy(words, transfer_typehash().data(), 32);
  put_address(words + 32, a.from);
  put_address(words + 64, a.to);
  std::memcpy(words + 96, a.value.data(), 32);
  std::memcpy(words + 128, a.valid_after.data(), 32);
  std::memcpy(words + 160, a.valid_before.data(), 32);
  std::memcpy(words + 192, a.nonce.data(), 32);
  auto struct_hash = crypto::keccak256(std::string_view(reinterpret_cast<const char*>(words), sizeof words));
  std::uint8_t outer[2 + 64] = {0x19, 0x01};
  std::memcpy(outer + 2, domain.data(), 32);
  std::memcpy(outer + 34, struct_hash.data(), 32);
  return crypto::keccak256(std::string_view(reinterpret_cast<const char*>(outer), sizeof outer));
}

verdict verify(const payment& p, const requirement& r, std::uint64_t now) {
  const auto& a = p.auth;
  if (p.scheme != "exact") return invalid("unsupported_scheme");
  if (p.network != (p.x402_version == 1 ? r.net->name : r.net->caip2)) return invalid("invalid_network");
  if (p.x402_version == 2 && p.accepted != (r.v2_entry.is_null() ? requirement_v2(r) : r.v2_entry))
    return invalid("invalid_payment_requirements");
  if (a.to.bytes != r.pay_to.bytes) return invalid("invalid_exact_evm_payload_recipient_mismatch");
  if (a.value != r.amount) return invalid("invalid_exact_evm_payload_authorization_value");
  std::uint64_t after = to_u64(a.valid_after), before = to_u64(a.valid_before);
  if (after > now) return invalid("invalid_exact_evm_payload_authorization_valid_after");
  // At least 6 s left to settle (the reference facilitator's rule); at most
  // maxTimeoutSeconds ahead, plus the clock skew allowed, so a payment
  // cannot be held for later (the reference sets no upper bound).
  if (before < now + 6 || before > now + r.max_timeout_seconds + max_clock_skew_secs)
    return invalid("invalid_exact_evm_payload_authorization_valid_before");
  auto contract_check = [&] {
    verdict v = invalid("invalid_exact_evm_payload_signature", a.from);
    v.needs_contract_check = true;
    return v;
  };
  if (p.signature.size() != 65) return contract_check();
  auto sig = crypto::signature::from_bytes(p.signature.data(), p.signature.size());
  if (!sig) return contract_check();
  static thread_local const network* cached_net = nullptr;
  static thread_local crypto::hash256 cached_domain{};
  if (cached_net != r.net) {
    cached_domain = domain_separator(*r.net);
    cached_net = r.net;
  }
  auto signer = crypto::recover_address(transfer_digest(cached_domain, a), *sig);
  if (!signer || signer->bytes != a.from.bytes) return contract_check();
  return {true, "", a.from};
}

namespace {
const std::uint8_t erc6492_magic_byte[2] = {0x64, 0x92};

// The 32-byte ABI word at offset as a length or an offset: fails when it
// does not fit the data.
result<std::size_t> abi_size(const crypto::bytes& data, std::size_t offset) {
  if (offset > data.size() || data.size() - offset < 32) return malformed("ERC-6492 signature: truncated");
  for (std::size_t i = 0; i < 24; ++i)
    if (data[offset + i]) return malformed("ERC-6492 signature: a length out of range");
  std::size_t v = 0;
  for (std::size_t i = 24; i < 32; ++i) v = (v << 8) | data[offset + i];
  if (v > data.size()) return malformed("ERC-6492 signature: a length out of range");
  return v;
}

result<crypto::bytes> abi_bytes(const crypto::bytes& data, std::size_t head_word) {
  auto offset = abi_size(data, head_word);
  if (!offset) return offset.error();
  auto length = abi_size(data, *offset);
  if (!length) return length.error();
  std::size_t start = *offset + 32;
  if (start > data.size() || data.size() - start < *length) return malformed("ERC-6492 signature: truncated bytes");
  return crypto::bytes(data.begin() + static_cast<std::ptrdiff_t>(start),
                       data.begin() + static_cast<std::ptrdiff_t>(start + *length));
}
}  // namespace

bool is_erc6492(const crypto::bytes& signature) {
  if (signature.size() < 32) return false;
  for (std::size_t i = 0; i < 32; ++i)
    if (signature[signature.size() - 32 + i] != erc6492_magic_byte[i % 2]) return false;
  return true;
}

result<erc6492_wrapped> unwrap_erc6492(const crypto::bytes& signature) {
  if (!is_erc6492(signature)) return malformed("not an ERC-6492 signature");
  crypto::bytes body(signature.begin(), signature.end() - 32);
  if (body.size() < 3 * 32) return malformed("ERC-6492 signature: truncated");
  for (std::size_t i = 0; i < 12; ++i)
    if (body[i]) return malformed("ERC-6492 signature: the factory is not an address");
  erc6492_wrapped out;
  std::copy(body.begin() + 12, body.begin() + 32, out.factory.bytes.begin());
  auto calldata = abi_bytes(body, 32);
  if (!calldata) return calldata.error();
  auto inner = abi_bytes(body, 64);
  if (!inner) return inner.error();
  out.factory_calldata = std::move(*calldata);
  out.inner = std::move(*inner);
  return out;
}

}  // namespace hearth::payments
