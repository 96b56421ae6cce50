// Owns the couch's invites and activates its guests. The single writer of
// the invites column: a redeem checks the code and, in one batch, marks the
// invite redeemed and creates the guest (with its token's hash), so of any
// number of concurrent redeems of one code exactly one wins. Guests are
// guest actors activated from storage on demand. Expiry: every sweep the
// registry reads the due entries of the stored deadline index (so deadlines
// survive restarts) and expires those invites and guests.
//
// Interface: couch_registry_type (messages/interfaces.hpp).
// Timers: the expiry sweep (sweep_every); a usage sample of every running
// environment (sample_every), which revokes guests past a hard limit.
#pragma once

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

result<couch_registry_type> spawn_couch_registry(caf::actor_system& sys, storage::store& db, couch_config config);

// "inv_" + 32 hex (128 random bits) and "guest_" + 64 hex (256 bits);
// rng_failure when the random generator fails.
result<std::string> new_invite_code();
result<std::string> new_guest_token();
std::string secret_hash(const std::string& secret);  // hex sha256

}  // namespace hearth::actors
