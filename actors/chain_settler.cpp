#include "actors/chain_settler.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>

#include "crypto/base64.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "payments/evm_tx.hpp"
#include "payments/exact_evm.hpp"
#include "payments/usdc_calls.hpp"
#include "storage/chain_codec.hpp"

namespace hearth::actors {
namespace {

using u128 = unsigned __int128;
constexpr auto rebroadcast_after_ms = 3000;
// Fees are read again after this long: maxFee = 2 x base + tip leaves room
// for the base fee to rise (12.5% a block at most) meanwhile.
constexpr std::int64_t fees_valid_ms = 2000;

struct chain_settler_state {
  storage::store* db = nullptr;
  std::shared_ptr<chain_settler_settings> settings;
  std::unique_ptr<payments::chain_client> chain;
  std::string sender;  // EIP-55
  std::optional<std::uint64_t> next_nonce;
  std::uint64_t base_fee = 0, tip = 0;
  std::int64_t fees_read_ms = 0;
  bool chain_checked = false;
  std::uint64_t settled = 0;
  u128 total_gas_cost = 0;
  std::string last_gas_cost;
  std::map<std::string, std::int64_t> queued;  // payment id -> its settlement pass (unix ms)
  std::string last_error;
  static inline const char* name = "chain_settler";
};
using settler = chain_settler_type::stateful_pointer<chain_settler_state>;

std::uint64_t low64(const crypto::uint256& v) {
  std::uint64_t out = 0;
  for (int i = 24; i < 32; ++i) out = (out << 8) | v[i];
  return out;
}

crypto::uint256 from_u128(u128 v) {
  crypto::uint256 out{};
  for (int i = 31; v; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v & 0xff);
  return out;
}

std::string decimal(u128 v) { return crypto::to_decimal(from_u128(v)); }

// The first settle checks the endpoint serves the network's chain.
result<void> check_chain(chain_settler_state& st) {
  if (st.chain_checked) return {};
  auto id = st.chain->chain_id();
  if (!id) return id.error();
  if (*id != st.settings->net->chain_id)
    return fail(chain_errc::chain_id_mismatch, "the RPC endpoint of " + st.settings->net->caip2 + " serves chain " +
                                                   std::to_string(*id) + ", not " + std::to_string(st.settings->net->chain_id));
  st.chain_checked = true;
  return {};
}

result<std::uint64_t> allocate_nonce(chain_settler_state& st) {
  if (!st.next_nonce) {
    auto pending = st.chain->transaction_count(st.settings->key.to_address(), "pending");
    if (!pending) return pending.error();
    std::uint64_t next = *pending;
    auto queued = storage::outbox(*st.db, st.settings->net->caip2, st.sender);
    if (!queued) return queued.error();
    for (const auto& tx : *queued) next = std::max(next, tx.nonce + 1);
    st.next_nonce = next;
  }
  return (*st.next_nonce)++;
}

// The latest base fee and the priority fee, read at most every fees_valid_ms.
result<void> refresh_fees(chain_settler_state& st) {
  if (st.fees_read_ms && unix_ms() - st.fees_read_ms < fees_valid_ms) return {};
  auto base = st.chain->base_fee();
  if (!base) return base.error();
  auto tip = st.chain->max_priority_fee();
  if (!tip) return tip.error();
  if (crypto::bit_length(*base) > 64 || crypto::bit_length(*tip) > 64)
    return fail(chain_errc::chain_rpc_error, "the chain's fees exceed 64 bits");
  st.base_fee = low64(*base);
  st.tip = low64(*tip);
  st.fees_read_ms = unix_ms();
  return {};
}

// A send the chain refused: the nonce was not used. Given back when it was
// the last one handed out; otherwise counted again from the chain.
void give_back(chain_settler_state& st, std::uint64_t nonce) {
  if (st.next_nonce && *st.next_nonce == nonce + 1) st.next_nonce = nonce;
  else st.next_nonce.reset();
}

result<payments::payment> decoded(const payment_record& p) {
  return payments::decode_payment(crypto::base64_encode(p.payload));
}

// eth_estimateGas of the transfer: a used, cancelled or expired
// authorization, a payer without the balance, or a signature the payer (an
// EOA, or a wallet contract through EIP-1271) does not stand behind, is
// authorization_refused. A wallet not deployed yet (ERC-6492) is refused
// too: the node deploys no one's wallet with its gas money.
result<std::uint64_t> simulate(chain_settler_state& st, const payments::payment& pay) {
  if (auto ok = check_chain(st); !ok) return ok.error();
  if (payments::is_erc6492(pay.signature)) {
    auto deployed = st.chain->has_code(pay.auth.from);
    if (!deployed) return deployed.error();
    if (!*deployed)
      return fail(chain_errc::authorization_refused,
                  "eip6492_factory_not_allowed: the payer's wallet is not deployed, and this node deploys no wallets");
  }
  auto data = payments::transfer_call(pay.auth, pay.signature);
  return st.chain->estimate_gas(st.settings->key.to_address(), st.settings->net->usdc, data);
}

result<chain_submission> submit(settler self, const payment_record& p) {
  auto& st = self->state;
  st.queued.erase(p.id);
  auto existing = storage::chain_tx_of_payment(*st.db, p.id);
  if (!existing) return existing.error();
  if (*existing) return chain_submission{(*existing)->hash, (*existing)->nonce};
  auto pay = decoded(p);
  if (!pay) return pay.error();
  const auto& net = *st.settings->net;
  auto gas = simulate(st, *pay);
  if (!gas) return gas.error();
  auto data = payments::transfer_call(pay->auth, pay->signature);
  if (auto ok = refresh_fees(st); !ok) return ok.error();
  payments::eip1559_tx tx;
  tx.chain_id = net.chain_id;
  tx.max_priority_fee = from_u128(st.tip);
  tx.max_fee = from_u128(u128(st.base_fee) * 2 + st.tip);
  tx.gas_limit = *gas + *gas / 4 + 5000;  // estimates run short under load: a margin
  tx.to = net.usdc;
  tx.data = std::move(data);
  for (int attempt = 0;; ++attempt) {
    auto nonce = allocate_nonce(st);
    if (!nonce) return nonce.error();
    tx.nonce = *nonce;
    auto signed_tx = payments::sign(tx, st.settings->key);
    chain_tx out;
    out.payment_id = p.id;
    out.network = net.caip2;
    out.sender = st.sender;
    out.nonce = tx.nonce;
    out.hash = crypto::to_0x(signed_tx.hash);
    out.raw.assign(signed_tx.raw.begin(), signed_tx.raw.end());
    out.sent_at_ms = unix_ms();
    out.authorizer = p.payer;
    out.auth_nonce = p.nonce;
    if (auto ok = storage::save_chain_tx(*st.db, out); !ok) {
      give_back(st, tx.nonce);
      return ok.error();
    }
    auto sent = st.chain->send_raw(signed_tx.raw);
    if (sent || payments::is_already_known(sent.error())) {
      spdlog::info("settlement sent payment={} tx={} nonce={} network={}", p.id, out.hash, out.nonce, net.caip2);
      return chain_submission{out.hash, out.nonce};
    }
    // Lost on the way: it is stored, and confirm sends the same bytes again.
    if (sent.error().code == chain_errc::chain_unavailable) {
      spdlog::warn("settlement of payment {} sent without answer (tx {}); it will be sent again: {}", p.id, out.hash,
                   sent.error().message);
      return chain_submission{out.hash, out.nonce};
    }
    (void)storage::remove_chain_tx(*st.db, out);
    st.fees_read_ms = 0;  // a fee too low, say: read them again next time
    if (payments::is_nonce_too_low(sent.error()) && attempt < 3) {
      st.next_nonce.reset();  // something else sent with this key: count again
      continue;
    }
    give_back(st, tx.nonce);
    return sent.error();
  }
}

bool logs_authorization(const payments::chain_receipt& r, const payments::network& net, const chain_tx& tx) {
  auto authorizer = crypto::parse_address(tx.authorizer);
  auto nonce = crypto::from_hex_fixed<32>(tx.auth_nonce);
  if (!authorizer || !nonce) return false;
  for (const auto& log : r.logs)
    if (log.contract == net.usdc && log.topics.size() == 3 && log.topics[0] == payments::authorization_used_topic() &&
        log.topics[1] == payments::address_word(*authorizer) && log.topics[2] == *nonce)
      return true;
  return false;
}

result<chain_confirmation> confirm(settler self, const std::string& payment_id, const std::string& hash_text) {
  auto& st = self->state;
  auto hash = crypto::from_hex_fixed<32>(hash_text);
  if (!hash) return fail(chain_errc::chain_rpc_error, "not a transaction hash: " + hash_text);
  auto stored = storage::chain_tx_of_payment(*st.db, payment_id);
  if (!stored) return stored.error();
  std::optional<chain_tx> tx;
  if (*stored && (*stored)->hash == hash_text) tx = **stored;
  auto receipt = st.chain->receipt(*hash);
  if (!receipt) return receipt.error();
  chain_confirmation out;
  if (!*receipt) {
    if (!tx || unix_ms() - tx->sent_at_ms < rebroadcast_after_ms) return out;
    auto known = st.chain->transaction_known(*hash);
    if (!known) return known.error();
    if (*known) return out;
    crypto::bytes raw(tx->raw.begin(), tx->raw.end());
    auto sent = st.chain->send_raw(raw);
    if (sent || payments::is_already_known(sent.error())) {
      spdlog::info("settlement rebroadcast payment={} tx={} nonce={}", payment_id, hash_text, tx->nonce);
      return out;
    }
    if (payments::is_nonce_too_low(sent.error())) {
      // The nonce went to another transaction: this one can never be mined.
      (void)storage::remove_chain_tx(*st.db, *tx);
      st.next_nonce.reset();
      out.dropped = true;
      out.reason = "the transaction's nonce was used by another transaction";
      return out;
    }
    return sent.error();
  }
  const auto& r = **receipt;
  out.mined = true;
  out.block_number = r.block_number;
  out.gas_used = r.gas_used;
  out.gas_price = crypto::to_decimal(r.effective_gas_price);
  out.success = r.status && (!tx || logs_authorization(r, *st.settings->net, *tx));
  if (!r.status) out.reason = "the transaction reverted (status 0)";
  else if (!out.success) out.reason = "the transaction logged no AuthorizationUsed for this payment";
  if (tx) (void)storage::remove_chain_tx(*st.db, *tx);
  if (out.success) {
    ++st.settled;
    u128 cost = u128(r.gas_used) * low64(r.effective_gas_price);
    st.total_gas_cost += cost;
    st.last_gas_cost = decimal(cost);
  }
  return out;
}

chain_settler_type::behavior_type settler_behavior(settler self, storage::store* db,
                                                   std::shared_ptr<chain_settler_settings> settings) {
  auto& st = self->state;
  st.db = db;
  st.settings = settings;
  st.chain = std::make_unique<payments::chain_client>(settings->rpc);
  st.sender = settings->key.to_address().checksummed();
  auto noted = [self](auto r) {
    if (!r) self->state.last_error = r.error().message;
    else self->state.last_error.clear();
    return r;
  };
  return {
      [self, noted](simulate_atom, const payment_record& p) -> caf::result<bool> {
        auto pay = decoded(p);
        if (!pay) return to_error(pay.error());
        auto r = noted(simulate(self->state, *pay));
        if (!r) return to_error(r.error());
        return true;
      },
      [self, noted](settle_atom, const payment_record& p) -> caf::result<chain_submission> {
        auto r = noted(submit(self, p));
        if (!r) return to_error(r.error());
        return *r;
      },
      [self, noted](confirm_atom, const std::string& payment_id, const std::string& hash) -> caf::result<chain_confirmation> {
        auto r = noted(confirm(self, payment_id, hash));
        if (!r) return to_error(r.error());
        return *r;
      },
      [self](batch_atom, const std::string& payment_id, std::int64_t pass_at_ms) {
        self->state.queued[payment_id] = pass_at_ms;
      },
      [self](get_atom) -> chain_status {
        auto& st = self->state;
        chain_status s;
        s.network = st.settings->net->caip2;
        s.sender = st.sender;
        s.settled = st.settled;
        s.last_gas_cost_wei = st.last_gas_cost;
        if (st.settled) s.average_gas_cost_wei = decimal(st.total_gas_cost / st.settled);
        s.queued = st.queued.size();
        for (const auto& [id, at] : st.queued) s.next_pass_ms = s.next_pass_ms ? std::min(s.next_pass_ms, at) : at;
        s.error = st.last_error;
        if (auto q = storage::outbox(*st.db, s.network, st.sender); q) s.pending = q->size();
        auto balance = st.chain->balance(st.settings->key.to_address());
        if (balance) {
          s.balance_wei = crypto::to_decimal(*balance);
          s.low_balance = crypto::bit_length(*balance) <= 64 && low64(*balance) < st.settings->low_balance_wei;
        } else {
          s.error = balance.error().message;
        }
        return s;
      },
  };
}

}  // namespace

chain_settler_type spawn_chain_settler(caf::actor_system& sys, storage::store& db, chain_settler_settings settings) {
  return sys.spawn<caf::detached>(settler_behavior, &db, std::make_shared<chain_settler_settings>(std::move(settings)));
}

}  // namespace hearth::actors
