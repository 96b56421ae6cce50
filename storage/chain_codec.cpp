#include "storage/chain_codec.hpp"

#include <cstdio>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "messages/records.capnp.h"
#include "storage/address_bytes.hpp"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {

std::string sender_prefix(const std::string& network, const std::string& sender) {
  return "o/" + network + "/" + crypto::to_hex(address_raw(sender)) + "/";
}

std::string outbox_key(const chain_tx& tx) {
  char nonce[24];
  std::snprintf(nonce, sizeof nonce, "%020llu", static_cast<unsigned long long>(tx.nonce));
  return sender_prefix(tx.network, tx.sender) + nonce;
}

std::string encode(const chain_tx& tx) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredChainTx>();
  b.setPaymentId(tx.payment_id);
  b.setNetwork(tx.network);
  b.setSender(data_of(address_raw(tx.sender)));
  b.setNonce(tx.nonce);
  b.setHash(data_of(raw_of_hex(tx.hash)));
  b.setRaw(data_of(tx.raw));
  b.setSentAtMs(tx.sent_at_ms);
  b.setAuthorizer(data_of(address_raw(tx.authorizer)));
  b.setAuthNonce(data_of(raw_of_hex(tx.auth_nonce)));
  return encode_message(message);
}

result<chain_tx> decode(const std::string& raw) {
  return decode_message<StoredChainTx>(raw, [](StoredChainTx::Reader r) {
    chain_tx tx;
    tx.payment_id = r.getPaymentId().cStr();
    tx.network = r.getNetwork().cStr();
    tx.sender = address_text(bytes_of(r.getSender()));
    tx.nonce = r.getNonce();
    tx.hash = "0x" + crypto::to_hex(std::string_view(bytes_of(r.getHash())));
    tx.raw = bytes_of(r.getRaw());
    tx.sent_at_ms = r.getSentAtMs();
    tx.authorizer = address_text(bytes_of(r.getAuthorizer()));
    tx.auth_nonce = "0x" + crypto::to_hex(std::string_view(bytes_of(r.getAuthNonce())));
    return tx;
  });
}

}  // namespace

result<void> save_chain_tx(store& db, const chain_tx& tx) {
  write_batch batch;
  std::string key = outbox_key(tx);
  batch.put(column::chain_txs, key, encode(tx));
  batch.put(column::chain_txs, "p/" + tx.payment_id, key);
  return db.write(batch);
}

result<void> remove_chain_tx(store& db, const chain_tx& tx) {
  write_batch batch;
  batch.erase(column::chain_txs, outbox_key(tx));
  batch.erase(column::chain_txs, "p/" + tx.payment_id);
  return db.write(batch);
}

result<std::optional<chain_tx>> chain_tx_of_payment(const store& db, const std::string& payment_id) {
  auto key = db.get(column::chain_txs, "p/" + payment_id);
  if (!key) return key.error();
  if (!*key) return std::optional<chain_tx>{};
  auto raw = db.get(column::chain_txs, **key);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<chain_tx>{};
  auto tx = decode(**raw);
  if (!tx) return tx.error();
  return std::optional<chain_tx>{std::move(*tx)};
}

result<std::vector<chain_tx>> outbox(const store& db, const std::string& network, const std::string& sender) {
  auto rows = db.scan(column::chain_txs, sender_prefix(network, sender), "", 100000);
  if (!rows) return rows.error();
  std::vector<chain_tx> out;
  for (const auto& [key, value] : *rows) {
    auto tx = decode(value);
    if (!tx) return tx.error();
    out.push_back(std::move(*tx));
  }
  return out;
}

}  // namespace hearth::storage
