// Offer records: canonical encoding, signatures, tampering, node policy, and
// the registry actor over a real RocksDB and blob store.
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include "actors/offer_registry.hpp"
#include "actors/offer_validation.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "storage/blob_store.hpp"
#include "storage/offer_codec.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

const char* owner_hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const char* stranger_hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

offer sample_offer(const crypto::private_key& key, const std::string& exe) {
  offer o;
  auto sha = crypto::sha256(exe);
  o.executable_sha256.assign(sha.begin(), sha.end());
  o.executable_size = exe.size();
  o.arch = "x86_64";
  o.price_per_call = 1000;
  auto a = key.to_address();
  o.owner.assign(a.bytes.begin(), a.bytes.end());
  o.pay_to = o.owner;
  o.created_at = 1700000000;
  o.name = "probe";
  o.args = {"--flag"};
  return o;
}

std::string sign(const crypto::private_key& key, const std::string& canonical) {
  auto sig = key.sign_digest(crypto::personal_message_digest(crypto::sha256(canonical))).to_bytes();
  return std::string(sig.begin(), sig.end());
}

actors::offer_policy policy_for(const crypto::private_key& owner) {
  actors::offer_policy p;
  p.accepted_owners = {owner.to_address()};
  p.now = 1700000100;
  return p;
}

}  // namespace

TEST_CASE("canonical offers round-trip and hash stably", "[offer]") {
  auto key = *crypto::private_key::from_hex(owner_hex);
  offer o = sample_offer(key, "exe-bytes");
  std::string a = storage::canonical_offer(o);
  std::string b = storage::canonical_offer(o);
  CHECK(a == b);
  auto decoded = storage::decode_canonical_offer(a);
  REQUIRE(decoded);
  CHECK(decoded->name == "probe");
  CHECK(decoded->args == std::vector<std::string>{"--flag"});
  CHECK(decoded->price_per_call == 1000);
  CHECK(storage::canonical_offer(*decoded) == a);
  o.price_per_call = 1001;
  CHECK(actors::offer_hash_hex(storage::canonical_offer(o)) != actors::offer_hash_hex(a));
}

TEST_CASE("malformed and non-canonical encodings are rejected", "[offer]") {
  CHECK(storage::decode_canonical_offer("").error().code == hearth::offer_errc::bad_offer);
  CHECK(storage::decode_canonical_offer("1234567").error().code == hearth::offer_errc::bad_offer);
  CHECK_FALSE(storage::decode_canonical_offer(std::string(64, '\xff')).ok());
  auto key = *crypto::private_key::from_hex(owner_hex);
  std::string c = storage::canonical_offer(sample_offer(key, "x"));
  auto padded = storage::decode_canonical_offer(c + std::string(8, '\0'));  // trailing word: not canonical
  REQUIRE_FALSE(padded);
  CHECK(padded.error().code == hearth::offer_errc::offer_not_canonical);
}

TEST_CASE("a signed offer verifies; tampering and strangers are refused", "[offer]") {
  auto key = *crypto::private_key::from_hex(owner_hex);
  auto stranger = *crypto::private_key::from_hex(stranger_hex);
  std::string canonical = storage::canonical_offer(sample_offer(key, "x"));
  auto ok = actors::verify_signed_offer(canonical, sign(key, canonical), policy_for(key));
  REQUIRE(ok);
  CHECK(ok->hash == actors::offer_hash_hex(canonical));

  offer cheaper = sample_offer(key, "x");
  cheaper.price_per_call = 1;
  auto tampered = actors::verify_signed_offer(storage::canonical_offer(cheaper), sign(key, canonical), policy_for(key));
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().code == hearth::offer_errc::bad_offer_signature);

  std::string theirs = storage::canonical_offer(sample_offer(stranger, "x"));
  auto refused = actors::verify_signed_offer(theirs, sign(stranger, theirs), policy_for(key));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == hearth::offer_errc::owner_not_accepted);
  auto policy = policy_for(key);
  policy.accepted_owners.push_back(stranger.to_address());
  CHECK(actors::verify_signed_offer(theirs, sign(stranger, theirs), policy).ok());

  CHECK(actors::verify_signed_offer(canonical, "short", policy_for(key)).error().code == hearth::offer_errc::bad_offer_signature);
}

