// hearth_actors: the supervision tree and the node record actor, on a real
// CAF actor system and a real RocksDB. Synchronised on monitors and
// condition variables, never on sleeps.
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/node_actor.hpp"
#include "actors/pool_ledger.hpp"
#include "actors/root_supervisor.hpp"
#include "messages/node.hpp"
#include "storage/node_meta_record.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

caf::actor_system_config& test_config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    c.set("scheduler.max-threads", std::size_t{2});
    return c;
  }();
  return cfg;
}

caf::behavior answer_generation(caf::event_based_actor*, int generation) {
  return {[=](get_atom) { return generation; }};
}

// Counts the starts of a child and lets a test wait for the n-th.
struct start_counter {
  std::mutex m;
  std::condition_variable cv;
  int starts = 0;
  bool fail_next = false;

  bool wait_for(int n) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, 10s, [&] { return starts >= n; });
  }
};

actors::child_spec counted_child(const std::string& name, caf::atom_value key, std::shared_ptr<start_counter> c) {
  return {name, key, [c](caf::actor_system& sys) -> result<caf::actor> {
            std::lock_guard<std::mutex> lock(c->m);
            if (c->fail_next) return fail(hearth::sandbox_errc::sandbox_setup_failed, "refusing to start");
            int generation = ++c->starts;
            c->cv.notify_all();
            return sys.spawn(answer_generation, generation);
          }};
}

// The supervisor handles messages in order: once it answers a health request
// sent after a restart began, that restart (and its registration) is done.
supervisor_report health_of(caf::actor_system& sys, const root_supervisor_type& root) {
  caf::scoped_actor self{sys};
  supervisor_report out;
  self->request(root, 5s, health_atom::value).receive([&](supervisor_report& r) { out = r; }, [](caf::error&) {});
  return out;
}

int ask_generation(caf::actor_system& sys, caf::atom_value key) {
  caf::scoped_actor self{sys};
  int out = -1;
  self->request(caf::actor_cast<caf::actor>(sys.registry().get(key)), 5s, get_atom::value)
      .receive([&](int g) { out = g; }, [](caf::error&) {});
  return out;
}

}  // namespace

TEST_CASE("a crashed child is restarted and re-registered", "[supervisor]") {
  caf::actor_system sys{test_config()};
  auto counter = std::make_shared<start_counter>();
  auto key = caf::atom("worker");
  auto root = actors::spawn_root_supervisor(sys, {counted_child("worker", key, counter)});
  REQUIRE(root);
  CHECK(ask_generation(sys, key) == 1);

  caf::anon_send_exit(sys.registry().get(key), caf::exit_reason::kill);
  REQUIRE(counter->wait_for(2));
  auto report = health_of(sys, *root);
  REQUIRE(report.children.size() == 1);
  CHECK(report.children[0].restarts == 1);
  CHECK(report.children[0].alive);
  CHECK(ask_generation(sys, key) == 2);

  caf::scoped_actor self{sys};
  bool stopped = false;
  self->request(*root, 5s, stop_atom::value).receive([&](bool b) { stopped = b; }, [](caf::error&) {});
  CHECK(stopped);
}

TEST_CASE("a child failing too often stops the tree with a reason", "[supervisor]") {
  caf::actor_system sys{test_config()};
  auto counter = std::make_shared<start_counter>();
  auto key = caf::atom("flaky");
  auto root = actors::spawn_root_supervisor(sys, {counted_child("flaky", key, counter)}, {2, 60s});
  REQUIRE(root);
  caf::scoped_actor self{sys};
  self->monitor(*root);
  for (int generation = 1; generation <= 3; ++generation) {
    REQUIRE(counter->wait_for(generation));
    health_of(sys, *root);
    REQUIRE(ask_generation(sys, key) == generation);
    caf::anon_send_exit(sys.registry().get(key), caf::exit_reason::kill);
  }
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; }, caf::after(10s) >> [] { FAIL("tree did not stop"); });
  CHECK(reason);
  CHECK(sys.render(reason).find("flaky") != std::string::npos);
}

