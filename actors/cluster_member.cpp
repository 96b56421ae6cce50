#include "actors/cluster_member.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "actors/call_actor.hpp"
#include "actors/environment_host.hpp"
#include "actors/job_registry.hpp"
#include "actors/offer_registry.hpp"
#include "actors/seller_directory.hpp"
#include "actors/task_registry.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"

namespace hearth::actors {
namespace {

constexpr auto peer_timeout = std::chrono::seconds(5);

struct known_member {
  member_info info;
  std::int64_t heard_at_ms = 0;  // this node's clock
  bool reconnecting = false;
  std::uint32_t failed_reconnects = 0;
  std::int64_t next_reconnect_ms = 0;
};

// A locate whose only holders just went (a reconnect under way): answered
// once the reconnect settles it, or unavailable at the deadline.
struct held_locate {
  std::string hash, key;
  bool held_here = false;
  std::int64_t deadline_ms = 0;
  caf::response_promise promise;
};

struct cluster_state {
  cluster_config config;
  std::map<std::string, known_member> members;  // by name, this node's excluded
  std::vector<std::string> own_offers;
  std::uint64_t running_tasks = 0;
  std::uint64_t guest_room_mb = 0;
  std::uint32_t sellers_online = 0;
  std::map<std::string, std::uint32_t> joining;  // --join addresses not reached yet: failures so far
  std::set<std::string> reaching;                // addresses of members heard of, being connected to
  std::vector<held_locate> held;
  static inline const char* name = "cluster_member";
};

using member = cluster_member_type::stateful_pointer<cluster_state>;

bool holds(const member_info& m, const std::string& hash) {
  return std::find(m.offers.begin(), m.offers.end(), hash) != m.offers.end();
}

std::int64_t free_slots(const member_info& m) {
  return static_cast<std::int64_t>(m.run_slots) - static_cast<std::int64_t>(m.running_tasks);
}

member_info own_entry(member self) {
  auto& st = self->state;
  auto& reg = self->system().registry();
  member_info me;
  me.name = st.config.name;
  me.cluster_address = st.config.cluster_address;
  me.http_url = st.config.http_url;
  me.offers = st.own_offers;
  me.cores = st.config.cores;
  me.memory_bytes = st.config.memory_bytes;
  me.cpu_units = st.config.cpu_units;
  me.run_slots = st.config.run_slots;
  me.running_tasks = st.running_tasks;
  me.updated_at_ms = unix_ms();
  me.member = caf::actor_cast<caf::actor>(self);
  me.calls = caf::actor_cast<caf::actor>(reg.get(call_service_key));
  me.offer_registry = caf::actor_cast<caf::actor>(reg.get(offer_registry_key));
  me.environments = caf::actor_cast<caf::actor>(reg.get(environment_host_key));
  me.guest_room_mb = st.guest_room_mb;
  me.sellers = caf::actor_cast<caf::actor>(reg.get(seller_directory_key));
  me.jobs = caf::actor_cast<caf::actor>(reg.get(job_registry_key));
  me.sellers_online = st.sellers_online;
  return me;
}

void settle_held(member self);
void connect_to(member self, const std::string& address);

// Reaches a known member again (at the address it last gave) unless that
// is under way.
void reconnect(member self, known_member& k, const std::string& address) {
  if (!std::exchange(k.reconnecting, true)) connect_to(self, address);
}

// The offers a member announces, and asks another's registry for, at most.
std::uint32_t listing_limit(const cluster_config& c) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(c.max_listed, 100000));
}

failure holders_gone(const std::string& hash) {
  return fail(offer_errc::offer_unavailable, "offer " + hash + " is held by a cluster member that is gone");
}

