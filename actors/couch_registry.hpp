// Owns the couch's invites and activates its guests. The single writer of
// the invites column: a redeem checks the code and, in one batch, marks the
// invite redeemed and creates the guest (with its token's hash), so of any
// number of concurrent redeems of one code exactly one wins. Guests are
// guest actors activated from storage on demand. Expiry: every sweep the
// registry reads the due entries of the stored deadline index (so deadlines
// survive restarts) and expires those invites and guests.
// In a cluster a guest's record stays here, on the node that made its
// invite (the host's views, kill switch and expiry work as on one node),
// and its environment is placed on a member with room (pick_guest_home):
// its home, named in the record, whose environment host builds and runs it.
//
// Interface: couch_registry_type (messages/interfaces.hpp).
// Timers: the expiry sweep (sweep_every); a usage sample of every running
// environment (sample_every), which revokes guests past a hard limit.
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <vector>

#include "actors/guest_actor.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value couch_registry_key = caf::atom("couch");

struct couch_config {
  clock_fn now;  // unix ms
  bool environments = false;  // built by this node's environment host; false: guests wait for the host's activate
  std::string node_name;               // in a cluster: guests placed here name it as their home
  std::chrono::milliseconds sweep_every{250};
  std::chrono::milliseconds sample_every{2000};  // environments' usage read and checked
  std::chrono::milliseconds guest_idle{60000};
};

// A redeemed guest's home among the cluster's members (this node's entry
// has state "self"): this node when its environment host has need_mb left,
// else the live member with the most room that has it, else this node.
std::string pick_guest_home(const std::vector<member_info>& members, std::uint64_t need_mb);

result<couch_registry_type> spawn_couch_registry(caf::actor_system& sys, storage::store& db, couch_config config);

// "inv_" + 32 hex (128 random bits) and "guest_" + 64 hex (256 bits);
// rng_failure when the random generator fails.
result<std::string> new_invite_code();
result<std::string> new_guest_token();
std::string secret_hash(const std::string& secret);  // hex sha256

}  // namespace hearth::actors
