// Offers in their signed form: the canonical Cap'n Proto encoding (whose
// sha256 is the offer hash), and the StoredOffer records in column "offers".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/offer.hpp"
#include "messages/result.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

std::string canonical_offer(const offer& o);
// Rejects bytes that are malformed or not in canonical form.
result<offer> decode_canonical_offer(const std::string& bytes);
// An upload: also refused unless the bytes are exactly the canonical form
// of what this node reads from them (no value it would read otherwise, no
// field it does not know), so one offer has one hash.
result<offer> decode_uploaded_offer(const std::string& bytes);

result<void> save_offer(store& db, const stored_offer& o);
result<std::optional<stored_offer>> load_offer(const store& db, const std::string& hash_hex);
// Offers after start_after (a hash), in hash order.
result<std::vector<stored_offer>> list_offers(const store& db, const std::string& start_after, std::size_t limit);

}  // namespace hearth::storage
