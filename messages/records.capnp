# Records hearth stores in RocksDB. Field ordinals are wire/disk numbers:
# never renumber or reuse them; retire a field by leaving its number unused.
@0xec2f989b2895c568;

struct NodeMeta {
  # The node's own record (column "meta", key "node"): written at every start
  # and at every clean stop, so the next start knows how the last one ended.
  schemaVersion @0 :UInt32;
  firstStartedAtMs @1 :Int64;
  lastStartedAtMs @2 :Int64;
  startCount @3 :UInt64;
  running @4 :Bool;          # true from start until a clean stop is written
  lastStoppedAtMs @5 :Int64;
  uncleanStops @6 :UInt64;   # starts that found running = true
  version @7 :Text;          # hearth version that last wrote the record
  previousStopClean @8 :Bool = true;  # how the run before the current one ended
}
