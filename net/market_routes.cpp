#include "net/market_routes.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <mutex>

#include "actors/job_registry.hpp"
#include "actors/seller_directory.hpp"
#include "actors/seller_session.hpp"
#include "messages/interfaces.hpp"
#include "net/actor_ask.hpp"
#include "net/owner_auth.hpp"
#include "net/x402_edge.hpp"
#include "net/rate_limiter.hpp"
#include "protocols/job_submit.hpp"
#include "protocols/market_wire.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

constexpr std::uint64_t default_wait_secs = 20;

// ---- JSON ----

std::string known_hosts_line(const job_access& a) {
  if (a.ssh_host_key.empty()) return "";
  std::string host = a.ssh_port == 22 ? a.ssh_host : "[" + a.ssh_host + "]:" + std::to_string(a.ssh_port);
  return host + " " + a.ssh_host_key;
}

json job_json(const job_record& j) {
  json history = json::array();
  for (const auto& e : j.history) history.push_back({{"state", state_name(e.state)}, {"reason", e.reason}, {"at", iso_time(e.at_ms)}});
  bool reachable = j.state == job_state::running;
  json out = {{"job_id", j.id},
              {"state", state_name(j.state)},
              {"reason", j.reason},
              {"seller_id", j.seller_id.empty() ? json(nullptr) : json(j.seller_id)},
              {"home_node", j.home_node.empty() ? json(nullptr) : json(j.home_node)},
              {"seller_ip", reachable ? json(j.access.ssh_host) : json(nullptr)},
              {"ssh_port", reachable ? json(j.access.ssh_port) : json(nullptr)},
              {"ssh_user", reachable ? json(j.access.ssh_user) : json(nullptr)},
              {"ssh_host_key", reachable ? json(known_hosts_line(j.access)) : json(nullptr)},
              {"preferred_image", j.spec.image},
              {"cpus", j.spec.cpus},
              {"mem_mb", j.spec.mem_mb},
              {"duration_secs", j.spec.duration_secs},
              {"price_per_hour", j.price_per_hour},
              {"price_paid", j.price},
              {"created_at", iso_time(j.created_at_ms)},
              {"updated_at", iso_time(j.updated_at_ms)},
              {"expires_at", j.expires_at_ms ? json(iso_time(j.expires_at_ms)) : json(nullptr)},
              {"history", history}};
  if (!j.token.empty()) out["job_token"] = j.token;
  return out;
}

json seller_json(const seller_info& s) {
  auto cap = [](const market_capacity& c) { return json{{"cpus", c.cpus}, {"mem_mb", c.mem_mb}, {"jobs", c.jobs}}; };
  return {{"id", s.id},
          {"address", s.address},
          {"name", s.name},
          {"ssh_host", s.ssh_host},
          {"images", s.images},
          {"price_per_hour", s.price_per_hour},
          {"max_duration_secs", s.max_duration_secs},
          {"capacity", {{"total", cap(s.total)}, {"free", cap(s.free)}}},
          {"jobs_running", s.jobs_running},
          {"state", s.stale ? "stale" : "online"},
          {"connected_at", iso_time(s.connected_at_ms)},
          {"last_heartbeat", iso_time(s.last_heartbeat_ms)},
          {"heartbeat_seq", s.heartbeat_seq}};
}

// ---- the seller WebSocket ----

// The socket's side of seller_link_type: encodes what the session says.
seller_link_type::behavior_type socket_link(seller_link_type::pointer self, std::shared_ptr<websocket_channel> ch) {
  auto send = [ch](protocols::hub_message m) { ch->send(protocols::encode(m), false); };
  auto session = std::make_shared<seller_session_type>();
  return {
      [send](challenge_atom, std::string& nonce, std::uint64_t heartbeat_ms) {
        send(protocols::wire_challenge{std::move(nonce), heartbeat_ms});
      },
      [send](welcome_atom, std::string& id) { send(protocols::wire_welcome{std::move(id)}); },
      [send](job_assignment& a) { send(std::move(a)); },
      [send](cancel_atom, std::string& job, std::string& reason) { send(protocols::wire_cancel{std::move(job), std::move(reason)}); },
      [send](extend_atom, std::string& job, std::int64_t until) { send(protocols::wire_extend{std::move(job), until}); },
      [self, send, ch](refuse_atom, error_code code, std::string& message) {
        send(protocols::wire_refused{std::string(code_name(code)), message});
        ch->close(code == market_errc::seller_refused ? 1008 : 1000, message.substr(0, 120));
        self->quit();
      },
      [send](relay_atom, std::uint32_t stream, std::string& job) { send(protocols::wire_open{stream, std::move(job)}); },
      [send](hangup_atom, std::uint32_t stream) { send(protocols::wire_close{stream}); },
      [self, ch, session](input_atom, std::uint32_t stream, std::string& bytes) {
        // Never waits: a seller that does not read loses the stream, not the hub a thread.
        if (!ch->try_send(protocols::relay_frame(stream, bytes), true) && *session)
          self->send(*session, hangup_atom::value, stream);
      },
      [session](attach_atom, seller_session_type& s) { *session = std::move(s); },
  };
}

