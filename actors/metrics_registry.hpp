// Owns the node's counters for GET /metrics: what the other actors report as
// it happens (a task's ending, a payment verified, refused or settled, a job
// entering a state), added up in memory since the node started (Prometheus
// counters restart with the process), bounded in series. A scrape's answer
// adds the figures read at that moment: the storage's (RocksDB's sizes and
// write stalls) and the process's (resident memory, CPU time, descriptors).
//
// Interface: metrics_registry_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <string>
#include <string_view>

#include "messages/interfaces.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value metrics_registry_key = caf::atom("metrics");

// Past this many distinct series, new ones are dropped (and counted): a
// label taken from the network cannot grow the registry without bound.
constexpr std::size_t max_metric_series = 4096;

// A child of the root supervisor, named in CAF's registry by it.
metrics_registry_type spawn_metrics_registry(caf::actor_system& sys, storage::store* db);

// Reports an event to the node's metrics registry, when it has one.
void count_metric(caf::actor_system& sys, metric_event event);

// A label value as Prometheus's text needs it: `name="value"`, with \, " and
// newlines escaped, cut at 64 bytes.
std::string metric_label(std::string_view name, std::string_view value);

}  // namespace hearth::actors
