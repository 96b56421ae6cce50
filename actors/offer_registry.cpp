#include "actors/offer_registry.hpp"

#include <caf/all.hpp>

#include "messages/clock.hpp"
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "actors/private_inputs.hpp"
#include "crypto/bytes.hpp"
#include "crypto/sha256.hpp"
#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "sandbox/elf_arch.hpp"
#include "storage/blob_store.hpp"
#include "storage/offer_codec.hpp"
#include "messages/interfaces.hpp"

namespace hearth::actors {
namespace {

// ---- offer actor: one verified offer, alive while in use ----
// Timer: an idle check every idle period; it passivates at the first check
// that finds it unused since the one before (so after idle to 2 x idle
// without use). One timer per period, not one per message: CAF 0.17 arms
// and cancels a receive timeout on its clock thread for every message.

using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;
using offer_actor_impl = offer_actor_type::extend<caf::reacts_to<idle_check_atom>>;

struct offer_actor_state {
  bool used = true;  // activation is a use
  static inline const char* name = "offer";
};

offer_actor_impl::behavior_type offer_actor(offer_actor_impl::stateful_pointer<offer_actor_state> self, stored_offer o,
                                            std::chrono::milliseconds idle) {
  self->delayed_send(self, idle, idle_check_atom::value);
  return {
      [self, o](get_atom) {
        self->state.used = true;
        return o;
      },
      [self, idle](idle_check_atom) {
        if (!self->state.used) return self->quit();
        self->state.used = false;
        self->delayed_send(self, idle, idle_check_atom::value);
      },
  };
}

// ---- registry ----

struct offer_registry_state {
  storage::store* db = nullptr;
  storage::blob_store* blobs = nullptr;
  offer_registry_config config;
  std::unordered_map<std::string, offer_actor_type> active;
  std::unordered_map<caf::actor_addr, std::string> names;
  static inline const char* name = "offer_registry";
};

using registry = offer_registry_type::stateful_pointer<offer_registry_state>;

stored_offer with_private_flags(const offer_registry_state& st, stored_offer o) {
  o.has_private_env = has_private_input(*st.db, o.body, "env");
  o.has_private_stdin = has_private_input(*st.db, o.body, "stdin");
  return o;
}

// The bytes of variant v (uploaded or fetched) checked against the offer
// before they are stored: size, sha256, and an ELF of v's architecture
// this host runs (or a #! script declared as one).
result<void> check_executable_bytes(const offer_variant& v, const std::string& bytes) {
  if (bytes.size() != v.size)
    return fail(offer_errc::executable_size_mismatch, "the executable has " + std::to_string(bytes.size()) +
                                                          " bytes; the offer says " + std::to_string(v.size));
  auto digest = crypto::sha256(bytes);
  if (std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()) != v.sha256)
    return fail(offer_errc::executable_hash_mismatch, "the executable's sha256 is not the offer's for " + v.arch);
  auto elf = sandbox::read_elf_header(bytes);
  if (elf) {
    if (elf->arch != v.arch)
      return fail(offer_errc::arch_mismatch, "the executable is " + elf->arch + "; the offer says " + v.arch);
    if (!sandbox::host_can_run(*elf))
      return fail(offer_errc::unsupported_architecture, "this node runs " + sandbox::host_arch() + ", not " + elf->arch);
  } else if (bytes.rfind("#!", 0) != 0 || v.arch != "script") {
    return fail(offer_errc::not_executable, "the executable is neither ELF nor a #! script declared with arch \"script\"");
  }
  return {};
}

// What an upload still needs: nothing (stored), or the variant to fetch.
// Bytes sent are checked as the variant whose sha256 they have (else as
// this host's); then the offer must have a variant this host runs.
result<std::optional<offer_variant>> take_executable(const stored_offer& o, const offer_upload& up,
                                                     storage::blob_store& blobs, bool can_fetch) {
  auto host = variant_for_host(o.body);
  if (!up.executable.empty()) {
    auto all = executable_variants(o.body);
    auto digest = crypto::sha256(up.executable);
    std::string sha(digest.begin(), digest.end());
    auto sent = std::find_if(all.begin(), all.end(), [&](const offer_variant& v) { return v.sha256 == sha; });
    const offer_variant& v = sent != all.end() ? *sent : host ? *host : all.front();
    if (auto ok = check_executable_bytes(v, up.executable); !ok) return ok.error();
    if (!host) return host.error();
    if (auto put = blobs.put(crypto::to_hex(std::string_view(v.sha256)), up.executable); !put) return put.error();
  }
  if (!host) return host.error();
  std::string sha = crypto::to_hex(std::string_view(host->sha256));
  if (blobs.contains(sha)) return std::optional<offer_variant>{};
  if (!host->url.empty() && can_fetch) return std::optional<offer_variant>{*host};
  return fail(offer_errc::executable_missing, "this node does not have executable " + sha + " (" + host->arch +
                                                  "); upload it with the offer");
}

result<stored_offer> store_offer(offer_registry_state& st, stored_offer verified) {
  auto existing = storage::load_offer(*st.db, verified.hash);
  if (!existing) return existing.error();
  if (*existing) return std::move(**existing);
  verified.received_at_ms = unix_ms();
  if (auto saved = storage::save_offer(*st.db, verified); !saved) return saved.error();
  spdlog::info("offer stored hash={} mode={} owner={}", verified.hash, static_cast<int>(verified.body.mode),
               crypto::to_hex(std::string_view(verified.body.owner)));
  return verified;
}

// A detached fetcher: blocks on the download (never the registry), checks
// what came, and answers with the bytes.
caf::behavior executable_fetcher(caf::event_based_actor* self, executable_fetch fetch) {
  return {
      [self, fetch](get_atom, const offer_variant& v) -> caf::result<std::string> {
        spdlog::info("fetching executable {} ({} bytes) from {}", crypto::to_hex(std::string_view(v.sha256)), v.size, v.url);
        auto bytes = fetch(v.url, v.size);
        self->quit();
        if (!bytes)
          return to_error(fail(offer_errc::executable_fetch_failed, "fetching " + v.url + ": " + bytes.error().message));
        if (auto ok = check_executable_bytes(v, *bytes); !ok) return to_error(ok.error());
        return std::move(*bytes);
      },
  };
}

caf::result<stored_offer> put_offer(registry self, offer_upload& up) {
  auto& st = self->state;
  auto policy = st.config.policy;
  policy.now = unix_ms() / 1000;
  auto verified = verify_signed_offer(up.canonical, up.signature, policy);
  if (!verified) return to_error(verified.error());
  auto needed = take_executable(*verified, up, *st.blobs, static_cast<bool>(st.config.fetch));
  if (!needed) return to_error(needed.error());
  if (!*needed) {
    auto stored = store_offer(st, std::move(*verified));
    if (!stored) return to_error(stored.error());
    return with_private_flags(st, std::move(*stored));
  }
  auto rp = self->make_response_promise<stored_offer>();
  auto fetcher = self->spawn<caf::detached>(executable_fetcher, st.config.fetch);
  auto variant = **needed;
  self->request(fetcher, std::chrono::minutes(10), get_atom::value, variant)
      .then(
          [self, rp, variant, o = std::move(*verified)](std::string& bytes) mutable {
            auto& st = self->state;
            if (auto put = st.blobs->put(crypto::to_hex(std::string_view(variant.sha256)), bytes); !put) {
              rp.deliver(to_error(put.error()));
              return;
            }
            auto stored = store_offer(st, std::move(o));
            if (!stored) rp.deliver(to_error(stored.error()));
            else rp.deliver(with_private_flags(st, std::move(*stored)));
          },
          [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

result<offer_actor_type> activate(registry self, const std::string& hash) {
  auto& st = self->state;
  if (auto it = st.active.find(hash); it != st.active.end()) return it->second;
  auto loaded = storage::load_offer(*st.db, hash);
  if (!loaded) return loaded.error();
  if (!*loaded) return fail(offer_errc::offer_not_found, "no offer " + hash);
  // Linked: offer actors stop with the registry (never outliving a node stop).
  offer_actor_type a = self->spawn<caf::linked>(offer_actor, std::move(**loaded), st.config.idle_timeout);
  self->monitor(a);
  st.active.emplace(hash, a);
  st.names.emplace(a.address(), hash);
  return a;
}

offer_registry_type::behavior_type registry_behavior(registry self, storage::store* db, storage::blob_store* blobs,
                                                     offer_registry_config config) {
  self->state.db = db;
  self->state.blobs = blobs;
  self->state.config = std::move(config);
  // An offer actor's exit is handled by its down_msg; any other exit stops
  // us. A passivating offer actor ends normally, and its down_msg comes
  // first (CAF runs the monitor before the link), so a normal exit is never
  // ours to follow.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason != caf::exit_reason::normal && self->state.names.count(msg.source) == 0) self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (auto it = st.names.find(dm.source); it != st.names.end()) {
      st.active.erase(it->second);
      st.names.erase(it);
    }
  });
  return {
      [self](put_atom, offer_upload& up) { return put_offer(self, up); },
      [self](put_atom, private_upload& up) -> caf::result<stored_offer> {
        auto& st = self->state;
        if (!st.config.sealing)
          return to_error(fail(http_errc::node_unavailable, "this node keeps no private inputs (no sealing key)"));
        auto loaded = crypto::is_hash_hex(up.offer_hash) ? storage::load_offer(*st.db, up.offer_hash)
                                                          : result<std::optional<stored_offer>>(std::nullopt);
        if (!loaded) return to_error(loaded.error());
        if (!*loaded) return to_error(fail(offer_errc::offer_not_found, "no offer " + up.offer_hash));
        auto stored = store_private_input(*st.db, *st.config.sealing, (*loaded)->body, up);
        crypto::secure_wipe(up.value.data(), up.value.size());
        if (!stored) return to_error(stored.error());
        spdlog::info("offer {}: private {} stored (sealed)", up.offer_hash, up.kind);
        return with_private_flags(st, std::move(**loaded));
      },
      [self](get_atom, const std::string& hash) -> caf::result<stored_offer> {
        if (!crypto::is_hash_hex(hash)) return to_error(fail(offer_errc::offer_not_found, "an offer hash is 64 lowercase hex digits"));
        auto a = activate(self, hash);
        if (!a) return to_error(a.error());
        auto rp = self->make_response_promise<stored_offer>();
        // An offer actor answers at once, or the request bounces when it is gone: no timer.
        self->request(*a, caf::infinite, get_atom::value)
            .then([self, rp](stored_offer& o) mutable { rp.deliver(with_private_flags(self->state, std::move(o))); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      // Offers past their expiry are left out: pages of storage are read
      // until limit live offers are found or none are left.
      [self](list_atom, const std::string& after, std::uint32_t limit) -> caf::result<std::vector<stored_offer>> {
        limit = std::min<std::uint32_t>(limit, 1000);
        std::vector<stored_offer> live;
        auto now = static_cast<std::int64_t>(unix_secs());
        for (std::string cursor = after; live.size() < limit;) {
          auto rows = storage::list_offers(*self->state.db, cursor, limit);
          if (!rows) return to_error(rows.error());
          if (rows->empty()) break;
          cursor = rows->back().hash;
          for (auto& o : *rows)
            if (!is_expired(o.body, now) && live.size() < limit) live.push_back(std::move(o));
          if (rows->size() < limit) break;
        }
        return live;
      },
      [self](health_atom) { return static_cast<std::uint64_t>(self->state.active.size()); },
  };
}

}  // namespace

result<offer_registry_type> spawn_offer_registry(caf::actor_system& sys, storage::store& db,
                                                 storage::blob_store& blobs, offer_registry_config config) {
  return sys.spawn(registry_behavior, &db, &blobs, std::move(config));
}

}  // namespace hearth::actors
