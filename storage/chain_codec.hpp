// The settlement outbox (column "chainTxs"): transactions signed by a
// settlement key and not yet confirmed, by (network, sender, nonce) and by
// payment id. Written before broadcast, so a stopped node rebroadcasts the
// same bytes; removed once the receipt is seen.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/chain.hpp"
#include "messages/result.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

result<void> save_chain_tx(store& db, const chain_tx& tx);
result<void> remove_chain_tx(store& db, const chain_tx& tx);
result<std::optional<chain_tx>> chain_tx_of_payment(const store& db, const std::string& payment_id);
// Every outbox entry of the sender on the network, in nonce order.
result<std::vector<chain_tx>> outbox(const store& db, const std::string& network, const std::string& sender);

}  // namespace hearth::storage
