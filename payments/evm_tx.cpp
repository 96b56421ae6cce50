#include "payments/evm_tx.hpp"

#include "crypto/keccak.hpp"
#include "payments/rlp.hpp"

namespace hearth::payments {
namespace {

std::vector<crypto::bytes> unsigned_fields(const eip1559_tx& tx) {
  return {rlp::encode_uint(tx.chain_id),
          rlp::encode_uint(tx.nonce),
          rlp::encode_uint(tx.max_priority_fee),
          rlp::encode_uint(tx.max_fee),
          rlp::encode_uint(tx.gas_limit),
          rlp::encode_string(tx.to.bytes.data(), tx.to.bytes.size()),
          rlp::encode_uint(tx.value),
          rlp::encode_string(tx.data),
          rlp::encode_list({})};
}

crypto::bytes envelope(const std::vector<crypto::bytes>& fields) {
  crypto::bytes out{0x02};
  auto list = rlp::encode_list(fields);
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

}  // namespace

crypto::hash256 signing_hash(const eip1559_tx& tx) { return crypto::keccak256(envelope(unsigned_fields(tx))); }

signed_tx sign(const eip1559_tx& tx, const crypto::private_key& key) {
  auto fields = unsigned_fields(tx);
  auto sig = key.sign_digest(crypto::keccak256(envelope(fields)));
  fields.push_back(rlp::encode_uint(static_cast<std::uint64_t>(sig.v - 27)));  // yParity 0/1
  fields.push_back(rlp::encode_uint(sig.r));
  fields.push_back(rlp::encode_uint(sig.s));
  signed_tx out;
  out.raw = envelope(fields);
  out.hash = crypto::keccak256(out.raw);
  return out;
}

}  // namespace hearth::payments
