#include "actors/node_actor.hpp"

#include "messages/interfaces.hpp"

#include <caf/all.hpp>

#include "messages/clock.hpp"
#include <spdlog/spdlog.h>

#include <chrono>

#include "messages/node.hpp"
#include "storage/node_meta_record.hpp"

namespace hearth::actors {
namespace {

struct node_state {
  storage::store* db = nullptr;
  node_meta meta;
  static inline const char* name = "node_actor";
};

using node_actor = node_actor_type::stateful_pointer<node_state>;

// Loads the stored record and, unless this boot was already recorded, counts
// this start. Returns the record as it now stands on disk.
result<node_meta> activate(storage::store& db, std::int64_t boot_ms, const std::string& version) {
  auto loaded = storage::load_node_meta(db);
  if (!loaded) return loaded.error();
  node_meta meta = loaded->value_or(node_meta{});
  if (loaded->has_value() && meta.last_started_at_ms == boot_ms && meta.running) return meta;
  meta.previous_stop_clean = !meta.running;
  if (meta.running) ++meta.unclean_stops;
  if (meta.start_count == 0) meta.first_started_at_ms = boot_ms;
  ++meta.start_count;
  meta.last_started_at_ms = boot_ms;
  meta.running = true;
  meta.version = version;
  if (auto saved = storage::save_node_meta(db, meta); !saved) return saved.error();
  return meta;
}

node_actor_type::behavior_type node_behavior(node_actor self, storage::store* db, node_meta meta) {
  self->state.db = db;
  self->state.meta = std::move(meta);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown) {
      auto& m = self->state.meta;
      m.running = false;
      m.last_stopped_at_ms = unix_ms();
      if (auto saved = storage::save_node_meta(*self->state.db, m); !saved)
        spdlog::error("node record: clean stop not saved: {}", saved.error().message);
    }
    self->quit(msg.reason);
  });
  return {
      [self](get_atom) { return self->state.meta; },
  };
}

}  // namespace

result<caf::actor> spawn_node_actor(caf::actor_system& sys, storage::store& db, std::int64_t boot_ms,
                                    std::string version) {
  auto meta = activate(db, boot_ms, version);
  if (!meta) return fail(meta.error().code, "node record: " + meta.error().message);
  if (!meta->previous_stop_clean)
    spdlog::warn("the previous run did not stop cleanly (unclean stops so far: {})", meta->unclean_stops);
  return caf::actor_cast<caf::actor>(sys.spawn(node_behavior, &db, std::move(*meta)));
}

}  // namespace hearth::actors
