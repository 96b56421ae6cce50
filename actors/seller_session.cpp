#include "actors/seller_session.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "actors/job_registry.hpp"
#include "actors/seller_directory.hpp"
#include "crypto/address.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/random.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "protocols/market_wire.hpp"

namespace hearth::actors {
namespace {

constexpr std::size_t max_relays = 256;  // relayed SSH connections through one seller at once

struct seller_session_state {
  seller_link_type link;
  std::shared_ptr<const market_config> config;
  std::string nonce;
  std::int64_t opened_ms = 0;
  bool authenticated = false;
  bool ended = false;
  seller_info info;
  std::unordered_map<std::string, caf::typed_response_promise<job_report>> assigning;  // by job id
  std::unordered_map<std::uint32_t, relay_peer_type> relays;  // buyers' SSH streams through this seller
  static inline const char* name = "seller_session";
};
using session_self = seller_session_type::stateful_pointer<seller_session_state>;

template <class Handle>
Handle named(session_self self, caf::atom_value key) {
  return caf::actor_cast<Handle>(self->system().registry().get(key));
}

void publish(session_self self) {
  if (auto dir = named<seller_directory_type>(self, seller_directory_key))
    self->send(dir, put_atom::value, self->state.info, caf::actor_cast<seller_session_type>(self));
}

// The session's end, once: the seller leaves the directory and its jobs are lost.
void end_session(session_self self, error_code code, const std::string& reason) {
  auto& st = self->state;
  if (st.ended) return;
  st.ended = true;
  self->send(st.link, refuse_atom::value, code, reason);
  for (auto& [job, promise] : st.assigning)
    promise.deliver(to_error(fail(market_errc::seller_unavailable, "the seller went away: " + reason)));
  st.assigning.clear();
  for (auto& [stream, peer] : st.relays) self->send(peer, hangup_atom::value);
  st.relays.clear();
  if (st.authenticated) {
    spdlog::info("seller offline id={} reason=\"{}\"", st.info.id, reason);
    if (auto dir = named<seller_directory_type>(self, seller_directory_key))
      self->send(dir, drop_atom::value, st.info.address, caf::actor_cast<seller_session_type>(self));
    if (auto jobs = named<job_registry_type>(self, job_registry_key))
      self->send(jobs, gone_atom::value, st.info.address, reason);
  }
  self->quit();
}

result<std::string> signer_of(const seller_hello& h, const std::string& nonce) {
  auto claimed = crypto::parse_address(h.address);
  if (!claimed) return fail(market_errc::seller_refused, "address is not an address");
  auto raw = crypto::from_hex(h.signature.rfind("0x", 0) == 0 ? h.signature.substr(2) : h.signature);
  if (!raw) return fail(market_errc::seller_refused, "signature is not hex");
  auto sig = crypto::signature::from_bytes(raw->data(), raw->size());
  if (!sig) return fail(market_errc::seller_refused, "signature is not a 65-byte signature");
  std::string address = crypto::to_0x(claimed->bytes);
  std::string message = protocols::hello_message(nonce, address, h.name);
  auto digest = crypto::personal_message_digest(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
  auto signer = crypto::recover_address(digest, *sig);
  if (!signer || *signer != *claimed)
    return fail(market_errc::seller_refused, "the hello is not signed by " + address + " over this hub's challenge");
  return address;
}

void on_hello(session_self self, seller_hello& h) {
  auto& st = self->state;
  if (st.authenticated) return end_session(self, market_errc::bad_wire_message, "a second hello");
  auto address = signer_of(h, st.nonce);
  if (!address) {
    spdlog::warn("seller refused: {}", address.error().message);
    return end_session(self, address.error().code, address.error().message);
  }
  if (!st.config->accepted_sellers.empty() && !st.config->accepted_sellers.count(*address))
    return end_session(self, market_errc::seller_refused, "this hub does not accept seller " + *address);
  st.authenticated = true;
  auto& i = st.info;
  i.address = *address;
  i.name = h.name;
  i.id = *address + "/" + h.name;
  i.ssh_host = h.ssh_host;
  i.images = std::move(h.images);
  i.price_per_hour = h.price_per_hour;
  i.max_duration_secs = h.max_duration_secs;
  i.total = i.free = h.capacity;
  i.connected_at_ms = i.last_heartbeat_ms = unix_ms();
  spdlog::info("seller online id={} images={} jobs={}", i.id, i.images.size(), i.total.jobs);
  self->send(st.link, welcome_atom::value, i.id);
  publish(self);
}

void on_heartbeat(session_self self, seller_heartbeat& hb) {
  auto& st = self->state;
  if (!st.authenticated) return end_session(self, market_errc::bad_wire_message, "a heartbeat before the hello");
  if (hb.seq <= st.info.heartbeat_seq && st.info.heartbeat_seq != 0) return;  // late or replayed: the newer counts
  auto& i = st.info;
  i.heartbeat_seq = hb.seq;
  i.free = hb.free;
  i.jobs_running = static_cast<std::uint32_t>(hb.jobs.size());
  i.last_heartbeat_ms = unix_ms();
  i.stale = false;
  publish(self);
  if (auto jobs = named<job_registry_type>(self, job_registry_key))
    self->send(jobs, inventory_atom::value, i.address, std::move(hb.jobs));
}

void on_report(session_self self, job_report& r) {
  auto& st = self->state;
  if (!st.authenticated) return end_session(self, market_errc::bad_wire_message, "a report before the hello");
  if (auto it = st.assigning.find(r.job_id); it != st.assigning.end()) {
    it->second.deliver(std::move(r));
    st.assigning.erase(it);
    return;
  }
  if (auto jobs = named<job_registry_type>(self, job_registry_key))
    self->send(jobs, report_atom::value, st.info.address, std::move(r));
}

void on_check(session_self self) {
  auto& st = self->state;
  if (st.ended) return;
  auto now = unix_ms();
  auto beat = st.config->heartbeat.count();
  if (!st.authenticated) {
    if (now - st.opened_ms >= st.config->hello_timeout.count())
      return end_session(self, market_errc::seller_refused, "no hello in time");
  } else {
    auto missed = now - st.info.last_heartbeat_ms;
    if (missed >= beat * st.config->offline_after)
      return end_session(self, market_errc::seller_unavailable, "heartbeats missed for " + std::to_string(missed) + " ms");
    if (missed >= beat * st.config->stale_after && !st.info.stale) {
      st.info.stale = true;
      spdlog::info("seller stale id={} missed_ms={}", st.info.id, missed);
      publish(self);
    }
  }
  self->delayed_send(self, st.config->heartbeat, hb_check_atom::value);
}

}  // namespace

seller_session_type spawn_seller_session(caf::actor_system& sys, seller_link_type link,
                                         std::shared_ptr<const market_config> config) {
  return sys.spawn([](session_self self, seller_link_type link,
                      std::shared_ptr<const market_config> config) -> seller_session_type::behavior_type {
    auto& st = self->state;
    st.link = std::move(link);
    st.config = std::move(config);
    st.opened_ms = unix_ms();
    auto nonce = crypto::random_hex(32);
    if (!nonce) {
      self->send(st.link, refuse_atom::value, nonce.error().code, nonce.error().message);
      self->quit();
    } else {
      st.nonce = *nonce;
      self->send(st.link, challenge_atom::value, st.nonce, static_cast<std::uint64_t>(st.config->heartbeat.count()));
      self->delayed_send(self, st.config->heartbeat, hb_check_atom::value);
    }
    return {
        [self](seller_hello& h) { on_hello(self, h); },
        [self](seller_heartbeat& hb) { on_heartbeat(self, hb); },
        [self](job_report& r) { on_report(self, r); },
        [self](closed_atom) { end_session(self, market_errc::seller_unavailable, "the seller's connection closed"); },
        [self](assign_atom, job_assignment& a) -> caf::result<job_report> {
          auto& st = self->state;
          if (st.ended || !st.authenticated)
            return to_error(fail(market_errc::seller_unavailable, "the seller is not connected"));
          auto promise = self->make_response_promise<job_report>();
          st.assigning.emplace(a.job_id, promise);
          self->send(st.link, std::move(a));
          return promise;
        },
        [self](cancel_atom, const std::string& job, const std::string& reason) {
          self->send(self->state.link, cancel_atom::value, job, reason);
        },
        [self](extend_atom, const std::string& job, std::int64_t expires_at_ms) {
          self->send(self->state.link, extend_atom::value, job, expires_at_ms);
        },
        [self](hb_check_atom) { on_check(self); },
        [self](relay_atom, std::uint32_t stream, std::string& job, relay_peer_type& peer) {
          auto& st = self->state;
          if (st.ended || !st.authenticated || st.relays.size() >= max_relays || st.relays.count(stream))
            return self->send(peer, hangup_atom::value);
          st.relays.emplace(stream, peer);
          self->send(st.link, relay_atom::value, stream, std::move(job));
        },
        [self](input_atom, std::uint32_t stream, std::string& bytes) {
          if (self->state.relays.count(stream)) self->send(self->state.link, input_atom::value, stream, std::move(bytes));
        },
        [self](output_atom, std::uint32_t stream, std::string& bytes) {
          if (auto it = self->state.relays.find(stream); it != self->state.relays.end())
            self->send(it->second, output_atom::value, std::move(bytes));
        },
        [self](hangup_atom, std::uint32_t stream) {
          auto& st = self->state;
          auto it = st.relays.find(stream);
          if (it == st.relays.end()) return;
          self->send(it->second, hangup_atom::value);
          st.relays.erase(it);
          self->send(st.link, hangup_atom::value, stream);
        },
    };
  }, std::move(link), std::move(config));
}

}  // namespace hearth::actors