// A member heard from (its hello, its answer to ours, its heartbeat): kept,
// and monitored once per actor. Returns whether it is new to this node.
// A heartbeat (revive false) only refreshes a member that is up: one that
// went is up again only once reached over a new connection (its handles in
// a heartbeat that raced the old connection's end would be dead), so such a
// heartbeat starts that reconnect instead.
bool learn(member self, member_info info, bool revive = true) {
  auto& st = self->state;
  if (info.name.empty() || info.name == st.config.name || !info.member) return false;
  auto it = st.members.find(info.name);
  bool fresh = it == st.members.end() || it->second.info.state != "up" || it->second.info.member != info.member;
  if (fresh && !revive) {
    if (it != st.members.end()) reconnect(self, it->second, info.cluster_address);
    else if (st.reaching.insert(info.cluster_address).second) connect_to(self, info.cluster_address);
    return false;
  }
  if (!fresh && info.updated_at_ms < it->second.info.updated_at_ms) return false;  // older word than we have
  if (fresh) {
    self->monitor(info.member);
    spdlog::info("cluster: member {} up at {} ({} offers)", info.name, info.cluster_address, info.offers.size());
  }
  auto& k = st.members[info.name];
  info.state = "up";
  k.info = std::move(info);
  k.heard_at_ms = unix_ms();
  k.failed_reconnects = 0;
  if (fresh) k.reconnecting = false;  // up: a reconnect begun at another address must not block the next one
  if (fresh) settle_held(self);
  return fresh;
}

// Gone, and reached again at once: between survivors a connection can drop
// with a member that died (seen with CAF 0.17.6) and come straight back.
void mark_gone(member self, known_member& k, const char* why) {
  if (k.info.state == "gone") return;
  k.info.state = "gone";
  k.failed_reconnects = 0;
  spdlog::warn("cluster: member {} gone ({})", k.info.name, why);
  if (auto jobs = caf::actor_cast<job_registry_type>(self->system().registry().get(job_registry_key)))
    self->send(jobs, lost_atom::value, k.info.name);
  reconnect(self, k, k.info.cluster_address);
}

// Reaches address in a detached actor (the connect blocks) and reports back.
void connect_to(member self, const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return;
  std::string host = address.substr(0, colon);
  auto port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  auto connect = self->state.config.connect;
  auto back = caf::actor_cast<cluster_member_type>(self);
  // Spawned with its arguments: CAF 0.17 dereferences a null tuple for a
  // function spawned without any (UBSan stops the node on it).
  auto reach = [connect, back](caf::event_based_actor* connector, const std::string& address, const std::string& host,
                               std::uint16_t port) {
    auto other = connect(host, port);
    if (!other) spdlog::info("cluster: cannot reach {}: {}", address, other.error().message);
    connector->send(back, joined_atom::value, address, other ? caf::actor_cast<caf::actor>(*other) : caf::actor());
  };
  self->spawn<caf::detached>(reach, address, host, port);
}

// Says hello to a member and learns it, then connects to each member it
// names (by address: see the hello handler).
void greet(member self, cluster_member_type other) {
  self->request(other, std::chrono::seconds(10), hello_atom::value, own_entry(self))
      .then(
          [self](std::vector<member_info>& known) {
            auto& st = self->state;
            for (std::size_t i = 0; i < known.size(); ++i) {
              auto& m = known[i];
              if (i == 0) {
                learn(self, std::move(m));
                continue;
              }
              auto it = st.members.find(m.name);
              bool up = it != st.members.end() && it->second.info.state == "up";
              if (m.name != st.config.name && !up && st.reaching.insert(m.cluster_address).second)
                connect_to(self, m.cluster_address);
            }
          },
          [](caf::error& e) { spdlog::warn("cluster: hello failed: {}", to_string(e)); });
}

void reconnect_gone(member self) {
  auto now = unix_ms();
  for (auto& [name, k] : self->state.members)
    if (k.info.state == "gone" && now >= k.next_reconnect_ms) reconnect(self, k, k.info.cluster_address);
}

