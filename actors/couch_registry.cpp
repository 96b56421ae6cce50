#include "actors/couch_registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "actors/cluster_member.hpp"
#include "actors/environment_host.hpp"

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "storage/couch_codec.hpp"

namespace hearth::actors {
namespace {

constexpr std::size_t sweep_batch = 256;

struct couch_registry_state {
  storage::store* db = nullptr;
  couch_config config;
  std::unordered_map<std::string, guest_actor_type> guests;  // live guest actors by id
  std::unordered_map<caf::actor_addr, std::string> guest_ids;
  static inline const char* name = "couch_registry";
};
using couch_self = couch_registry_type::stateful_pointer<couch_registry_state>;

result<std::string> time_ordered_id(std::int64_t now_ms) {
  auto suffix = crypto::random_hex(8);
  if (!suffix) return suffix.error();
  char prefix[17];
  std::snprintf(prefix, sizeof prefix, "%012llx", static_cast<unsigned long long>(now_ms));
  return prefix + *suffix;
}

// The live guest actor of id, activated from storage when needed.
result<guest_actor_type> guest_actor_of(couch_self self, const std::string& id) {
  auto& st = self->state;
  if (auto it = st.guests.find(id); it != st.guests.end()) return it->second;
  auto stored = storage::load_guest(*st.db, id);
  if (!stored) return stored.error();
  if (!*stored) return fail(couch_errc::guest_not_found, "no guest " + id);
  auto a = spawn_guest_actor(self, st.db, std::move(**stored), st.config.now, st.config.guest_idle,
                             guest_homes{st.config.environments, st.config.node_name, cluster_member_key, environment_host_key});
  st.guests[id] = a;
  st.guest_ids[a.address()] = id;
  return a;
}

// The guest actor a guest token belongs to; a revoked guest's token works no more.
result<guest_actor_type> guest_of_token(couch_self self, const std::string& token) {
  auto g = storage::find_guest_by_token(*self->state.db, secret_hash(token));
  if (!g) return g.error();
  if (!*g) return fail(http_errc::unauthorized, "unknown guest token");
  if ((*g)->state == guest_state::revoked) return fail(couch_errc::guest_revoked, "this guest was revoked");
  return guest_actor_of(self, (*g)->id);
}

template <class... Ts>
caf::result<guest_record> to_guest(couch_self self, const std::string& id, Ts&&... xs) {
  auto a = guest_actor_of(self, id);
  if (!a) return to_error(a.error());
  self->delegate(*a, std::forward<Ts>(xs)...);
  return caf::delegated<guest_record>{};
}

caf::result<invite_record> create(couch_self self, const invite_request& req) {
  auto& st = self->state;
  invite_record inv;
  std::int64_t now = st.config.now();
  auto id = time_ordered_id(now);
  auto code = new_invite_code();
  if (!id) return to_error(id.error());
  if (!code) return to_error(code.error());
  inv.id = std::move(*id);
  inv.code = std::move(*code);
  inv.code_hash = secret_hash(inv.code);
  inv.created_by = req.created_by;
  inv.label = req.label;
  inv.limits = req.limits;
  inv.permissions = req.permissions;
  inv.created_at_ms = now;
  inv.expires_at_ms = now + static_cast<std::int64_t>(req.expires_in_hours * 3600 * 1000);
  if (auto ok = storage::create_invite(*st.db, inv); !ok) return to_error(ok.error());
  spdlog::info("invite {} created by {} (expires in {} h)", inv.id, inv.created_by, req.expires_in_hours);
  return inv;
}

result<guest_record> redeem(couch_self self, const redeem_request& req, const std::string& home) {
  auto& st = self->state;
  auto found = storage::find_invite_by_code(*st.db, secret_hash(req.code));
  if (!found) return found.error();
  if (!*found) return fail(couch_errc::invite_not_found, "no invite has this code");
  invite_record inv = std::move(**found);
  std::int64_t now = st.config.now();
  if (inv.state == invite_state::active && inv.expires_at_ms <= now) {
    inv.state = invite_state::expired;
    inv.ended_at_ms = now;
    (void)storage::save_invite(*st.db, inv);
  }
  if (inv.state == invite_state::redeemed) return fail(couch_errc::invite_redeemed, "this invite has already been redeemed");
  if (inv.state != invite_state::active)
    return fail(inv.state == invite_state::revoked ? couch_errc::invite_revoked : couch_errc::invite_expired,
                std::string("this invite is ") + state_name(inv.state));
  guest_record g;
  auto id = time_ordered_id(now);
  auto token = new_guest_token();
  if (!id) return id.error();
  if (!token) return token.error();
  g.id = std::move(*id);
  g.token = std::move(*token);
  g.token_hash = secret_hash(g.token);
  g.name = req.name;
  g.public_key = req.public_key;
  g.invite_id = inv.id;
  g.limits = inv.limits;
  g.permissions = inv.permissions;
  g.home_node = home;
  g.created_at_ms = now;
  g.expires_at_ms = now + static_cast<std::int64_t>(inv.limits.max_duration_hours) * 3600 * 1000;
  inv.state = invite_state::redeemed;
  inv.guest_id = g.id;
  inv.ended_at_ms = now;
  if (auto ok = storage::redeem_invite(*st.db, inv, g); !ok) return ok.error();
  spdlog::info("invite {} redeemed: guest {} ({}){}", inv.id, g.id, g.name, home.empty() ? "" : " home=" + home);
  return g;
}

// The invite's memory limit for a redeem (0: unknown code; the redeem says why).
std::uint64_t req_memory_mb(couch_self self, const redeem_request& req) {
  auto found = storage::find_invite_by_code(*self->state.db, secret_hash(req.code));
  return found && *found ? (*found)->limits.max_memory_mb : 0;
}

// The redeem, then (with environments) the build in the background.
void finish_redeem(couch_self self, const redeem_request& req, const std::string& home,
                   caf::typed_response_promise<guest_record> rp) {
  auto g = redeem(self, req, home);
  if (!g) return (void)rp.deliver(to_error(g.error()));
  if (self->state.config.environments)
    if (auto a = guest_actor_of(self, g->id)) self->send(*a, provision_atom::value);
  rp.deliver(std::move(*g));
}

// Samples the environments with processes on this node's host and on
// every member's: the ones whose guests are this registry's are read and
// checked against their limits, whether or not their guests are active.
void sample_all(couch_self self) {
  auto sample_on = [self](const environment_host_type& host) {
    self->request(host, std::chrono::seconds(10), list_atom::value)
        .then(
            [self](const std::vector<std::string>& ids) {
              for (const auto& id : ids)
                if (auto a = guest_actor_of(self, id)) self->send(*a, sample_atom::value);
            },
            [](caf::error&) {});
  };
  sample_on(caf::actor_cast<environment_host_type>(self->system().registry().get(environment_host_key)));
  auto cluster = caf::actor_cast<cluster_member_type>(self->system().registry().get(cluster_member_key));
  if (!cluster) return;
  self->request(cluster, std::chrono::seconds(5), get_atom::value)
      .then(
          [sample_on](const std::vector<member_info>& members) {
            for (const auto& m : members)
              if (m.state == "up" && m.environments) sample_on(caf::actor_cast<environment_host_type>(m.environments));
          },
          [](caf::error&) {});
}

void sweep(couch_self self) {
  auto& st = self->state;
  auto due = storage::due_deadlines(*st.db, st.config.now(), sweep_batch);
  if (!due) {
    spdlog::warn("couch expiry sweep: {}", due.error().message);
    return;
  }
  for (const auto& d : *due) {
    if (d.kind == 'i') {
      auto inv = storage::load_invite(*st.db, d.id);
      if (!inv || !*inv) continue;
      invite_record v = std::move(**inv);
      if (v.state != invite_state::active) continue;
      v.state = invite_state::expired;
      v.ended_at_ms = st.config.now();
      if (auto ok = storage::save_invite(*st.db, v); !ok) spdlog::warn("invite {} not expired: {}", v.id, ok.error().message);
    } else if (auto a = guest_actor_of(self, d.id); a) {
      self->request(*a, std::chrono::seconds(10), revoke_atom::value, std::string("expired: maxDurationHours reached"))
          .then([](guest_record&) {}, [id = d.id](caf::error&) { spdlog::warn("guest {} did not expire", id); });
    }
  }
}

couch_registry_type::behavior_type couch_behavior(couch_self self, storage::store* db, std::shared_ptr<couch_config> config) {
  auto& st = self->state;
  st.db = db;
  st.config = *config;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (auto it = st.guest_ids.find(dm.source); it != st.guest_ids.end()) {
      st.guests.erase(it->second);
      st.guest_ids.erase(it);
    }
  });
  self->send(self, couch_sweep_atom::value);
  if (st.config.environments) self->delayed_send(self, st.config.sample_every, sample_atom::value);
  if (st.config.environments) {  // environments a stopped node left unfinished are built now
    auto guests = storage::list_guests(*db, "", 10000);
    if (guests)
      for (const auto& g : *guests)
        if (g.state == guest_state::provisioning)
          if (auto a = guest_actor_of(self, g.id)) self->send(*a, provision_atom::value);
  }
  return {
      [self](put_atom, const invite_request& req) { return create(self, req); },
      [self](invites_atom, const std::string& status, const std::string& after,
             std::uint32_t limit) -> caf::result<std::vector<invite_record>> {
        std::vector<invite_record> out;
        std::string cursor = after;
        // Filtered listings read on until the page is full (bounded by the column).
        for (int rounds = 0; out.size() < limit && rounds < 1000; ++rounds) {
          auto rows = storage::list_invites(*self->state.db, cursor, 1000);
          if (!rows) return to_error(rows.error());
          for (auto& v : *rows)
            if (status.empty() || status == state_name(v.state))
              if (out.size() < limit) out.push_back(v);
          if (rows->size() < 1000) break;
          cursor = rows->back().id;
        }
        return out;
      },
      [self](revoke_atom, invites_atom, const std::string& id) -> caf::result<invite_record> {
        auto inv = storage::load_invite(*self->state.db, id);
        if (!inv) return to_error(inv.error());
        if (!*inv) return to_error(fail(couch_errc::invite_not_found, "no invite " + id));
        invite_record v = std::move(**inv);
        if (v.state != invite_state::active)
          return to_error(fail(couch_errc::invite_not_active, std::string("the invite is ") + state_name(v.state)));
        v.state = invite_state::revoked;
        v.ended_at_ms = self->state.config.now();
        if (auto ok = storage::save_invite(*self->state.db, v); !ok) return to_error(ok.error());
        return v;
      },
      [self](redeem_atom, const redeem_request& req) -> caf::result<guest_record> {
        auto rp = self->make_response_promise<guest_record>();
        auto cluster = caf::actor_cast<cluster_member_type>(self->system().registry().get(cluster_member_key));
        if (!self->state.config.environments || !cluster) {
          finish_redeem(self, req, "", rp);
          return rp;
        }
        // In a cluster the guest's home is picked first; the code is checked after, in one step.
        self->request(cluster, std::chrono::seconds(5), get_atom::value)
            .then(
                [self, req, rp](std::vector<member_info>& members) {
                  auto need = std::max<std::uint64_t>(16, req_memory_mb(self, req));
                  finish_redeem(self, req, pick_guest_home(members, need), rp);
                },
                [self, req, rp](caf::error&) { finish_redeem(self, req, self->state.config.node_name, rp); });
        return rp;
      },
      [self](exec_atom, const std::string& token, exec_request& req,
             exec_stream_type& stream) -> caf::result<exec_result> {
        auto a = guest_of_token(self, token);
        if (!a) return to_error(a.error());
        self->delegate(*a, exec_atom::value, std::move(req), std::move(stream));
        return caf::delegated<exec_result>{};
      },
      [self](terminal_atom, const std::string& token, std::uint32_t cols,
             std::uint32_t rows) -> caf::result<terminal_type> {
        auto a = guest_of_token(self, token);
        if (!a) return to_error(a.error());
        self->delegate(*a, terminal_atom::value, cols, rows);
        return caf::delegated<terminal_type>{};
      },
      [self](token_atom, const std::string& token) -> caf::result<guest_record> {
        auto g = storage::find_guest_by_token(*self->state.db, secret_hash(token));
        if (!g) return to_error(g.error());
        if (!*g) return to_error(fail(http_errc::unauthorized, "unknown guest token"));
        return to_guest(self, (*g)->id, get_atom::value);
      },
      [self](guests_atom, const std::string& after, std::uint32_t limit) -> caf::result<std::vector<guest_record>> {
        auto rows = storage::list_guests(*self->state.db, after, limit);
        if (!rows) return to_error(rows.error());
        return std::move(*rows);
      },
      [self](get_atom, guests_atom, const std::string& id) { return to_guest(self, id, get_atom::value); },
      [self](revoke_atom, guests_atom, const std::string& id) {
        return to_guest(self, id, revoke_atom::value, std::string("revoked by the host"));
      },
      [self](activate_atom, const std::string& id, const std::string& endpoint) {
        return to_guest(self, id, activate_atom::value, endpoint);
      },
      [self](usage_atom, const std::string& id, const guest_usage& u) { return to_guest(self, id, usage_atom::value, u); },
      [self](couch_sweep_atom) {
        sweep(self);
        self->delayed_send(self, self->state.config.sweep_every, couch_sweep_atom::value);
      },
      [self](sample_atom) {
        sample_all(self);
        self->delayed_send(self, self->state.config.sample_every, sample_atom::value);
      },
  };
}

}  // namespace

