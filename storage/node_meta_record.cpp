#include "storage/node_meta_record.hpp"

#include "messages/records.capnp.h"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {
constexpr std::string_view node_key = "node";
}

result<std::optional<node_meta>> load_node_meta(const store& db) {
  auto raw = db.get(column::meta, node_key);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<node_meta>{};
  auto decoded = decode_message<NodeMeta>(**raw, [](NodeMeta::Reader r) {
    node_meta m;
    m.schema_version = r.getSchemaVersion();
    m.first_started_at_ms = r.getFirstStartedAtMs();
    m.last_started_at_ms = r.getLastStartedAtMs();
    m.start_count = r.getStartCount();
    m.running = r.getRunning();
    m.last_stopped_at_ms = r.getLastStoppedAtMs();
    m.unclean_stops = r.getUncleanStops();
    m.version = r.getVersion().cStr();
    m.previous_stop_clean = r.getPreviousStopClean();
    return m;
  });
  if (!decoded) return decoded.error();
  return std::optional<node_meta>{std::move(*decoded)};
}

result<void> save_node_meta(store& db, const node_meta& m) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<NodeMeta>();
  b.setSchemaVersion(m.schema_version);
  b.setFirstStartedAtMs(m.first_started_at_ms);
  b.setLastStartedAtMs(m.last_started_at_ms);
  b.setStartCount(m.start_count);
  b.setRunning(m.running);
  b.setLastStoppedAtMs(m.last_stopped_at_ms);
  b.setUncleanStops(m.unclean_stops);
  b.setVersion(m.version);
  b.setPreviousStopClean(m.previous_stop_clean);
  return db.put(column::meta, node_key, encode_message(message));
}

}  // namespace hearth::storage
