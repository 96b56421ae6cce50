// Messages about the node itself: its stored meta record, the supervisor's
// view of its children, and the atoms that ask for them.
#pragma once

#include <caf/atom.hpp>

#include "messages/atoms.hpp"
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth {


// Mirrors messages/records.capnp NodeMeta.
struct node_meta {
  std::uint32_t schema_version = 1;
  std::int64_t first_started_at_ms = 0;
  std::int64_t last_started_at_ms = 0;
  std::uint64_t start_count = 0;
  bool running = false;
  std::int64_t last_stopped_at_ms = 0;
  std::uint64_t unclean_stops = 0;
  std::string version;
  bool previous_stop_clean = true;  // how the run before this one ended
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_meta& x) {
  return f(caf::meta::type_name("node_meta"), x.schema_version, x.first_started_at_ms, x.last_started_at_ms,
           x.start_count, x.running, x.last_stopped_at_ms, x.unclean_stops, x.version, x.previous_stop_clean);
}

struct child_status {
  std::string name;
  bool alive = false;
  std::uint32_t restarts = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.name, x.alive, x.restarts);
}

struct supervisor_report {
  std::vector<child_status> children;
  std::uint64_t running_actors = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_report& x) {
  return f(caf::meta::type_name("supervisor_report"), x.children, x.running_actors);
}

}  // namespace hearth
