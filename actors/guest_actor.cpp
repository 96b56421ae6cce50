#include "actors/guest_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "messages/failure_error.hpp"
#include "messages/node_messages.hpp"
#include "storage/couch_codec.hpp"

namespace hearth::actors {
namespace {

struct guest_data {
  guest_record record;
  static inline const char* name = "guest";
};
using guest_self = caf::stateful_actor<guest_data>;

bool live(const guest_record& g) { return g.state == guest_state::provisioning || g.state == guest_state::running; }

caf::result<guest_record> commit(guest_self* self, storage::store* db, guest_record next) {
  if (auto ok = storage::save_guest(*db, next); !ok) return to_error(ok.error());
  self->state.record = next;
  return next;
}

caf::behavior guest_behavior(guest_self* self, storage::store* db, guest_record record, clock_fn now,
                             std::chrono::milliseconds idle_after) {
  self->state.record = std::move(record);
  auto end = [=](guest_state to, const std::string& reason) -> caf::result<guest_record> {
    guest_record next = self->state.record;
    if (!live(next)) return next;  // already ended: the first reason stays
    next.state = to;
    next.reason = reason;
    next.ended_at_ms = now();
    next.agent_endpoint.clear();
    spdlog::info("guest {} {}: {}", next.id, to == guest_state::expired ? "expired" : "revoked", reason);
    return commit(self, db, next);
  };
  return {
      [=](get_atom) { return self->state.record; },
      [=](activate_atom, const std::string& endpoint) -> caf::result<guest_record> {
        guest_record next = self->state.record;
        if (!live(next)) return to_error(fail("guest_ended", "the guest is " + std::string(next.reason)));
        next.state = guest_state::running;
        if (next.activated_at_ms == 0) next.activated_at_ms = now();
        next.agent_endpoint = endpoint;
        return commit(self, db, next);
      },
      [=](usage_atom, const guest_usage& u) -> caf::result<guest_record> {
        guest_record next = self->state.record;
        if (!live(next)) return to_error(fail("guest_ended", "the guest has ended: " + next.reason));
        next.usage = u;
        auto stored = commit(self, db, next);
        if (auto crossed = crossed_limit(u, next.limits); !crossed.empty())
          return end(guest_state::revoked, "limit exceeded: " + crossed);
        return stored;
      },
      [=](revoke_atom, const std::string& reason) -> caf::result<guest_record> {
        bool expiry = reason.rfind("expired", 0) == 0;
        return end(expiry ? guest_state::expired : guest_state::revoked, reason);
      },
      caf::after(idle_after) >> [self] { self->quit(); },
  };
}

}  // namespace

std::string crossed_limit(const guest_usage& u, const resource_limits& l) {
  if (l.max_memory_mb && u.memory_mb > l.max_memory_mb) return "memory";
  if (l.max_disk_gb && u.disk_mb > l.max_disk_gb * 1024) return "disk";
  if (l.max_network_egress_gb && u.network_egress_mb > l.max_network_egress_gb * 1024) return "network egress";
  if (l.max_token_budget && u.tokens_in + u.tokens_out > l.max_token_budget) return "token budget";
  return "";
}

caf::actor spawn_guest_actor(caf::local_actor* parent, storage::store* db, guest_record record, clock_fn now,
                             std::chrono::milliseconds idle_after) {
  return parent->spawn<caf::monitored>(guest_behavior, db, std::move(record), std::move(now), idle_after);
}

}  // namespace hearth::actors
