#include "actors/payment_registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "storage/payment_codec.hpp"
#include "storage/store.hpp"

namespace hearth::actors {
namespace {

struct payment_registry_state {
  storage::store* db = nullptr;
  std::shared_ptr<const payment_settings> settings;
  std::unordered_map<std::string, payment_actor_type> live;    // payment id -> its actor
  std::unordered_map<caf::actor_addr, std::string> live_ids;   // and back
  static inline const char* name = "payment_registry";
};
using registry = payment_registry_type::stateful_pointer<payment_registry_state>;

payment_actor_type activate(registry self, payment_record rec) {
  auto& st = self->state;
  std::string id = rec.id;
  auto a = spawn_payment_actor(self, caf::actor_cast<payment_registry_type>(self), st.db, st.settings, std::move(rec));
  if (!id.empty()) {
    st.live[id] = a;
    st.live_ids[a.address()] = id;
  }
  return a;
}

payment_registry_type::behavior_type registry_behavior(registry self, storage::store* db, std::shared_ptr<const payment_settings> settings) {
  auto& st = self->state;
  st.db = db;
  st.settings = settings;
  if (auto open = storage::open_payments(*db); open) {
    for (auto& p : *open)
      if (p.state == payment_state::settle_pending) activate(self, std::move(p));
  } else {
    spdlog::error("payments pending settlement not resumed: {}", open.error().message);
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (auto it = st.live_ids.find(dm.source); it != st.live_ids.end()) {
      st.live.erase(it->second);
      st.live_ids.erase(it);
    }
  });
  return {
      [self](hold_atom a, payment_claim& c) { return self->delegate(activate(self, {}), a, std::move(c)); },
      [self](facilitate_atom a, payment_claim& c, bool settle) {
        return self->delegate(activate(self, {}), a, std::move(c), settle);
      },
      // The one place a nonce is claimed: this actor handles one message at
      // a time, so check-then-write cannot race.
      [self](claim_atom, const payment_record& rec) -> caf::result<bool> {
        auto& st = self->state;
        if (auto ok = storage::claim_payment(*st.db, rec); !ok) return to_error(ok.error());
        auto sender = caf::actor_cast<payment_actor_type>(self->current_sender());
        st.live[rec.id] = sender;
        st.live_ids[sender.address()] = rec.id;
        return true;
      },
      [self](settle_atom a, payment_outcome& o) -> caf::result<payment_record> {
        auto& st = self->state;
        if (auto it = st.live.find(o.id); it != st.live.end()) {
          self->delegate(it->second, a, std::move(o));
          return caf::delegated<payment_record>{};
        }
        auto stored = storage::load_payment(*st.db, o.id);
        if (!stored) return to_error(stored.error());
        if (!*stored) return to_error(fail(payment_errc::payment_not_found, "no payment " + o.id));
        if ((*stored)->state != payment_state::held) return std::move(**stored);
        self->delegate(activate(self, std::move(**stored)), a, std::move(o));
        return caf::delegated<payment_record>{};
      },
      [self](get_atom, const std::string& id) -> caf::result<payment_record> {
        auto stored = storage::load_payment(*self->state.db, id);
        if (!stored) return to_error(stored.error());
        if (!*stored) return to_error(fail(payment_errc::payment_not_found, "no payment " + id));
        return std::move(**stored);
      },
      [self](ledger_atom, const std::string& after, std::uint32_t limit) -> caf::result<std::vector<ledger_entry>> {
        auto rows = storage::list_ledger(*self->state.db, after, std::min<std::uint32_t>(limit, 1000));
        if (!rows) return to_error(rows.error());
        return std::move(*rows);
      },
  };
}

}  // namespace

result<payment_registry_type> spawn_payment_registry(caf::actor_system& sys, storage::store& db, payment_settings settings) {
  auto released = storage::release_interrupted_payments(db, "the node stopped before the task answered; not charged",
                                                        unix_ms());
  if (!released) return released.error();
  if (*released > 0) spdlog::warn("left {} interrupted payment(s) unsettled (not charged)", *released);
  return sys.spawn(registry_behavior, &db, std::make_shared<const payment_settings>(std::move(settings)));
}

}  // namespace hearth::actors
