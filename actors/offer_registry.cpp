#include "actors/offer_registry.hpp"

#include <caf/all.hpp>

#include "messages/clock.hpp"
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "crypto/bytes.hpp"
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

offer_actor_type::behavior_type offer_actor(offer_actor_type::pointer self, stored_offer o,
                                            std::chrono::milliseconds idle) {
  return {
      [o](get_atom) { return o; },
      caf::after(idle) >> [self] { self->quit(); },
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

result<void> check_executable(const stored_offer& o, const offer_upload& up, storage::blob_store& blobs) {
  std::string sha = crypto::to_hex(std::string_view(o.body.executable_sha256));
  if (up.executable.empty()) {
    if (blobs.contains(sha)) return {};
    return fail(offer_errc::executable_missing, "this node does not have executable " + sha + "; upload it with the offer");
  }
  if (up.executable.size() != o.body.executable_size)
    return fail(offer_errc::executable_size_mismatch, "the executable has " + std::to_string(up.executable.size()) +
                                                " bytes; the offer says " + std::to_string(o.body.executable_size));
  auto elf = sandbox::read_elf_header(up.executable);
  if (elf) {
    if (elf->arch != o.body.arch)
      return fail(offer_errc::arch_mismatch, "the executable is " + elf->arch + "; the offer says " + o.body.arch);
    if (!sandbox::host_can_run(*elf))
      return fail(offer_errc::unsupported_architecture, "this node runs " + sandbox::host_arch() + ", not " + elf->arch);
  } else if (up.executable.rfind("#!", 0) != 0 || o.body.arch != "script") {
    return fail(offer_errc::not_executable, "the executable is neither ELF nor a #! script declared with arch \"script\"");
  }
  return blobs.put(sha, up.executable);
}

caf::result<stored_offer> put_offer(registry self, offer_upload& up) {
  auto& st = self->state;
  auto policy = st.config.policy;
  policy.now = unix_ms() / 1000;
  auto verified = verify_signed_offer(up.canonical, up.signature, policy);
  if (!verified) return to_error(verified.error());
  auto existing = storage::load_offer(*st.db, verified->hash);
  if (!existing) return to_error(existing.error());
  if (auto ok = check_executable(*verified, up, *st.blobs); !ok) return to_error(ok.error());
  if (*existing) return std::move(**existing);
  verified->received_at_ms = unix_ms();
  if (auto saved = storage::save_offer(*st.db, *verified); !saved) return to_error(saved.error());
  spdlog::info("offer stored hash={} mode={} owner={}", verified->hash, static_cast<int>(verified->body.mode),
               crypto::to_hex(std::string_view(verified->body.owner)));
  return std::move(*verified);
}

result<offer_actor_type> activate(registry self, const std::string& hash) {
  auto& st = self->state;
  if (auto it = st.active.find(hash); it != st.active.end()) return it->second;
  auto loaded = storage::load_offer(*st.db, hash);
  if (!loaded) return loaded.error();
  if (!*loaded) return fail(offer_errc::offer_not_found, "no offer " + hash);
  // Linked: offer actors stop with the registry (never outliving a node stop).
  auto a = self->spawn<caf::linked>(offer_actor, std::move(**loaded), st.config.idle_timeout);
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
      [self](get_atom, const std::string& hash) -> caf::result<stored_offer> {
        if (!crypto::is_hash_hex(hash)) return to_error(fail(offer_errc::offer_not_found, "an offer hash is 64 lowercase hex digits"));
        auto a = activate(self, hash);
        if (!a) return to_error(a.error());
        auto rp = self->make_response_promise<stored_offer>();
        self->request(*a, std::chrono::seconds(10), get_atom::value)
            .then([rp](stored_offer& o) mutable { rp.deliver(std::move(o)); },
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
