#include "actors/cluster_member.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <thread>

#include "actors/call_actor.hpp"
#include "actors/offer_registry.hpp"
#include "actors/task_registry.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"

namespace hearth::actors {
namespace {

struct cluster_state {
  cluster_config config;
  std::map<std::string, member_info> members;  // by name, this node's excluded
  std::vector<std::string> own_offers;
  static inline const char* name = "cluster_member";
};

using member = cluster_member_type::stateful_pointer<cluster_state>;

member_info own_entry(member self) {
  auto& st = self->state;
  member_info me;
  me.name = st.config.name;
  me.cluster_address = st.config.cluster_address;
  me.http_url = st.config.http_url;
  me.offers = st.own_offers;
  me.cpu_units = st.config.cpu_units;
  me.updated_at_ms = unix_ms();
  me.member = caf::actor_cast<caf::actor>(self);
  me.calls = caf::actor_cast<caf::actor>(self->system().registry().get(call_service_key));
  return me;
}

// A member heard of (hello, heartbeat, or another's answer): kept, monitored once.
void learn(member self, member_info info) {
  auto& st = self->state;
  if (info.name == st.config.name || !info.member) return;
  auto it = st.members.find(info.name);
  bool fresh = it == st.members.end() || it->second.state != "up" || it->second.member != info.member;
  if (fresh) {
    self->monitor(info.member);
    spdlog::info("cluster: member {} up at {} ({} offers)", info.name, info.cluster_address, info.offers.size());
  }
  info.state = "up";
  if (!fresh && info.updated_at_ms < it->second.updated_at_ms) return;  // an older word than we have
  st.members[info.name] = std::move(info);
}

void mark_gone(cluster_state& st, member_info& m, const char* why) {
  if (m.state == "gone") return;
  m.state = "gone";
  spdlog::warn("cluster: member {} gone ({})", m.name, why);
}

void beat(member self) {
  auto& st = self->state;
  auto now = unix_ms();
  auto window = 3 * st.config.heartbeat.count();
  for (auto& [name, m] : st.members)
    if (m.state == "up" && now - m.updated_at_ms > window) mark_gone(st, m, "no heartbeat");
  auto offers = caf::actor_cast<offer_registry_type>(self->system().registry().get(offer_registry_key));
  auto send_all = [self] {
    auto me = own_entry(self);
    for (auto& [name, m] : self->state.members)
      if (m.state == "up") self->send(caf::actor_cast<cluster_member_type>(m.member), directory_atom::value, me);
  };
  if (!offers) return send_all();
  self->request(offers, std::chrono::seconds(5), list_atom::value, std::string(),
                static_cast<std::uint32_t>(std::min<std::size_t>(st.config.max_listed, 1000)))
      .then(
          [self, send_all](std::vector<stored_offer>& list) {
            auto& own = self->state.own_offers;
            own.clear();
            for (const auto& o : list) own.push_back(o.hash);
            send_all();
          },
          [send_all](caf::error&) { send_all(); });
}

// Says hello to a member and learns the members it knows (then greets those).
void greet(member self, cluster_member_type other) {
  self->request(other, std::chrono::seconds(10), hello_atom::value, own_entry(self))
      .then(
          [self](std::vector<member_info>& known) {
            for (auto& m : known) {
              bool unknown = m.name != self->state.config.name &&
                             (self->state.members.count(m.name) == 0 || self->state.members[m.name].state != "up");
              auto handle = caf::actor_cast<cluster_member_type>(m.member);
              learn(self, std::move(m));
              if (unknown && handle) greet(self, handle);
            }
          },
          [](caf::error& e) { spdlog::warn("cluster: hello failed: {}", to_string(e)); });
}

// Connects to one --join address, retrying with backoff (bounded), then hands the handle back.
void join(member self, const std::string& address) {
  auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  auto port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  auto connect = self->state.config.connect;
  auto back = caf::actor_cast<caf::actor>(self);
  self->spawn<caf::detached>([=](caf::event_based_actor* joiner) {
    for (int attempt = 0; attempt < 30; ++attempt) {
      auto other = connect(host, port);
      if (other) {
        joiner->send(caf::actor_cast<cluster_member_type>(back), hello_atom::value, member_info{"", address, "", {}, 0, 0, 0, "join", caf::actor_cast<caf::actor>(*other), {}});
        return;
      }
      spdlog::info("cluster: joining {}: {} (attempt {})", address, other.error().message, attempt + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));  // backoff of a retry loop
    }
    spdlog::error("cluster: could not join {}", address);
  });
}

cluster_member_type::behavior_type member_behavior(member self, cluster_config config) {
  self->state.config = std::move(config);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [name, m] : self->state.members)
      if (m.member.address() == dm.source) mark_gone(self->state, m, "its connection closed");
  });
  for (const auto& address : self->state.config.join) join(self, address);
  self->send(self, beat_atom::value);
  return {
      [self](hello_atom, member_info& info) -> caf::result<std::vector<member_info>> {
        if (info.state == "join") {  // from our joiner: greet the member it reached
          greet(self, caf::actor_cast<cluster_member_type>(info.member));
          return std::vector<member_info>{};
        }
        learn(self, std::move(info));
        std::vector<member_info> known{own_entry(self)};
        for (auto& [name, m] : self->state.members)
          if (m.state == "up") known.push_back(m);
        return known;
      },
      [self](directory_atom, member_info& info) { learn(self, std::move(info)); },
      [self](locate_atom, const std::string& hash) -> caf::result<caf::actor> {
        for (auto& [name, m] : self->state.members)
          if (m.state == "up" && m.calls && std::find(m.offers.begin(), m.offers.end(), hash) != m.offers.end())
            return m.calls;
        bool known_gone = false;
        for (auto& [name, m] : self->state.members)
          known_gone |= m.state == "gone" && std::find(m.offers.begin(), m.offers.end(), hash) != m.offers.end();
        if (known_gone) return to_error(fail(offer_errc::offer_unavailable, "offer " + hash + " is held by a member that is gone"));
        return to_error(fail(offer_errc::offer_not_found, "no offer " + hash + " on this node or its cluster"));
      },
      [self](get_atom) {
        std::vector<member_info> all{own_entry(self)};
        all.front().state = "self";
        for (auto& [name, m] : self->state.members) all.push_back(m);
        return all;
      },
      [self](beat_atom) {
        beat(self);
        self->delayed_send(self, self->state.config.heartbeat, beat_atom::value);
      },
  };
}

}  // namespace

cluster_member_type spawn_cluster_member(caf::actor_system& sys, cluster_config config) {
  return sys.spawn(member_behavior, std::move(config));
}

}  // namespace hearth::actors
