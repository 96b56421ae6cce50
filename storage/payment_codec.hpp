// Payment records (column "payments"), the replay guard (column "nonces":
// payer || nonce -> payment id, never removed) and the ledger of settled
// receivables (column "ledger"). Every change of a payment is one batch
// together with what must change with it; the single writer of the nonce
// column (the payment registry) makes check-then-claim atomic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/payment.hpp"
#include "messages/result.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

// The id of the payment of (payer, nonce): hex sha256 of the 52 raw bytes.
std::string payment_id(const std::string& payer, const std::string& nonce);

// Whether (payer, nonce) has been claimed before (by any payment, ever).
result<bool> nonce_used(const store& db, const std::string& payer, const std::string& nonce);
// Writes the nonce and the (held) payment in one batch; "payment_replayed"
// when the nonce was already used. Callers serialize calls (one writer).
result<void> claim_payment(store& db, const payment_record& p);
// Writes the payment, keeping the index of held payments in step.
result<void> save_payment(store& db, const payment_record& p);
// Marks it settled and adds its receivable to the ledger, in one batch.
result<void> settle_into_ledger(store& db, const payment_record& settled, const ledger_entry& e);

result<std::optional<payment_record>> load_payment(const store& db, const std::string& id);
result<std::vector<ledger_entry>> list_ledger(const store& db, const std::string& start_after, std::size_t limit);
std::string ledger_key(const ledger_entry& e);

// Payments a previous run left held (their task never finished): marked
// unsettled with the note, all at once. Returns how many.
result<std::size_t> release_interrupted_payments(store& db, const std::string& note, std::int64_t now_ms);
// Held payments, for a registry that resumes them (settle_pending ones too).
result<std::vector<payment_record>> open_payments(const store& db);

}  // namespace hearth::storage