// The buyer's end of one relayed SSH connection: writes the seller's bytes
// to the buyer's socket (detached: a send waits for a buyer that does not read).
relay_peer_type::behavior_type buyer_peer(relay_peer_type::pointer self, std::shared_ptr<websocket_channel> ch) {
  return {
      [ch](output_atom, std::string& bytes) { ch->send(std::move(bytes), true); },
      [self, ch](hangup_atom) {
        ch->close(1000, "the job's sshd closed the connection");
        self->quit();
      },
  };
}

std::atomic<std::uint32_t> next_stream{1};

// GET /jobs/{id}/ssh as a WebSocket: binary messages are the SSH connection's bytes both ways.
std::shared_ptr<websocket_handler> relay_socket(caf::actor_system& sys, seller_session_type session, std::string job) {
  auto stream = next_stream.fetch_add(1);
  auto h = std::make_shared<websocket_handler>();
  h->on_open = [&sys, session, job, stream](std::shared_ptr<websocket_channel> ch) {
    auto peer = sys.spawn<caf::detached>(buyer_peer, std::move(ch));
    caf::anon_send(session, relay_atom::value, stream, job, peer);
  };
  h->on_message = [session, stream](std::string data, bool binary) {
    if (!binary) return;  // text frames carry nothing here
    for (std::size_t at = 0; at < data.size(); at += protocols::max_relay_chunk)
      caf::anon_send(session, input_atom::value, stream, data.substr(at, protocols::max_relay_chunk));
  };
  h->on_close = [session, stream] { caf::anon_send(session, hangup_atom::value, stream); };
  return h;
}

std::shared_ptr<websocket_handler> seller_socket(caf::actor_system& sys, std::shared_ptr<const actors::market_config> config) {
  struct session_slot {
    std::mutex mu;
    seller_session_type session;
  };
  auto slot = std::make_shared<session_slot>();
  auto h = std::make_shared<websocket_handler>();
  h->on_open = [&sys, slot, config](std::shared_ptr<websocket_channel> ch) {
    auto link = sys.spawn(socket_link, std::move(ch));
    std::lock_guard lock(slot->mu);
    slot->session = actors::spawn_seller_session(sys, link, config);
    caf::anon_send(link, attach_atom::value, slot->session);
  };
  h->on_message = [slot](std::string data, bool binary) {
    seller_session_type session;
    {
      std::lock_guard lock(slot->mu);
      session = slot->session;
    }
    if (!session) return;
    if (binary) {  // a relayed stream's bytes
      std::uint32_t stream = 0;
      std::string_view bytes;
      if (!protocols::parse_relay_frame(data, stream, bytes)) return caf::anon_send(session, closed_atom::value);
      return caf::anon_send(session, output_atom::value, stream, std::string(bytes));
    }
    auto m = protocols::decode_seller_message(data);
    if (!m) return caf::anon_send(session, closed_atom::value);
    std::visit(
        [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, protocols::wire_close>) caf::anon_send(session, hangup_atom::value, x.stream);
          else caf::anon_send(session, std::move(x));
        },
        *m);
  };
  h->on_close = [slot] {
    std::lock_guard lock(slot->mu);
    if (slot->session) caf::anon_send(slot->session, closed_atom::value);
  };
  return h;
}

// The relay to a running job's seller, on whichever member its session is.
void open_relay(caf::actor_system& sys, responder respond, std::string id, std::string token, bool owner) {
  ask_actor<job_registry_type, seller_session_type>(
      sys, actors::job_registry_key, std::move(respond),
      [&sys, id](seller_session_type& session) {
        http_response r;
        r.status = 101;
        r.upgrade = relay_socket(sys, session, id);
        return r;
      },
      relay_atom::value, id, std::move(token), owner);
}

// ---- routes ----

std::string job_token(const http_request& req) { return bearer_token(req); }

}  // namespace