TEST_CASE("limits, expiry and pricing are checked against the node", "[offer]") {
  auto key = *crypto::private_key::from_hex(owner_hex);
  auto check = [&](auto mutate) {
    offer o = sample_offer(key, "x");
    mutate(o);
    std::string c = storage::canonical_offer(o);
    return actors::verify_signed_offer(c, sign(key, c), policy_for(key));
  };
  CHECK(check([](offer& o) { o.limits.ram_mb = 1 << 20; }).error().code == hearth::offer_errc::limits_exceed_node);
  CHECK(check([](offer& o) { o.limits.cpu_secs = 0; }).error().code == hearth::offer_errc::bad_limits);
  CHECK(check([](offer& o) { o.limits.network = true; }).error().code == hearth::offer_errc::limits_exceed_node);
  CHECK(check([](offer& o) { o.expires_at = 1700000000; }).error().code == hearth::offer_errc::offer_expired);
  CHECK(check([](offer& o) { o.price_per_second = 5; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(check([](offer& o) { o.pay_to = std::string(20, '\0'); }).error().code == hearth::offer_errc::bad_offer);
  CHECK(check([](offer& o) { o.expires_at = 1800000000; }).ok());
}

// What an offer registry under test stores into: a RocksDB, a blob store
// and the owner's key, with the probe as the executable to offer.
struct registry_storage {
  test::temp_dir dir;
  result<std::unique_ptr<storage::store>> db = open_db(dir);
  storage::blob_store blobs{dir.file("executables")};
  crypto::private_key key = *crypto::private_key::from_hex(owner_hex);
  std::string exe = read_all(SANDBOX_PROBE);

  static result<std::unique_ptr<storage::store>> open_db(test::temp_dir& d) {
    storage::options so;
    so.path = d.file("db");
    return storage::store::open(so);
  }
};

TEST_CASE("the registry stores, serves, lists and passivates offers", "[offer][registry]") {
  registry_storage st;
  auto& db = st.db;
  auto& blobs = st.blobs;
  const auto& key = st.key;
  const auto& exe = st.exe;
  REQUIRE(db);

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", std::size_t{2});
  caf::actor_system sys{cfg};
  actors::offer_registry_config rc;
  rc.policy = policy_for(key);
  rc.policy.accepted_owners = {key.to_address()};
  rc.idle_timeout = 200ms;
  auto registry = actors::spawn_offer_registry(sys, **db, blobs, rc);
  REQUIRE(registry);
  caf::scoped_actor self{sys};

  auto put = [&](const offer& o, std::string body) {
    std::string c = storage::canonical_offer(o);
    result<stored_offer> out = fail(hearth::http_errc::node_unavailable, "no reply");
    self->request(*registry, 10s, put_atom::value, offer_upload{c, sign(key, c), std::move(body)})
        .receive([&](stored_offer& s) { out = s; }, [&](caf::error& e) { out = to_failure(e, sys.render(e)); });
    return out;
  };
  offer o = sample_offer(key, exe);
  auto stored = put(o, exe);
  INFO((stored ? "" : stored.error().message));
  REQUIRE(stored);
  CHECK(blobs.contains(crypto::to_hex(crypto::sha256(exe))));
  auto again = put(o, "");  // the executable is known: no bytes needed
  REQUIRE(again);
  CHECK(again->hash == stored->hash);

  offer other = o;
  other.name = "other";
  CHECK(put(other, exe.substr(1)).error().code == hearth::offer_errc::executable_size_mismatch);
  offer wrong_arch = o;
  wrong_arch.arch = "aarch64";
  CHECK(put(wrong_arch, exe).error().code == hearth::offer_errc::arch_mismatch);
  offer unknown_exe = o;
  unknown_exe.executable_sha256 = std::string(32, 'z');
  CHECK(put(unknown_exe, "").error().code == hearth::offer_errc::executable_missing);

  std::uint64_t live = 0;
  self->request(*registry, 10s, get_atom::value, stored->hash)
      .receive([&](stored_offer& s) { CHECK(s.body.name == "probe"); }, [](caf::error&) { FAIL("get failed"); });
  self->request(*registry, 10s, health_atom::value).receive([&](std::uint64_t n) { live = n; }, [](caf::error&) {});
  CHECK(live == 1);

  self->request(*registry, 10s, get_atom::value, std::string(64, '0'))
      .receive([](stored_offer&) { FAIL("found a missing offer"); },
               [&](caf::error& e) { CHECK(to_failure(e, "").code == hearth::offer_errc::offer_not_found); });
  self->request(*registry, 10s, list_atom::value, std::string(), std::uint32_t{10})
      .receive([&](std::vector<stored_offer>& v) { CHECK(v.size() == 1); }, [](caf::error&) { FAIL("list failed"); });
  self->send_exit(*registry, caf::exit_reason::user_shutdown);
}

// The same passivation with CAF's deterministic scheduler: no thread runs an
// actor until the test says so, and the idle timer fires when the test
// triggers it, not after a wait.
TEST_CASE("an offer actor passivates exactly when its idle timer fires", "[offer][registry][deterministic]") {
  registry_storage st;
  auto& db = st.db;
  auto& blobs = st.blobs;
  const auto& key = st.key;
  const auto& exe = st.exe;
  REQUIRE(db);

  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  actors::offer_registry_config rc;
  rc.policy = policy_for(key);
  rc.policy.accepted_owners = {key.to_address()};
  rc.idle_timeout = 1h;  // never reached by the clock: only trigger_timeouts fires it
  auto registry = actors::spawn_offer_registry(sys, **db, blobs, rc);
  REQUIRE(registry);
  caf::scoped_actor self{sys};
  auto live_offer_actors = [&] {
    std::uint64_t live = 99;
    auto h = self->request(*registry, caf::infinite, health_atom::value);
    sched.run();
    h.receive([&](std::uint64_t n) { live = n; }, [&](caf::error& e) { FAIL("health failed: " << sys.render(e)); });
    return live;
  };

  offer o = sample_offer(key, exe);
  std::string c = storage::canonical_offer(o);
  std::string hash;
  auto put = self->request(*registry, caf::infinite, put_atom::value, offer_upload{c, sign(key, c), exe});
  sched.run();
  put.receive([&](stored_offer& s) { hash = s.hash; }, [&](caf::error& e) { FAIL(sys.render(e)); });
  REQUIRE_FALSE(hash.empty());
  CHECK(live_offer_actors() == 0);  // storing does not activate

  auto get = self->request(*registry, caf::infinite, get_atom::value, hash);
  sched.run();
  get.receive([&](stored_offer& s) { CHECK(s.hash == hash); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(live_offer_actors() == 1);
  CHECK(live_offer_actors() == 1);  // however long nothing happens, until the timer fires

  sched.trigger_timeouts();
  sched.run();
  CHECK(live_offer_actors() == 0);

  auto again = self->request(*registry, caf::infinite, get_atom::value, hash);  // activated from storage
  sched.run();
  again.receive([&](stored_offer& s) { CHECK(s.hash == hash); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(live_offer_actors() == 1);
  self->send_exit(*registry, caf::exit_reason::user_shutdown);
  sched.run();
}
