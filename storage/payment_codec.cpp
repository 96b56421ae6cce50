#include "storage/payment_codec.hpp"

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "crypto/sha256.hpp"
#include "messages/records.capnp.h"
#include "storage/address_bytes.hpp"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {

const std::string open_prefix = "payment-open/";  // column meta: held or settle_pending payments

std::string nonce_key(const std::string& payer, const std::string& nonce) {
  return address_raw(payer) + raw_of_hex(nonce);
}

bool is_open(payment_state s) { return s == payment_state::held || s == payment_state::settle_pending; }

std::string encode_payment(const payment_record& p) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredPayment>();
  b.setId(p.id);
  b.setPayer(data_of(address_raw(p.payer)));
  b.setPayTo(data_of(address_raw(p.pay_to)));
  b.setNetwork(p.network);
  b.setAsset(data_of(address_raw(p.asset)));
  b.setAmount(p.amount);
  std::string nonce = raw_of_hex(p.nonce);
  b.setNonce(data_of(nonce));
  b.setValidBefore(p.valid_before);
  b.setX402Version(p.x402_version);
  b.setState(static_cast<PaymentState>(p.state));
  b.setOfferHash(p.offer_hash);
  b.setTaskId(p.task_id);
  b.setResource(p.resource);
  b.setCreatedAtMs(p.created_at_ms);
  b.setUpdatedAtMs(p.updated_at_ms);
  b.setTransaction(p.transaction);
  b.setNote(p.note);
  b.setPayload(p.payload);
  b.setRequirement(p.requirement);
  b.setLedgerEntry(p.ledger_entry);
  b.setBlockNumber(p.block_number);
  b.setGasUsed(p.gas_used);
  b.setGasPrice(p.gas_price);
  return encode_message(message);
}

result<payment_record> decode_payment(const std::string& raw) {
  return decode_message<StoredPayment>(raw, [](StoredPayment::Reader r) {
    payment_record p;
    p.id = r.getId().cStr();
    p.payer = address_text(bytes_of(r.getPayer()));
    p.pay_to = address_text(bytes_of(r.getPayTo()));
    p.network = r.getNetwork().cStr();
    p.asset = address_text(bytes_of(r.getAsset()));
    p.amount = r.getAmount().cStr();
    p.nonce = "0x" + crypto::to_hex(std::string_view(bytes_of(r.getNonce())));
    p.valid_before = r.getValidBefore();
    p.x402_version = r.getX402Version();
    p.state = static_cast<payment_state>(r.getState());
    p.offer_hash = r.getOfferHash().cStr();
    p.task_id = r.getTaskId().cStr();
    p.resource = r.getResource().cStr();
    p.created_at_ms = r.getCreatedAtMs();
    p.updated_at_ms = r.getUpdatedAtMs();
    p.transaction = r.getTransaction().cStr();
    p.note = r.getNote().cStr();
    p.payload = r.getPayload().cStr();
    p.requirement = r.getRequirement().cStr();
    p.ledger_entry = r.getLedgerEntry().cStr();
    p.block_number = r.getBlockNumber();
    p.gas_used = r.getGasUsed();
    p.gas_price = r.getGasPrice().cStr();
    return p;
  });
}

void put_payment(write_batch& batch, const payment_record& p) {
  batch.put(column::payments, p.id, encode_payment(p));
  if (is_open(p.state)) batch.put(column::meta, open_prefix + p.id, "");
  else batch.erase(column::meta, open_prefix + p.id);
}

result<ledger_entry> decode_ledger(const std::string& raw) {
  return decode_message<LedgerEntry>(raw, [](LedgerEntry::Reader r) {
    ledger_entry e;
    e.payment_id = r.getPaymentId().cStr();
    e.payer = address_text(bytes_of(r.getPayer()));
    e.network = r.getNetwork().cStr();
    e.asset = address_text(bytes_of(r.getAsset()));
    e.amount = r.getAmount().cStr();
    e.settled_at_ms = r.getSettledAtMs();
    e.offer_hash = r.getOfferHash().cStr();
    e.task_id = r.getTaskId().cStr();
    if (r.hasPayTo()) e.pay_to = address_text(bytes_of(r.getPayTo()));
    e.transaction = r.getTransaction().cStr();
    return e;
  });
}

}  // namespace