std::string pick_guest_home(const std::vector<member_info>& members, std::uint64_t need_mb) {
  const member_info* self_entry = nullptr;
  const member_info* best = nullptr;
  for (const auto& m : members) {
    if (m.state == "self") self_entry = &m;
    else if (m.state == "up" && m.environments && m.guest_room_mb >= need_mb &&
             (!best || m.guest_room_mb > best->guest_room_mb))
      best = &m;
  }
  if (self_entry && (self_entry->guest_room_mb >= need_mb || !best)) return self_entry->name;
  return best ? best->name : "";
}

result<std::string> new_invite_code() {
  auto hex = crypto::random_hex(16);
  if (!hex) return hex.error();
  return "inv_" + *hex;
}

result<std::string> new_guest_token() {
  auto hex = crypto::random_hex(32);
  if (!hex) return hex.error();
  return "guest_" + *hex;
}
std::string secret_hash(const std::string& secret) { return crypto::to_hex(crypto::sha256(secret)); }

result<couch_registry_type> spawn_couch_registry(caf::actor_system& sys, storage::store& db, couch_config config) {
  if (!config.now) config.now = [] { return unix_ms(); };
  return sys.spawn(couch_behavior, &db, std::make_shared<couch_config>(std::move(config)));
}

}  // namespace hearth::actors