TEST_CASE("a child that cannot start fails the tree's start", "[supervisor]") {
  caf::actor_system sys{test_config()};
  auto ok = std::make_shared<start_counter>();
  auto broken = std::make_shared<start_counter>();
  broken->fail_next = true;
  auto root = actors::spawn_root_supervisor(
      sys, {counted_child("ok", caf::atom("ok"), ok), counted_child("broken", caf::atom("broken"), broken)});
  REQUIRE_FALSE(root);
  CHECK(root.error().code == hearth::sandbox_errc::sandbox_setup_failed);
  CHECK(root.error().message.find("broken") != std::string::npos);
  CHECK(ok->starts == 1);
}

TEST_CASE("the node actor counts starts and tells clean from unclean stops", "[node_actor]") {
  test::temp_dir dir;
  storage::options o;
  o.path = dir.path();
  auto db = storage::store::open(o);
  REQUIRE(db);
  caf::actor_system sys{test_config()};
  caf::scoped_actor self{sys};
  auto meta_of = [&](const caf::actor& a) {
    node_meta m;
    self->request(a, 5s, get_atom::value).receive([&](node_meta& r) { m = r; }, [](caf::error&) { FAIL("no reply"); });
    return m;
  };
  auto stop = [&](const caf::actor& a, caf::exit_reason reason) {
    self->monitor(a);
    self->send_exit(a, reason);
    self->receive([](caf::down_msg&) {});
  };

  auto first = actors::spawn_node_actor(sys, **db, 1000, "test");
  REQUIRE(first);
  auto m = meta_of(*first);
  CHECK(m.start_count == 1);
  CHECK(m.previous_stop_clean);
  stop(*first, caf::exit_reason::user_shutdown);
  CHECK_FALSE((*storage::load_node_meta(**db))->running);

  auto second = actors::spawn_node_actor(sys, **db, 2000, "test");
  REQUIRE(second);
  CHECK(meta_of(*second).start_count == 2);
  stop(*second, caf::exit_reason::kill);  // a crash: no clean stop written

  auto restarted = actors::spawn_node_actor(sys, **db, 2000, "test");  // same boot
  REQUIRE(restarted);
  CHECK(meta_of(*restarted).start_count == 2);
  stop(*restarted, caf::exit_reason::kill);

  auto third = actors::spawn_node_actor(sys, **db, 3000, "test");
  REQUIRE(third);
  m = meta_of(*third);
  CHECK(m.start_count == 3);
  CHECK_FALSE(m.previous_stop_clean);
  CHECK(m.unclean_stops == 1);
  stop(*third, caf::exit_reason::user_shutdown);
}

TEST_CASE("pools: calls per period, and runs at once held until the holder ends", "[pool]") {
  auto parsed = actors::parse_pools("free=2/1h,trial=1");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].period_secs == 3600);
  CHECK((*parsed)[1].period_secs == 0);
  for (const char* bad : {"free", "=3", "Free=1", "a=1/1x", "a=x", "a=1,a=2"})
    CHECK_FALSE(actors::parse_pools(bad));

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto ledger = actors::spawn_pool_ledger(sys, *parsed);
  caf::scoped_actor self{sys};
  auto acquire = [&](const caf::scoped_actor& who, const std::string& pool) {
    bool granted = false;
    who->request(ledger, 5s, acquire_atom::value, pool).receive([&](bool g) { granted = g; }, [](caf::error&) { FAIL("no answer"); });
    return granted;
  };
  CHECK(acquire(self, "free"));
  CHECK(acquire(self, "free"));
  CHECK_FALSE(acquire(self, "free"));
  CHECK_FALSE(acquire(self, "unknown"));
  {
    caf::scoped_actor holder{sys};
    CHECK(acquire(holder, "trial"));
    CHECK_FALSE(acquire(self, "trial"));
  }  // the holder ends: its room comes back
  bool back = false;
  for (int i = 0; i < 200 && !back; ++i) {  // bounded: the down message is asynchronous
    back = acquire(self, "trial");
    if (!back) std::this_thread::sleep_for(10ms);
  }
  CHECK(back);
  std::vector<pool_use> use;
  self->request(ledger, 5s, get_atom::value).receive([&](std::vector<pool_use>& u) { use = u; }, [](caf::error&) {});
  REQUIRE(use.size() == 2);
  CHECK(use[0].free_calls == 2);
  CHECK(use[0].full_calls == 1);
  CHECK(use[1].in_use == 1);  // self holds it now
  caf::anon_send_exit(ledger, caf::exit_reason::user_shutdown);
}