std::string payment_id(const std::string& payer, const std::string& nonce) {
  return crypto::to_hex(crypto::sha256(nonce_key(payer, nonce)));
}

result<bool> nonce_used(const store& db, const std::string& payer, const std::string& nonce) {
  auto v = db.get(column::nonces, nonce_key(payer, nonce));
  if (!v) return v.error();
  return v->has_value();
}

result<void> claim_payment(store& db, const payment_record& p) {
  auto used = nonce_used(db, p.payer, p.nonce);
  if (!used) return used.error();
  if (*used) return fail(payment_errc::payment_replayed, "this payment's nonce has already been used");
  write_batch batch;
  batch.put(column::nonces, nonce_key(p.payer, p.nonce), p.id);
  put_payment(batch, p);
  return db.write(batch);
}

result<void> save_payment(store& db, const payment_record& p) {
  write_batch batch;
  put_payment(batch, p);
  return db.write(batch);
}

std::string ledger_key(const ledger_entry& e) {
  return crypto::to_hex(std::string_view(address_raw(e.payer))) + "/" + e.network + "/" + e.payment_id;
}

result<void> settle_into_ledger(store& db, const payment_record& settled, const ledger_entry& e) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<LedgerEntry>();
  b.setPaymentId(e.payment_id);
  b.setPayer(data_of(address_raw(e.payer)));
  b.setNetwork(e.network);
  b.setAsset(data_of(address_raw(e.asset)));
  b.setAmount(e.amount);
  b.setSettledAtMs(e.settled_at_ms);
  b.setOfferHash(e.offer_hash);
  b.setTaskId(e.task_id);
  b.setPayTo(data_of(address_raw(e.pay_to)));
  b.setTransaction(e.transaction);
  write_batch batch;
  put_payment(batch, settled);
  batch.put(column::ledger, ledger_key(e), encode_message(message));
  return db.write(batch);
}

result<std::optional<payment_record>> load_payment(const store& db, const std::string& id) {
  return load_record<payment_record>(db, column::payments, id,
                                     [](const std::string&, const std::string& raw) { return decode_payment(raw); });
}

result<std::vector<ledger_entry>> list_ledger(const store& db, const std::string& start_after, std::size_t limit) {
  return list_records<ledger_entry>(db, column::ledger, start_after, limit,
                                    [](const std::string&, const std::string& raw) { return decode_ledger(raw); });
}

result<std::vector<payment_record>> open_payments(const store& db) {
  std::vector<payment_record> out;
  std::string after;
  for (;;) {
    auto markers = db.scan(column::meta, open_prefix, after, 256);
    if (!markers) return markers.error();
    if (markers->empty()) return out;
    for (auto& [key, unused] : *markers) {
      auto p = load_payment(db, key.substr(open_prefix.size()));
      if (!p) return p.error();
      if (*p) out.push_back(std::move(**p));
    }
    after = markers->back().first;
  }
}

result<std::size_t> release_interrupted_payments(store& db, const std::string& note, std::int64_t now_ms) {
  auto open = open_payments(db);
  if (!open) return open.error();
  std::size_t count = 0;
  write_batch batch;
  for (auto& p : *open) {
    if (p.state != payment_state::held) continue;
    p.state = payment_state::unsettled;
    p.note = note;
    p.updated_at_ms = now_ms;
    put_payment(batch, p);
    ++count;
  }
  if (!batch.empty())
    if (auto ok = db.write(batch); !ok) return ok.error();
  return count;
}

}  // namespace hearth::storage