bool route_market(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  const std::string& p = req.path;
  if (p == "/sellers/online") {
    if (req.method != "GET") return respond(method_not_allowed(req, "GET")), true;
    ask_actor<seller_directory_type, std::vector<seller_info>>(
        sys, actors::seller_directory_key, std::move(respond),
        [](std::vector<seller_info>& sellers) {
          json out = json::array();
          for (const auto& s : sellers) out.push_back(seller_json(s));
          return json_response(200, out);
        },
        list_atom::value);
    return true;
  }
  if (p == "/market/sellers") {
    if (!req.websocket_upgrade)
      return respond(json_error(http_errc::upgrade_required, "sellers connect here with a WebSocket")), true;
    if (!info.market) return respond(json_error(http_errc::not_found, "this node is not a hub")), true;
    http_response r;
    r.status = 101;
    r.upgrade = seller_socket(sys, info.market);
    respond(std::move(r));
    return true;
  }
  if (p == "/jobs/submit") {
    if (req.method != "POST") return respond(method_not_allowed(req, "POST")), true;
    bool owner = is_owner(req, info);
    if (!owner && !info.market_open_submit)
      return respond(json_error(http_errc::unauthorized, "this hub takes jobs from its host only (host token)")), true;
    std::chrono::milliseconds retry{0};
    if (!owner && info.submit_limit && !info.submit_limit->allow(req.remote_address, &retry)) {
      auto r = json_error(market_errc::submit_limited, "too many submissions from " + req.remote_address);
      r.headers.emplace_back("Retry-After", std::to_string(retry.count() / 1000 + 1));
      return respond(std::move(r)), true;
    }
    auto spec = protocols::read_job_submit(req.body);
    if (!spec) return respond(failure_response(spec.error())), true;
    std::uint64_t wait = default_wait_secs;
    if (auto w = query_param(req.query, "wait"); !w.empty()) {
      if (w.size() > 3 || w.find_first_not_of("0123456789") != std::string::npos || std::stoull(w) > 25)
        return respond(json_error(http_errc::bad_query, "wait is 0 to 25 seconds")), true;
      wait = std::stoull(w);
    }
    bool browser = wants_payment_page(req);
    ask_actor<job_registry_type, job_submission>(
        sys, actors::job_registry_key, std::move(respond),
        [browser](job_submission& s) {
          if (s.job.id.empty()) return challenge_response(to_requirements(s.payment_options), s.payment_error, browser);
          const auto& j = s.job;
          if (j.state == job_state::failed) return json_error(market_errc::provision_failed, j.reason);
          auto r = json_response(j.state == job_state::running ? 200 : 202, job_json(j));
          if (s.has_receipt) add_receipt(r, s.receipt);
          return r;
        },
        submit_atom::value, std::move(*spec), read_call_payment(req), wait * 1000);
    return true;
  }
  if (p == "/jobs") {
    if (req.method != "GET") return respond(method_not_allowed(req, "GET")), true;
    if (!is_owner(req, info))
      return respond(json_error(http_errc::unauthorized, "the job listing is the host's (host token)")), true;
    std::string limit_text = query_param(req.query, "limit");
    std::uint32_t limit = 100;
    if (!limit_text.empty()) {
      if (limit_text.size() > 4 || limit_text.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(limit_text) < 1 || std::stoul(limit_text) > 1000)
        return respond(json_error(http_errc::bad_query, "limit is 1 to 1000")), true;
      limit = static_cast<std::uint32_t>(std::stoul(limit_text));
    }
    ask_actor<job_registry_type, std::vector<job_record>>(
        sys, actors::job_registry_key, std::move(respond),
        [limit](std::vector<job_record>& jobs) {
          json items = json::array();
          for (const auto& j : jobs) items.push_back(job_json(j));
          json next = jobs.size() == limit ? json(jobs.back().id) : json(nullptr);
          return json_response(200, {{"jobs", items}, {"next", next}});
        },
        list_atom::value, query_param(req.query, "state"), query_param(req.query, "after"), limit);
    return true;
  }
  if (p.rfind("/jobs/", 0) != 0) return false;
  std::string rest = p.substr(6);
  std::string id = rest.substr(0, rest.find('/'));
  std::string action = rest.size() > id.size() ? rest.substr(id.size() + 1) : "";
  bool owner = is_owner(req, info);
  std::string token = job_token(req);
  if (!owner && token.empty())
    return respond(json_error(http_errc::unauthorized, "a job is its submitter's: send its job_token as Bearer")), true;
  auto answer = [](job_record& j) { return json_response(200, job_json(j)); };
  if (action == "ssh") {
    if (!req.websocket_upgrade)
      return respond(json_error(http_errc::upgrade_required, "the SSH relay is a WebSocket (hearth job ssh --relay)")), true;
    open_relay(sys, std::move(respond), id, token, owner);
    return true;
  }
  if (action.empty() && req.method == "GET") {
    ask_actor<job_registry_type, job_record>(sys, actors::job_registry_key, std::move(respond), answer, get_atom::value,
                                             id, token, owner);
  } else if (action.empty() && req.method == "DELETE") {
    ask_actor<job_registry_type, job_record>(sys, actors::job_registry_key, std::move(respond), answer,
                                             cancel_atom::value, id, token, owner);
  } else if (action == "extend" && req.method == "POST") {
    auto more = protocols::read_job_extend(req.body);
    if (!more) return respond(failure_response(more.error())), true;
    bool browser = wants_payment_page(req);
    ask_actor<job_registry_type, job_submission>(
        sys, actors::job_registry_key, std::move(respond),
        [browser](job_submission& s) {
          if (s.job.id.empty()) return challenge_response(to_requirements(s.payment_options), s.payment_error, browser);
          auto r = json_response(200, job_json(s.job));
          if (s.has_receipt) add_receipt(r, s.receipt);
          return r;
        },
        extend_atom::value, id, token, owner, *more, read_call_payment(req));
  } else {
    respond(method_not_allowed(req, action.empty() ? "GET, DELETE" : action == "extend" ? "POST" : "GET"));
  }
  return true;
}

}  // namespace hearth::net