void beat(member self) {
  auto& st = self->state;
  auto now = unix_ms();
  auto window = 3 * st.config.heartbeat.count();
  for (auto& [name, k] : st.members)
    if (k.info.state == "up" && now - k.heard_at_ms > window) mark_gone(self, k, "no heartbeat");
  reconnect_gone(self);
  settle_held(self);
  auto send_all = [self] {
    auto me = own_entry(self);
    for (auto& [name, k] : self->state.members)
      if (k.info.state == "up") self->send(caf::actor_cast<cluster_member_type>(k.info.member), directory_atom::value, me);
  };
  auto& reg = self->system().registry();
  if (auto tasks = caf::actor_cast<task_registry_type>(reg.get(task_registry_key)))
    self->request(tasks, peer_timeout, health_atom::value).then([self](std::uint64_t n) { self->state.running_tasks = n; },
                                                               [](caf::error&) {});
  if (auto envs = caf::actor_cast<environment_host_type>(reg.get(environment_host_key)))
    self->request(envs, peer_timeout, get_atom::value).then([self](std::uint64_t mb) { self->state.guest_room_mb = mb; },
                                                           [](caf::error&) {});
  if (auto sellers = caf::actor_cast<seller_directory_type>(reg.get(seller_directory_key)))
    self->request(sellers, peer_timeout, health_atom::value)
        .then([self](std::uint64_t online) { self->state.sellers_online = static_cast<std::uint32_t>(online); },
              [](caf::error&) {});
  auto offers = caf::actor_cast<offer_registry_type>(reg.get(offer_registry_key));
  if (!offers) return send_all();
  self->request(offers, peer_timeout, list_atom::value, std::string(),
                listing_limit(st.config))
      .then(
          [self, send_all](std::vector<stored_offer>& list) {
            auto& own = self->state.own_offers;
            own.clear();
            for (const auto& o : list) own.push_back(o.hash);
            send_all();
          },
          [send_all](caf::error&) { send_all(); });
}

// The member to run a call on (a null handle: this node), an error, or
// nothing yet: the only holders just went and are being reached again.
std::optional<caf::expected<caf::actor>> try_locate(member self, const std::string& hash, const std::string& key,
                                                    bool held_here) {
  auto& st = self->state;
  std::vector<std::string> names;
  if (held_here) names.push_back(st.config.name);
  const known_member* most_free = nullptr;
  bool known_gone = false, reconnecting = false;
  for (auto& [name, k] : st.members) {
    if (!holds(k.info, hash)) continue;
    if (k.info.state != "up" || !k.info.calls) {
      known_gone = true;
      reconnecting |= k.failed_reconnects == 0;
      continue;
    }
    names.push_back(name);
    if (!most_free || free_slots(k.info) > free_slots(most_free->info)) most_free = &k;
  }
  if (!key.empty() && !names.empty()) {
    auto pick = rendezvous_pick(key, names);
    if (pick == st.config.name) return caf::actor();
    return st.members[pick].info.calls;
  }
  if (held_here) return caf::actor();
  if (most_free) return most_free->info.calls;
  if (reconnecting) return std::nullopt;
  if (known_gone) return to_error(holders_gone(hash));
  return to_error(fail(offer_errc::offer_not_found, "no offer " + hash + " on this node or its cluster"));
}

caf::result<caf::actor> locate(member self, const std::string& hash, const std::string& key, bool held_here) {
  auto found = try_locate(self, hash, key, held_here);
  if (found) {
    if (*found) return **found;
    return found->error();
  }
  auto promise = self->make_response_promise<caf::actor>();
  auto wait = 3 * self->state.config.heartbeat.count();
  self->state.held.push_back(held_locate{hash, key, held_here, unix_ms() + wait, promise});
  return promise;
}

// Answers the held locates that a reconnect (or the clock) has settled.
void settle_held(member self) {
  auto& held = self->state.held;
  auto now = unix_ms();
  for (auto i = held.begin(); i != held.end();) {
    auto found = try_locate(self, i->hash, i->key, i->held_here);
    if (!found && now < i->deadline_ms) {
      ++i;
      continue;
    }
    if (!found)
      i->promise.deliver(to_error(holders_gone(i->hash)));
    else if (*found)
      i->promise.deliver(**found);
    else
      i->promise.deliver(found->error());
    i = held.erase(i);
  }
}

// The offers the other live members hold, asked of their offer registries
// at once; one that does not answer in time adds none.
caf::result<std::vector<stored_offer>> list_others(member self) {
  auto promise = self->make_response_promise<std::vector<stored_offer>>();
  std::vector<offer_registry_type> registries;
  for (auto& [name, k] : self->state.members)
    if (k.info.state == "up" && k.info.offer_registry)
      registries.push_back(caf::actor_cast<offer_registry_type>(k.info.offer_registry));
  if (registries.empty()) {
    promise.deliver(std::vector<stored_offer>{});
    return promise;
  }
  struct gathering {
    std::size_t waiting;
    std::vector<stored_offer> offers;
    std::set<std::string> seen;
  };
  auto g = std::make_shared<gathering>(gathering{registries.size(), {}, {}});
  auto limit = listing_limit(self->state.config);
  auto done = [promise, g]() mutable {
    if (--g->waiting == 0) promise.deliver(std::move(g->offers));
  };
  for (auto& r : registries)
    self->request(r, peer_timeout, list_atom::value, std::string(), limit)
        .then(
            [g, done](std::vector<stored_offer>& list) mutable {
              for (auto& o : list)
                if (g->seen.insert(o.hash).second) g->offers.push_back(std::move(o));
              done();
            },
            [done](caf::error&) mutable { done(); });
  return promise;
}

