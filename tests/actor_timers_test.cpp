// Timers of the stateful actors, under CAF's deterministic scheduler: no
// thread runs an actor until the test says so (sched.run()), and a timer
// fires when the test triggers it (sched.trigger_timeouts()), never after a
// wait. Each test checks the state a timer must change, before and after.
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <ctime>

#include "actors/call_rules.hpp"
#include "actors/couch_registry.hpp"
#include "actors/payment_registry.hpp"
#include "messages/failure_error.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"
#include "payments/networks.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

struct deterministic_node {
  test::temp_dir dir;
  result<std::unique_ptr<storage::store>> db = open_db(dir);
  caf::actor_system_config cfg = testing_config();
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};

  static caf::actor_system_config testing_config() {
    caf::actor_system_config c;
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  static result<std::unique_ptr<storage::store>> open_db(const test::temp_dir& d) {
    storage::options o;
    o.path = d.path() + "/db";
    return storage::store::open(o);
  }

  // Sends a request, runs every actor until nothing is left to do, and
  // returns the reply (or fails the test with the error).
  template <class Reply, class Handle, class... Ts>
  Reply ask(const Handle& to, Ts&&... xs) {
    Reply out{};
    auto pending = self->request(to, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    pending.receive([&](Reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  }
  template <class Reply, class Handle, class... Ts>
  failure refusal(const Handle& to, Ts&&... xs) {
    failure out{http_errc::internal_error, "it answered"};
    auto pending = self->request(to, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    pending.receive([&](Reply&) {}, [&](caf::error& e) { out = to_failure(e, sys.render(e)); });
    return out;
  }
};

// A buyer's signed x402 payment of one requirement, as a hold's claim.
payment_claim signed_claim(const crypto::private_key& buyer, const std::string& resource) {
  payments::requirement r;
  r.net = payments::find_network("base-sepolia");
  r.amount = *crypto::parse_uint256("1000");
  r.pay_to = *crypto::parse_address("0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
  r.resource = resource;
  auto entries = payments::parse_challenge(payments::encode_header(payments::payment_required_v2({r}, "")), "");
  REQUIRE(entries);
  auto chosen = payments::choose(*entries, "", "");
  REQUIRE(chosen);
  auto header = payments::sign_payment(*chosen, buyer, static_cast<std::uint64_t>(std::time(nullptr)));
  REQUIRE(header);
  return actors::claim_for(r, *header, std::string(64, 'a'));
}

}  // namespace

TEST_CASE("a held payment whose task never reports is released when its hold timer fires", "[payment][deterministic]") {
  deterministic_node n;
  REQUIRE(n.db);
  actors::payment_settings settings;
  settings.hold_limit = 1h;  // never reached by the clock: only trigger_timeouts fires it
  auto registry = actors::spawn_payment_registry(n.sys, **n.db, settings);
  REQUIRE(registry);
  auto buyer = crypto::private_key::generate();
  REQUIRE(buyer);
  auto claim = signed_claim(*buyer, "http://127.0.0.1/x.cgi/");

  auto held = n.ask<payment_record>(*registry, hold_atom::value, claim);
  REQUIRE(held.state == payment_state::held);
  CHECK(n.ask<payment_record>(*registry, get_atom::value, held.id).state == payment_state::held);

  n.sched.trigger_timeouts();
  n.sched.run();
  auto after = n.ask<payment_record>(*registry, get_atom::value, held.id);
  CHECK(after.state == payment_state::unsettled);
  CHECK(after.note.find("hold limit") != std::string::npos);
  // Released, not forgotten: the same authorization cannot pay again, and a
  // late settle changes nothing.
  CHECK(n.refusal<payment_record>(*registry, hold_atom::value, claim).code == payment_errc::payment_replayed);
  auto late = n.ask<payment_record>(*registry, settle_atom::value, payment_outcome{held.id, "", true, ""});
  CHECK(late.state == payment_state::unsettled);
  n.self->send_exit(*registry, caf::exit_reason::user_shutdown);
  n.sched.run();
}

TEST_CASE("an invite expires at its deadline when the couch's sweep fires, not before", "[couch][deterministic]") {
  deterministic_node n;
  REQUIRE(n.db);
  auto now = std::make_shared<std::atomic<std::int64_t>>(1'800'000'000'000);
  actors::couch_config config;
  config.now = [now] { return now->load(); };
  config.sweep_every = 1h;  // fired by trigger_timeouts only
  auto couch = actors::spawn_couch_registry(n.sys, **n.db, config);
  REQUIRE(couch);
  n.sched.run();  // the first sweep, at start

  invite_request req;
  req.created_by = "host";
  req.expires_in_hours = 1;
  auto invite = n.ask<invite_record>(*couch, put_atom::value, req);
  REQUIRE(invite.state == invite_state::active);
  auto state_now = [&] {
    auto all = n.ask<std::vector<invite_record>>(*couch, invites_atom::value, std::string(), std::string(), std::uint32_t{10});
    REQUIRE(all.size() == 1);
    return all[0].state;
  };

  *now += 3'599'000;  // a second before the deadline
  n.sched.trigger_timeouts();
  n.sched.run();
  CHECK(state_now() == invite_state::active);

  *now += 2'000;  // past it; nothing changes until the sweep runs
  CHECK(state_now() == invite_state::active);
  n.sched.trigger_timeouts();
  n.sched.run();
  CHECK(state_now() == invite_state::expired);
  n.self->send_exit(*couch, caf::exit_reason::user_shutdown);
  n.sched.run();
}
