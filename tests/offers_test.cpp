// Offer records: canonical encoding, signatures, tampering, node policy, and
// the registry actor over a real RocksDB and blob store.
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include <filesystem>

#include "actors/offer_registry.hpp"
#include "actors/call_rules.hpp"
#include "actors/offer_validation.hpp"
#include "actors/private_inputs.hpp"
#include "crypto/sealed_box.hpp"
#include "payments/networks.hpp"
#include "actors/task_actor.hpp"
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

// The sample offer changed by mutate, signed by its owner, as the node verifies it.
template <class Mutate>
result<stored_offer> verify_variant(Mutate mutate) {
  auto key = *crypto::private_key::from_hex(owner_hex);
  offer o = sample_offer(key, "x");
  mutate(o);
  std::string c = storage::canonical_offer(o);
  return actors::verify_signed_offer(c, sign(key, c), policy_for(key));
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
  auto check = [](auto mutate) { return verify_variant(mutate); };
  CHECK(check([](offer& o) { o.limits.ram_mb = 1 << 20; }).error().code == hearth::offer_errc::limits_exceed_node);
  CHECK(check([](offer& o) { o.limits.cpu_secs = 0; }).error().code == hearth::offer_errc::bad_limits);
  CHECK(check([](offer& o) { o.limits.network = true; }).error().code == hearth::offer_errc::limits_exceed_node);
  CHECK(check([](offer& o) { o.expires_at = 1700000000; }).error().code == hearth::offer_errc::offer_expired);
  CHECK(check([](offer& o) { o.price_per_second = 5; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(check([](offer& o) { o.pay_to = std::string(20, '\0'); }).error().code == hearth::offer_errc::bad_offer);
  CHECK(check([](offer& o) { o.expires_at = 1800000000; }).ok());
}

TEST_CASE("version 2 presets round-trip, are checked, and need version 2", "[offer]") {
  auto check = [](auto mutate) { return verify_variant(mutate); };
  auto v2 = check([](offer& o) {
    o.version = 2;
    o.env = {"API_URL=https://example.test", "MODE=fast"};
    o.env_extendable = true;
    o.stdin_prefix = std::string("config\0line\n", 12);
    o.args_extendable = true;
    o.retain_secs = 3600;
  });
  REQUIRE(v2);
  CHECK(v2->body.env == std::vector<std::string>{"API_URL=https://example.test", "MODE=fast"});
  CHECK(v2->body.env_extendable);
  CHECK(v2->body.stdin_prefix == std::string("config\0line\n", 12));
  CHECK_FALSE(v2->body.stdin_appendable);
  CHECK(v2->body.args_extendable);
  CHECK(v2->body.retain_secs == 3600);
  CHECK(storage::canonical_offer(v2->body) == v2->canonical);

  // A version 1 offer is as it always was: no presets, and callers may add arguments.
  auto v1 = check([](offer&) {});
  REQUIRE(v1);
  CHECK(actors::takes_caller_args(v1->body));
  CHECK(check([](offer& o) { o.env = {"A=1"}; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(check([](offer& o) { o.retain_secs = 5; }).error().code == hearth::offer_errc::bad_offer);
  // A version this node does not know: a clear refusal, not a misreading.
  CHECK(check([](offer& o) { o.version = 4; }).error().code == hearth::offer_errc::offer_version_unsupported);
  CHECK(check([](offer& o) { o.version = 0; }).error().code == hearth::offer_errc::offer_version_unsupported);
  // Durations: per-second offers only, 1 <= min <= max <= the wall limit.
  auto durations = [](std::uint64_t per_second, std::uint64_t lo, std::uint64_t hi) {
    return [=](offer& o) {
      o.version = 2;
      o.price_per_call = 0;
      o.price_per_second = per_second;
      o.limits.wall_secs = 60;
      o.min_duration_secs = lo;
      o.max_duration_secs = hi;
    };
  };
  CHECK(check(durations(10, 5, 60)).ok());
  CHECK(actors::sells_durations(check(durations(10, 5, 60))->body));
  CHECK(check(durations(0, 5, 60)).error().code == hearth::offer_errc::bad_offer);
  CHECK(check(durations(10, 0, 60)).error().code == hearth::offer_errc::bad_offer);
  CHECK(check(durations(10, 30, 20)).error().code == hearth::offer_errc::bad_offer);
  CHECK(check(durations(10, 5, 61)).error().code == hearth::offer_errc::bad_offer);
  for (const char* bad : {"NOEQUALS", "=value", "1ABC=x", "BAD-NAME=x", "SP ACE=x"})
    CHECK(check([bad](offer& o) { o.version = 2; o.env = {bad}; }).error().code == hearth::offer_errc::bad_offer);
}

TEST_CASE("version 3: variants, price options, ports, private hashes, pools; older offers keep their bytes", "[offer]") {
  auto check = [](auto mutate) {
    auto key = *crypto::private_key::from_hex(owner_hex);
    offer o = sample_offer(key, "x");
    mutate(o);
    std::string c = storage::canonical_offer(o);
    auto policy = policy_for(key);
    policy.max_limits.network = true;
    return actors::verify_signed_offer(c, sign(key, c), policy);
  };
  auto usdc = [](const char* network) {
    const auto* n = payments::find_network(network);
    return std::string(n->usdc.bytes.begin(), n->usdc.bytes.end());
  };
  // The v3 fields left empty write nothing: a version 2 offer's bytes (and hash) are what they were.
  auto v2 = check([](offer& o) { o.version = 2; o.env = {"A=1"}; });
  REQUIRE(v2);
  CHECK_FALSE(actors::uses_version3(v2->body));
  CHECK(v2->canonical.find("aarch64") == std::string::npos);
  auto key = *crypto::private_key::from_hex(owner_hex);
  offer plain = sample_offer(key, "x");
  offer zeroed = plain;
  zeroed.limits.cpu_units = 0;
  CHECK(storage::canonical_offer(plain) == storage::canonical_offer(zeroed));
  CHECK(storage::canonical_offer(plain).size() % 8 == 0);

  auto v3 = check([&](offer& o) {
    o.version = 3;
    o.price_per_call = 0;
    o.variants = {{"aarch64", std::string(32, 'a'), 100, "https://example.test/tool-arm64"}};
    o.env_private_sha256 = std::string(32, 'e');
    o.stdin_private_sha256 = std::string(32, 's');
    o.prices = {{"base", usdc("base"), 1000, false, ""}, {"ethereum", usdc("ethereum"), 5000, false, std::string(20, '\x11')}};
    o.pool = "free";
    o.limits.network = true;
    o.limits.tcp_bind = {8080};
    o.limits.tcp_connect = {443, 8080};
    o.limits.cpu_units = 500;
  });
  INFO((v3 ? "" : v3.error().message));
  REQUIRE(v3);
  const auto& b = v3->body;
  CHECK(storage::canonical_offer(b) == v3->canonical);
  REQUIRE(b.variants.size() == 1);
  CHECK(b.variants[0].url == "https://example.test/tool-arm64");
  CHECK(b.prices.size() == 2);
  CHECK(b.prices[1].pay_to == std::string(20, '\x11'));
  CHECK(b.limits.tcp_connect == std::vector<std::uint16_t>{443, 8080});
  CHECK(b.limits.cpu_units == 500);
  CHECK(b.pool == "free");
  CHECK(actors::variant_for_host(b)->arch == "x86_64");
  CHECK(actors::executable_variants(b).size() == 2);

  // The 402: one requirement per option on a network the node takes, each with its own payTo.
  actors::payment_terms terms{{"ethereum", "base"}, 300};
  auto reqs = actors::requirements_for(*v3, terms, "http://x/", 0);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].net->name == "base");
  CHECK(crypto::to_decimal(reqs[0].amount) == "1000");
  CHECK(reqs[1].pay_to.checksummed() == crypto::address{[] {
          std::array<std::uint8_t, 20> a{};
          a.fill(0x11);
          return a;
        }()}.checksummed());
  CHECK(actors::requirements_for(*v3, {{"base-sepolia"}, 300}, "http://x/", 0).empty());
  auto policy = policy_for(key);
  policy.max_limits.network = true;
  policy.payment_networks = {"base-sepolia"};
  CHECK(actors::verify_signed_offer(v3->canonical, v3->signature, policy).error().code == hearth::offer_errc::no_payable_price);

  auto v3_with = [&](auto change) {
    return check([&](offer& o) {
      o.version = 3;
      change(o);
    });
  };
  CHECK(check([](offer& o) { o.version = 2; o.pool = "free"; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(v3_with([](offer& o) { o.variants = {{"x86_64", std::string(32, 'b'), 5, ""}}; }).error().message.find("one per architecture") !=
        std::string::npos);
  CHECK(v3_with([](offer& o) { o.variants = {{"sparc", std::string(32, 'b'), 5, ""}}; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(v3_with([](offer& o) { o.executable_url = "http://plain.test/x"; }).error().code == hearth::offer_errc::bad_offer);
  CHECK(v3_with([&](offer& o) { o.price_per_call = 0; o.prices = {{"base", usdc("ethereum"), 1, false, ""}}; }).error().code ==
        hearth::offer_errc::bad_offer);
  CHECK(v3_with([&](offer& o) { o.prices = {{"base", usdc("base"), 1, false, ""}}; }).error().code ==
        hearth::offer_errc::bad_offer);  // and pricePerCall too
  CHECK(v3_with([](offer& o) { o.limits.tcp_connect = {443}; }).error().code == hearth::offer_errc::bad_offer);  // no network
  auto foreign = v3_with([](offer& o) { o.arch = "riscv64"; o.variants = {{"aarch64", std::string(32, 'b'), 5, ""}}; });
  REQUIRE(foreign);  // stored anywhere; run only where one variant fits
  CHECK(actors::variant_for_host(foreign->body).error().code == hearth::offer_errc::unsupported_architecture);
  policy = policy_for(key);
  policy.max_limits.cpu_units = 1000;
  offer heavy = sample_offer(key, "x");
  heavy.version = 3;
  heavy.limits.cpu_units = 2000;
  auto c = storage::canonical_offer(heavy);
  CHECK(actors::verify_signed_offer(c, sign(key, c), policy).error().code == hearth::offer_errc::limits_exceed_node);
}

TEST_CASE("a caller adds arguments, env or stdin only where the offer lets it", "[offer]") {
  auto key = *crypto::private_key::from_hex(owner_hex);
  offer fixed = sample_offer(key, "x");
  fixed.version = 2;
  fixed.stdin_prefix = "owner's\n";
  task_input none;
  CHECK(actors::check_caller_input(fixed, none).ok());
  task_input args;
  args.args = {"x"};
  CHECK(actors::check_caller_input(fixed, args).error().code == hearth::offer_errc::args_not_extendable);
  task_input env;
  env.caller_env = {"A=1"};
  CHECK(actors::check_caller_input(fixed, env).error().code == hearth::offer_errc::env_not_extendable);
  task_input body;
  body.stdin_data = "more";
  CHECK(actors::check_caller_input(fixed, body).error().code == hearth::offer_errc::stdin_not_appendable);
  task_input empty_spool;  // a spooled empty body is no stdin
  empty_spool.stdin_file = "/nonexistent";
  empty_spool.stdin_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  CHECK(actors::check_caller_input(fixed, empty_spool).ok());

  offer open = fixed;
  open.args_extendable = open.env_extendable = open.stdin_appendable = true;
  for (const auto* in : {&args, &env, &body}) CHECK(actors::check_caller_input(open, *in).ok());
  task_input timed;
  timed.duration_secs = 10;
  CHECK(actors::check_caller_input(fixed, timed).error().code == hearth::offer_errc::duration_not_offered);
  offer per_second = fixed;
  per_second.price_per_call = 0;
  per_second.price_per_second = 1;
  per_second.min_duration_secs = 5;
  per_second.max_duration_secs = 20;
  CHECK(actors::check_caller_input(per_second, timed).ok());
  timed.duration_secs = 21;
  CHECK(actors::check_caller_input(per_second, timed).error().code == hearth::offer_errc::duration_out_of_range);
  offer v1 = sample_offer(key, "x");  // version 1: arguments as before; stdin without a prefix is the caller's
  CHECK(actors::check_caller_input(v1, args).ok());
  CHECK(actors::check_caller_input(v1, body).ok());
}

TEST_CASE("the run: the owner's env beats the caller's unless extendable; stdin's prefix counts in CONTENT_LENGTH", "[offer]") {
  auto key = *crypto::private_key::from_hex(owner_hex);
  stored_offer s;
  s.body = sample_offer(key, "x");
  s.body.version = 2;
  s.body.env = {"MODE=owner", "KEY=k"};
  s.body.stdin_prefix = "12345";
  task_input in;
  in.env = {"PATH=/bin", "MODE=node", "CONTENT_LENGTH=10"};
  in.private_env = {"REMOTE_ADDR=127.0.0.1"};
  in.args = {"a"};
  auto spec = actors::launch_spec_for(s, in, "/exe");
  auto has = [&](const std::string& kv) { return std::count(spec.env.begin(), spec.env.end(), kv) == 1; };
  CHECK(has("MODE=owner"));
  CHECK_FALSE(has("MODE=node"));
  CHECK(has("KEY=k"));
  CHECK(has("CONTENT_LENGTH=15"));
  CHECK(spec.env.back() == "REMOTE_ADDR=127.0.0.1");
  CHECK(spec.args == std::vector<std::string>{"--flag", "a"});

  s.body.env_extendable = true;
  in.caller_env = {"MODE=caller", "EXTRA=1"};
  spec = actors::launch_spec_for(s, in, "/exe");
  CHECK(has("MODE=caller"));
  CHECK_FALSE(has("MODE=owner"));
  CHECK(has("EXTRA=1"));
  CHECK(has("KEY=k"));

  in.duration_secs = 3;  // what the buyer paid for is the run's wall limit
  CHECK(actors::launch_spec_for(s, in, "/exe").lim.wall_secs == 3);
  in.duration_secs = 0;
  CHECK(actors::launch_spec_for(s, in, "/exe").lim.wall_secs == s.body.limits.wall_secs);
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
TEST_CASE("an offer actor passivates at the first idle check that finds it unused since the last", "[offer][registry][deterministic]") {
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

  sched.trigger_timeouts();  // the first check: used since it was activated
  sched.run();
  CHECK(live_offer_actors() == 1);
  auto used = self->request(*registry, caf::infinite, get_atom::value, hash);
  sched.run();
  used.receive([&](stored_offer& s) { CHECK(s.hash == hash); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  sched.trigger_timeouts();  // used since the first check
  sched.run();
  CHECK(live_offer_actors() == 1);
  sched.trigger_timeouts();  // a whole period unused
  sched.run();
  CHECK(live_offer_actors() == 0);

  auto again = self->request(*registry, caf::infinite, get_atom::value, hash);  // activated from storage
  sched.run();
  again.receive([&](stored_offer& s) { CHECK(s.hash == hash); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(live_offer_actors() == 1);
  self->send_exit(*registry, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE("private inputs are stored sealed and open only as the offer names them", "[offer][private]") {
  registry_storage st;
  REQUIRE(st.db);
  auto& db = **st.db;
  auto sealing = *crypto::derive_sealing_key(st.key, actors::private_inputs_label);
  const std::string secret = "sk-live-do-not-leak-4711";
  std::string env_value = actors::salted_private_value(std::string(32, 'S'), actors::private_env_payload({"API_KEY=" + secret, "B=2"}));
  std::string stdin_value = actors::salted_private_value(std::string(32, 'T'), "secret prompt\n");
  offer o = sample_offer(st.key, "x");
  o.version = 3;
  auto h = crypto::sha256(env_value);
  o.env_private_sha256.assign(h.begin(), h.end());
  h = crypto::sha256(stdin_value);
  o.stdin_private_sha256.assign(h.begin(), h.end());
  std::string hash = actors::offer_hash_hex(storage::canonical_offer(o));

  CHECK(actors::open_private_inputs(db, sealing, o).error().code == hearth::offer_errc::private_input_missing);
  CHECK(actors::store_private_input(db, sealing, o, {hash, "env", env_value + "x"}).error().code ==
        hearth::offer_errc::private_input_mismatch);
  CHECK(actors::store_private_input(db, sealing, o, {hash, "args", env_value}).error().code == hearth::http_errc::not_found);
  REQUIRE(actors::store_private_input(db, sealing, o, {hash, "env", env_value}));
  CHECK(actors::has_private_input(db, o, "env"));
  CHECK_FALSE(actors::has_private_input(db, o, "stdin"));
  REQUIRE(actors::store_private_input(db, sealing, o, {hash, "stdin", stdin_value}));
  auto opened = actors::open_private_inputs(db, sealing, o);
  REQUIRE(opened);
  CHECK(opened->env == std::vector<std::string>{"API_KEY=" + secret, "B=2"});
  CHECK(opened->stdin_prefix == "secret prompt\n");

  // At rest the value is sealed: RocksDB's files never hold it in the clear.
  REQUIRE(db.flush());
  bool found = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(st.dir.file("db")))
    if (entry.is_regular_file()) found |= read_all(entry.path().string()).find(secret) != std::string::npos;
  CHECK_FALSE(found);
  // Another node key cannot open it; a record swapped under another hash does not open either.
  auto stranger = *crypto::derive_sealing_key(*crypto::private_key::from_hex(stranger_hex), actors::private_inputs_label);
  CHECK(actors::open_private_inputs(db, stranger, o).error().code == hearth::crypto_errc::sealed_box_invalid);
  auto sealed = crypto::seal(sealing, "abc", "aad");
  REQUIRE(sealed);
  CHECK(crypto::open_sealed(sealing, *sealed, "aad").value() == "abc");
  CHECK(crypto::open_sealed(sealing, *sealed, "other").error().code == hearth::crypto_errc::sealed_box_invalid);
  std::string flipped = *sealed;
  flipped[14] ^= 1;
  CHECK(crypto::open_sealed(sealing, flipped, "aad").error().code == hearth::crypto_errc::sealed_box_invalid);

  // The run: the owner's secret env wins over a caller's variable of the same name.
  stored_offer so{hash, storage::canonical_offer(o), "", 0, o, true, true};
  task_input in;
  in.env = {"API_KEY=from-the-caller", "PATH=/usr/bin"};
  auto spec = actors::launch_spec_for(so, in, "/bin/true", opened->env);
  CHECK(std::count(spec.env.begin(), spec.env.end(), "API_KEY=" + secret) == 1);
  CHECK(std::find(spec.env.begin(), spec.env.end(), "API_KEY=from-the-caller") == spec.env.end());
}

