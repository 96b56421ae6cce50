// Owns the set of offers: validates and stores uploads (offer record in
// RocksDB, executable in the blob store), lists them from storage, and
// activates one offer actor per offer on demand. An offer actor holds its
// verified offer and passivates after idle_timeout to twice that without
// use (an idle check each period); the registry forgets it
// when it goes, so live actors track recent use, not the number of offers.
// Offer actors are linked to the registry and stop when it stops.
// An upload stores the variant of the executable for this node's
// architecture: the bytes sent, or fetched from the variant's https URL by
// a detached fetcher (size-bounded, sha256 checked before it is stored).
// Private uploads store an offer's secret env or stdin sealed
// (actors/private_inputs).
//
// Interface: offer_registry_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "actors/offer_validation.hpp"
#include "crypto/sealed_box.hpp"
#include "messages/interfaces.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
class blob_store;
}  // namespace hearth::storage

namespace hearth::actors {

inline const caf::atom_value offer_registry_key = caf::atom("offers");

// Fetches url (https) into memory, at most max_bytes: the node's outbound
// client, injected (the actor layer has no HTTP client of its own).
using executable_fetch = std::function<result<std::string>(const std::string& url, std::uint64_t max_bytes)>;

struct offer_registry_config {
  offer_policy policy;  // now is filled in per upload
  std::chrono::milliseconds idle_timeout{60000};
  executable_fetch fetch;  // empty: executables are uploaded only
  std::shared_ptr<const crypto::sealing_key> sealing;  // for private inputs; null: refused
};

result<offer_registry_type> spawn_offer_registry(caf::actor_system& sys, storage::store& db,
                                                 storage::blob_store& blobs, offer_registry_config config);

}  // namespace hearth::actors
