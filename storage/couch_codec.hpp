// Couch invites (column "invites": "i/<id>" records, "c/<code hash>" -> id)
// and guests (column "guests": "g/<id>" records, "t/<token hash>" -> id),
// and the deadline index that makes expiry survive restarts (column meta:
// "deadline/<ms>/<i|g>/<id>" for every active invite and live guest, kept
// in the same batch as the record). Codes and tokens are stored only as hashes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/couch.hpp"
#include "messages/result.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

result<void> create_invite(store& db, const invite_record& inv);
result<void> save_invite(store& db, const invite_record& inv);
result<std::optional<invite_record>> load_invite(const store& db, const std::string& id);
result<std::optional<invite_record>> find_invite_by_code(const store& db, const std::string& code_hash);
result<std::vector<invite_record>> list_invites(const store& db, const std::string& after_id, std::size_t limit);

// The redeemed invite and its new guest (with its token index), one batch.
result<void> redeem_invite(store& db, const invite_record& redeemed, const guest_record& guest);
result<void> save_guest(store& db, const guest_record& g);
result<std::optional<guest_record>> load_guest(const store& db, const std::string& id);
result<std::optional<guest_record>> find_guest_by_token(const store& db, const std::string& token_hash);
result<std::vector<guest_record>> list_guests(const store& db, const std::string& after_id, std::size_t limit);

struct deadline {
  std::int64_t at_ms = 0;
  char kind = 'i';  // 'i' invite, 'g' guest
  std::string id;
};
// Deadlines at or before now_ms, earliest first, at most limit.
result<std::vector<deadline>> due_deadlines(const store& db, std::int64_t now_ms, std::size_t limit);

}  // namespace hearth::storage
