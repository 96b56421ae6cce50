// Owns the operator's pools (os402's free tier): each has a capacity of
// calls per period (`--pool free=100/1h`) or of runs at once (`--pool
// trial=2`). A call of an offer naming a pool is free while the pool has
// room, and pays the offer's price when it is full. Runs at once are held
// by the calling actor: the ledger monitors it and gives the room back when
// it ends, however it ends. Periods are fixed windows of unix time; the
// counts are the node's memory (a restart starts a fresh period).
//
// Interface: pool_ledger_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <string>
#include <vector>

#include "messages/interfaces.hpp"
#include "messages/result.hpp"

namespace hearth::actors {

inline const caf::atom_value pool_ledger_key = caf::atom("pools");

struct pool_config {
  std::string name;
  std::uint64_t capacity = 0;
  std::uint64_t period_secs = 0;  // 0: runs at once
};

// NAME=N (runs at once) or NAME=N/PERIOD (calls per period: 30s, 1h, 1d, ...),
// comma-separated; names of [a-z0-9_-], each once.
result<std::vector<pool_config>> parse_pools(const std::string& spec);

pool_ledger_type spawn_pool_ledger(caf::actor_system& sys, std::vector<pool_config> pools);

}  // namespace hearth::actors