cluster_member_type::behavior_type member_behavior(member self, cluster_config config) {
  self->state.config = std::move(config);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [name, k] : self->state.members)
      if (k.info.member.address() == dm.source) mark_gone(self, k, "its connection closed");
  });
  return {
      [self](caf::publish_atom, const std::string& address) {  // listening: the membership starts
        auto& st = self->state;
        if (!st.config.cluster_address.empty()) return;
        st.config.cluster_address = address;
        for (const auto& join : st.config.join) {
          st.joining[join] = 0;
          connect_to(self, join);
        }
        self->send(self, beat_atom::value);
      },
      [self](hello_atom, member_info& info) -> std::vector<member_info> {
        learn(self, std::move(info));
        // The others by name and address only: a handle passed on would
        // reach the joiner routed through this node (and die with it), so
        // it connects to each itself.
        std::vector<member_info> known{own_entry(self)};
        for (auto& [name, k] : self->state.members)
          if (k.info.state == "up") {
            member_info other;
            other.name = name;
            other.cluster_address = k.info.cluster_address;
            known.push_back(std::move(other));
          }
        return known;
      },
      [self](directory_atom, member_info& info) { learn(self, std::move(info), false); },
      [self](locate_atom, const std::string& hash, const std::string& key, bool held_here) {
        return locate(self, hash, key, held_here);
      },
      [self](list_atom) { return list_others(self); },
      [self](get_atom) {
        std::vector<member_info> all{own_entry(self)};
        all.front().state = "self";
        for (auto& [name, k] : self->state.members) all.push_back(k.info);
        return all;
      },
      [self](get_atom, const std::string& name) -> caf::result<member_info> {
        if (name == self->state.config.name) return own_entry(self);
        auto it = self->state.members.find(name);
        if (it == self->state.members.end() || it->second.info.state != "up")
          return to_error(fail(http_errc::node_unavailable, "no live cluster member " + name));
        return it->second.info;
      },
      [self](beat_atom) {
        beat(self);
        self->delayed_send(self, self->state.config.heartbeat, beat_atom::value);
      },
      [self](joined_atom, const std::string& address, caf::actor& reached) {
        auto& st = self->state;
        auto gap = [&](std::uint32_t failures) { return st.config.heartbeat * (1u << std::min<std::uint32_t>(failures, 5)); };
        for (auto& [name, k] : st.members) {
          if (k.info.cluster_address != address || !k.reconnecting) continue;
          k.reconnecting = false;
          if (!reached) k.next_reconnect_ms = unix_ms() + gap(++k.failed_reconnects).count();
        }
        st.reaching.erase(address);
        if (!reached) settle_held(self);
        if (reached) {
          st.joining.erase(address);
          return greet(self, caf::actor_cast<cluster_member_type>(reached));
        }
        if (auto j = st.joining.find(address); j != st.joining.end())  // a --join address: tried again, ever later
          self->delayed_send(self, gap(++j->second), caf::connect_atom::value, address);
      },
      [self](caf::connect_atom, const std::string& address) {
        if (self->state.joining.count(address)) connect_to(self, address);
      },
  };
}

}  // namespace

std::string rendezvous_pick(const std::string& key, const std::vector<std::string>& names) {
  std::string best;
  crypto::hash256 best_score{};
  for (const auto& name : names) {
    auto score = crypto::sha256(key + '\n' + name);
    if (best.empty() || score > best_score) {
      best = name;
      best_score = score;
    }
  }
  return best;
}

cluster_member_type spawn_cluster_member(caf::actor_system& sys, cluster_config config) {
  return sys.spawn(member_behavior, std::move(config));
}

}  // namespace hearth::actors
