// hearth_storage on a real RocksDB in a temporary directory.
#include <catch2/catch.hpp>

#include "storage/node_meta_record.hpp"
#include "storage/store.hpp"
#include "storage/task_cache.hpp"
#include "support/process.hpp"

using namespace hearth;
using namespace hearth::storage;

namespace {
std::unique_ptr<store> open_at(const std::string& path) {
  options o;
  o.path = path;
  auto db = store::open(o);
  REQUIRE(db);
  return std::move(*db);
}
}  // namespace

TEST_CASE("values persist across reopen, per column", "[storage]") {
  test::temp_dir dir;
  {
    auto db = open_at(dir.path());
    REQUIRE(db->put(column::offers, "k", "offer").ok());
    REQUIRE(db->put(column::tasks, "k", "task").ok());
  }
  auto db = open_at(dir.path());
  CHECK(**db->get(column::offers, "k") == "offer");
  CHECK(**db->get(column::tasks, "k") == "task");
  CHECK_FALSE(db->get(column::payments, "k")->has_value());
}

TEST_CASE("a write batch applies all of its changes together", "[storage]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  REQUIRE(db->put(column::nonces, "old", "1").ok());
  write_batch batch;
  batch.put(column::payments, "p1", "held");
  batch.put(column::nonces, "n1", "p1");
  batch.erase(column::nonces, "old");
  REQUIRE(db->write(batch).ok());
  CHECK(**db->get(column::payments, "p1") == "held");
  CHECK(**db->get(column::nonces, "n1") == "p1");
  CHECK_FALSE(db->get(column::nonces, "old")->has_value());
}

TEST_CASE("a second opener of the same data dir is refused clearly", "[storage]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  options o;
  o.path = dir.path();
  auto second = store::open(o);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == hearth::storage_errc::data_dir_locked);
}

TEST_CASE("prefix scans page in key order", "[storage]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  for (int i = 0; i < 25; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "a/%02d", i);
    REQUIRE(db->put(column::tasks, key, std::to_string(i)).ok());
  }
  REQUIRE(db->put(column::tasks, "b/00", "other").ok());
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto rows = db->scan(column::tasks, "a/", after, 10);
    REQUIRE(rows);
    if (rows->empty()) break;
    for (auto& [k, v] : *rows) seen.push_back(k);
    after = rows->back().first;
  }
  REQUIRE(seen.size() == 25);
  CHECK(seen.front() == "a/00");
  CHECK(seen.back() == "a/24");
  CHECK(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("node meta record round-trips through Cap'n Proto", "[storage]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  CHECK_FALSE(load_node_meta(*db)->has_value());
  node_meta m;
  m.start_count = 7;
  m.running = true;
  m.first_started_at_ms = 1234;
  m.version = "9.9.9";
  m.previous_stop_clean = false;
  REQUIRE(save_node_meta(*db, m).ok());
  auto loaded = load_node_meta(*db);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->start_count == 7);
  CHECK((*loaded)->running);
  CHECK((*loaded)->first_started_at_ms == 1234);
  CHECK((*loaded)->version == "9.9.9");
  CHECK_FALSE((*loaded)->previous_stop_clean);
}

TEST_CASE("a corrupt stored record is an error value, not a crash", "[storage]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  for (std::string garbage : {std::string("x"), std::string(16, '\xff'), std::string(8, '\0')}) {
    REQUIRE(db->put(column::meta, "node", garbage).ok());
    auto loaded = load_node_meta(*db);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == hearth::storage_errc::record_corrupt);
  }
}

#include "storage/task_codec.hpp"

TEST_CASE("tasks a crashed node left running are marked failed at the next start", "[storage][task]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  task_record running;
  running.id = std::string(64, 'a');
  running.state = task_state::running;
  task_record done;
  done.id = std::string(64, 'b');
  done.state = task_state::completed;
  done.stdout_data = "kept";
  REQUIRE(save_task(*db, running).ok());
  REQUIRE(save_task(*db, done).ok());

  auto n = fail_interrupted_tasks(*db, "the node stopped", 42);
  REQUIRE(n);
  CHECK(*n == 1);
  auto a = load_task(*db, running.id);
  REQUIRE((a && *a));
  CHECK((*a)->state == task_state::failed);
  CHECK((*a)->error == "the node stopped");
  auto b = load_task(*db, done.id);
  CHECK((*b)->state == task_state::completed);
  CHECK((*b)->stdout_data == "kept");
  CHECK(*fail_interrupted_tasks(*db, "again", 43) == 0);  // the index was cleared with the records
}

TEST_CASE("the retention sweep deletes old finished tasks, page by page, and nothing else", "[storage][task]") {
  test::temp_dir dir;
  auto db = open_at(dir.path());
  auto make = [&](char c, task_state state, std::int64_t finished) {
    task_record t;
    t.id = std::string(64, c);
    t.state = state;
    t.finished_at_ms = finished;
    REQUIRE(save_task(*db, t).ok());
    return t.id;
  };
  auto old_done = make('a', task_state::completed, 100);
  auto old_failed = make('b', task_state::failed, 100);
  auto recent = make('c', task_state::completed, 5000);
  auto running = make('d', task_state::running, 0);
  std::size_t deleted = 0;
  std::string cursor;
  for (int step = 0; step < 10; ++step) {  // pages of one record
    auto s = sweep_finished_tasks(*db, 1000, cursor, 1);
    REQUIRE(s);
    deleted += s->deleted;
    cursor = s->next_cursor;
    if (cursor.empty()) break;
  }
  CHECK(deleted == 2);
  CHECK_FALSE(load_task(*db, old_done)->has_value());
  CHECK_FALSE(load_task(*db, old_failed)->has_value());
  CHECK(load_task(*db, recent)->has_value());
  CHECK(load_task(*db, running)->has_value());
}

TEST_CASE("the task cache is bounded by bytes, evicts the least recently used, and serves nothing the sweep may have deleted", "[storage][cache]") {
  auto record = [](std::string id, std::size_t out, std::int64_t finished, std::int64_t retain_until = 0) {
    hearth::task_record t;
    t.id = std::move(id);
    t.state = hearth::task_state::completed;
    t.stdout_data.assign(out, 'x');
    t.finished_at_ms = finished;
    t.retain_until_ms = retain_until;
    return t;
  };
  hearth::storage::task_cache cache(64 * 1024);
  cache.put(record("a", 4000, 1000));
  cache.put(record("b", 4000, 1000));
  REQUIRE(cache.find("a", 0, 2000));  // a is now the most recent
  for (int i = 0; i < 20; ++i) cache.put(record("c" + std::to_string(i), 4000, 1000));
  CHECK(cache.bytes() <= 64 * 1024);
  CHECK_FALSE(cache.find("b", 0, 2000));  // evicted first
  CHECK(cache.find("c19", 0, 2000)->stdout_data.size() == 4000);

  cache.put(record("big", 9000, 1000));  // above an eighth of the budget: not held
  CHECK_FALSE(cache.find("big", 0, 2000));

  cache.put(record("old", 10, 1000));
  CHECK_FALSE(cache.find("old", 1001, 2000));  // finished before the sweep's cutoff: dropped
  CHECK_FALSE(cache.find("old", 0, 2000));
  cache.put(record("kept", 10, 1000, 1500));
  CHECK(cache.find("kept", 0, 1400));
  CHECK_FALSE(cache.find("kept", 0, 1600));  // past its own retention
  std::size_t before = cache.size();
  cache.put(record("c19", 10, 1000));  // replaced, not added twice
  CHECK(cache.size() == before);
  CHECK(cache.find("c19", 0, 2000)->stdout_data.size() == 10);
}
