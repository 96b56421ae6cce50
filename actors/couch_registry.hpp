// Owns the couch's invites and activates its guests. The single writer of
// the invites column: a redeem checks the code and, in one batch, marks the
// invite redeemed and creates the guest (with its token's hash), so of any
// number of concurrent redeems of one code exactly one wins. Guests are
// guest actors activated from storage on demand. Expiry: every sweep the
// registry reads the due entries of the stored deadline index (so deadlines
// survive restarts) and expires those invites and guests.
//
// Messages:
//   (put_atom, invite_request)                     -> invite_record (with its code, shown once)
//   (invites_atom, std::string status, std::string after, std::uint32_t limit) -> std::vector<invite_record>
//   (revoke_atom, invites_atom, std::string id)    -> invite_record
//   (redeem_atom, redeem_request)                  -> guest_record (with its token, shown once)
//   (token_atom, std::string token)                -> guest_record (the guest the token belongs to)
//   (guests_atom, std::string after, std::uint32_t limit) -> std::vector<guest_record>
//   (get_atom, guests_atom, std::string id)        -> guest_record
//   (revoke_atom, guests_atom, std::string id)     -> guest_record (the kill switch)
//   (activate_atom, std::string id, std::string endpoint) -> guest_record
//   (usage_atom, std::string id, guest_usage)      -> guest_record
//   (exec_atom, std::string token, exec_request, exec_stream_type) -> exec_result (a command in the token's environment)
//   (terminal_atom, std::string token, uint32 cols, uint32 rows) -> terminal_type (a shell there)
// Timers: the expiry sweep (sweep_every); a usage sample of every running
// environment (sample_every), which revokes guests past a hard limit.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

#include "actors/guest_actor.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value couch_registry_key = caf::atom("couch");

struct couch_config {
  clock_fn now;  // unix ms
  std::shared_ptr<environment_backend> backend;  // null: guests wait for the host's activate
  std::chrono::milliseconds sweep_every{250};
  std::chrono::milliseconds sample_every{2000};  // environments' usage read and checked
  std::chrono::milliseconds guest_idle{60000};
};

result<caf::actor> spawn_couch_registry(caf::actor_system& sys, storage::store& db, couch_config config);

// "inv_" + 32 hex (128 random bits) and "guest_" + 64 hex (256 bits);
// rng_failure when the random generator fails.
result<std::string> new_invite_code();
result<std::string> new_guest_token();
std::string secret_hash(const std::string& secret);  // hex sha256

}  // namespace hearth::actors
