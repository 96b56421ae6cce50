#include "net/couch_routes.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <ctime>

#include "actors/couch_registry.hpp"
#include "messages/couch.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "messages/interfaces.hpp"
#include "net/actor_ask.hpp"
#include "net/stream_ack.hpp"
#include "net/couch_terminal.hpp"
#include "net/owner_auth.hpp"
#include "protocols/couch_bodies.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

json limits_json(const resource_limits& l) {
  return {{"maxCpuCores", l.max_cpu_cores},         {"maxMemoryMB", l.max_memory_mb},
          {"maxDiskGB", l.max_disk_gb},             {"maxNetworkEgressGB", l.max_network_egress_gb},
          {"maxDurationHours", l.max_duration_hours}, {"maxTokenBudget", l.max_token_budget}};
}

json permissions_json(const guest_permissions& p) {
  return {{"canAccessInternet", p.can_access_internet},
          {"canSpawnSubAgents", p.can_spawn_sub_agents},
          {"canAccessHostServices", p.can_access_host_services}};
}

json usage_json(const guest_usage& u) {
  return {{"cpuSeconds", u.cpu_secs},          {"memoryMB", u.memory_mb}, {"diskMB", u.disk_mb},
          {"networkEgressMB", u.network_egress_mb}, {"tokensIn", u.tokens_in}, {"tokensOut", u.tokens_out}};
}

json invite_json(const invite_record& v) {
  json j = {{"id", v.id},
            {"createdBy", v.created_by},
            {"label", v.label},
            {"resourceLimits", limits_json(v.limits)},
            {"permissions", permissions_json(v.permissions)},
            {"status", state_name(v.state)},
            {"createdAt", iso_time(v.created_at_ms)},
            {"expiresAt", iso_time(v.expires_at_ms)},
            {"redeemedBy", v.guest_id.empty() ? json(nullptr) : json(v.guest_id)}};
  if (!v.code.empty()) j["code"] = v.code;
  return j;
}

json guest_json(const guest_record& g, const std::string& base) {
  return {{"id", g.id},
          {"guestId", g.id},
          {"name", g.name},
          {"inviteId", g.invite_id},
          {"status", state_name(g.state)},
          {"reason", g.reason.empty() ? json(nullptr) : json(g.reason)},
          {"resourceLimits", limits_json(g.limits)},
          {"permissions", permissions_json(g.permissions)},
          {"createdAt", iso_time(g.created_at_ms)},
          {"expiresAt", iso_time(g.expires_at_ms)},
          {"activatedAt", g.activated_at_ms ? json(iso_time(g.activated_at_ms)) : json(nullptr)},
          {"agentEndpoint", g.agent_endpoint.empty()     ? json(nullptr)
                            : g.agent_endpoint[0] == '/' ? json(base + g.agent_endpoint)
                                                         : json(g.agent_endpoint)},
          // The local environments' WebSocket terminal, beside their exec API.
          {"terminalEndpoint", g.agent_endpoint == "/couch/guest/exec" && base.rfind("http://", 0) == 0
                                   ? json("ws://" + base.substr(7) + "/couch/guest/terminal")
                                   : json(nullptr)},
          // The cluster member whose environment runs it (null outside a cluster).
          {"homeNode", g.home_node.empty() ? json(nullptr) : json(g.home_node)},
          {"usage", usage_json(g.usage)}};
}

// Usage against each limit, as GET /couch/guests/:id/status shows it.
json status_json(const guest_record& g, const std::string& base) {
  const auto& u = g.usage;
  const auto& l = g.limits;
  auto check = [](const char* name, double used, double limit) {
    return json{{"resource", name}, {"used", used}, {"limit", limit}, {"exceeded", limit > 0 && used > limit}};
  };
  json checks = json::array({check("memoryMB", static_cast<double>(u.memory_mb), static_cast<double>(l.max_memory_mb)),
                             check("diskMB", static_cast<double>(u.disk_mb), static_cast<double>(l.max_disk_gb * 1024)),
                             check("networkEgressMB", static_cast<double>(u.network_egress_mb),
                                   static_cast<double>(l.max_network_egress_gb * 1024)),
                             check("tokens", static_cast<double>(u.tokens_in + u.tokens_out),
                                   static_cast<double>(l.max_token_budget))});
  bool within = true;
  for (const auto& c : checks) within = within && !c["exceeded"].get<bool>();
  json j = guest_json(g, base);
  j["limitChecks"] = checks;
  j["withinLimits"] = within;
  return j;
}

http_response bad_request(const std::string& why) { return json_error(http_errc::bad_request, why); }

json exec_json(const exec_result& r) {
  return {{"ending", r.ending},        {"exitCode", r.exit_code},     {"signal", r.signal},
          {"stdout", r.stdout_data},   {"stderr", r.stderr_data},     {"cpuSeconds", r.cpu_secs},
          {"wallSeconds", r.wall_secs}, {"peakMemoryMB", r.peak_memory_bytes >> 20}};
}

// "stream": true: once the token's guest is known to be running, the answer
// is NDJSON sent as the command writes: {"stdout": "..."} / {"stderr": "..."}
// lines, then {"exit": {...}} (or {"error": {...}}). The actor is the
// command's exec_stream_type: each chunk acknowledged as the client reads.
struct exec_edge_state {
  std::shared_ptr<body_stream> body;
  caf::typed_response_promise<bool> waiting;
  static inline const char* name = "exec_edge";
};
using exec_edge = exec_stream_type::stateful_pointer<exec_edge_state>;

void end_stream(exec_edge self, const json& last) {
  (void)self->state.body->offer(last.dump() + "\n", nullptr);
  self->state.body->finish();
  self->quit();
}

exec_stream_type::behavior_type stream_exec(exec_edge self, std::string token, exec_request er, responder respond) {
  auto couch = caf::actor_cast<couch_registry_type>(self->system().registry().get(actors::couch_registry_key));
  if (!couch) {
    respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
    self->quit();
  } else {
    self->request(couch, ask_timeout, token_atom::value, token)
        .then(
            [=](guest_record& g) {
              if (g.state != guest_state::running) {
                respond(json_error(g.state == guest_state::revoked ? error_code(couch_errc::guest_revoked)
                                                                   : error_code(couch_errc::guest_not_running),
                                   "the guest's environment is not running"));
                return self->quit();
              }
              self->state.body = std::make_shared<body_stream>();
              respond(http_response{200, {{"Content-Type", "application/x-ndjson"}, {"Cache-Control", "no-store"}}, "",
                                    self->state.body});
              self->request(couch, caf::infinite, exec_atom::value, token, er, caf::actor_cast<exec_stream_type>(self))
                  .then(
                      [=](exec_result& r) {
                        json done = exec_json(r);
                        done.erase("stdout");
                        done.erase("stderr");
                        end_stream(self, json{{"exit", done}});
                      },
                      [=](caf::error& e) {
                        auto f = to_failure(e, self->system().render(e));
                        end_stream(self, json{{"error", {{"code", code_name(f.code)}, {"message", f.message}}}});
                      });
            },
            [=](caf::error& e) {
              respond(failure_response(to_failure(e, self->system().render(e))));
              self->quit();
            });
  }
  return {
      [=](output_atom, std::int32_t fd, std::string& data) -> caf::result<bool> {
        if (!self->state.body) return false;
        std::string line = json{{fd == 1 ? "stdout" : "stderr", std::move(data)}}.dump() + "\n";
        return offer_chunk<exec_stream_type>(self, *self->state.body, std::move(line), self->state.waiting);
      },
      [=](room_atom) { room_for_more(self->state.waiting); },
  };
}

void route_host(caf::actor_system& sys, http_request& req, responder respond) {
  std::string base = "http://" + std::string(req.header("Host"));
  const std::string& p = req.path;
  if (p == "/couch/invites") {
    if (req.method == "POST") {
      auto ir = protocols::read_invite_body(req.body);
      if (!ir) return respond(failure_response(ir.error()));
      return ask_actor<couch_registry_type, invite_record>(
          sys, actors::couch_registry_key, std::move(respond),
          [](invite_record& v) { return json_response(201, invite_json(v)); }, put_atom::value, *ir);
    }
    if (req.method != "GET") return respond(method_not_allowed(req, "GET, POST"));
    auto page = page_limit(req.query);
    if (!page) return respond(bad_request("limit is a number from 1 to 1000"));
    std::string status = query_param(req.query, "status");
    if (!status.empty() && status != "active" && status != "redeemed" && status != "revoked" && status != "expired")
      return respond(bad_request("status is active, redeemed, revoked or expired"));
    return ask_actor<couch_registry_type, std::vector<invite_record>>(
        sys, actors::couch_registry_key, std::move(respond),
        [](std::vector<invite_record>& rows) {
          json items = json::array();
          for (const auto& v : rows) items.push_back(invite_json(v));
          return json_response(200, {{"invites", items}, {"count", items.size()}});
        },
        invites_atom::value, status, query_param(req.query, "after"), *page);
  }
  if (p.rfind("/couch/invites/", 0) == 0) {
    if (req.method != "DELETE") return respond(method_not_allowed(req, "DELETE"));
    return ask_actor<couch_registry_type, invite_record>(
        sys, actors::couch_registry_key, std::move(respond),
        [](invite_record& v) { return json_response(200, invite_json(v)); }, revoke_atom::value, invites_atom::value,
        p.substr(15));
  }
  if (p == "/couch/guests") {
    if (req.method != "GET") return respond(method_not_allowed(req, "GET"));
    auto page = page_limit(req.query);
    if (!page) return respond(bad_request("limit is a number from 1 to 1000"));
    return ask_actor<couch_registry_type, std::vector<guest_record>>(
        sys, actors::couch_registry_key, std::move(respond),
        [base](std::vector<guest_record>& rows) {
          json items = json::array();
          for (const auto& g : rows) items.push_back(guest_json(g, base));  // token hashes are never shown
          return json_response(200, {{"guests", items}, {"count", items.size()}});
        },
        guests_atom::value, query_param(req.query, "after"), *page);
  }
  if (p.rfind("/couch/guests/", 0) == 0) {
    std::string rest = p.substr(14);
    std::string id = rest.substr(0, rest.find('/'));
    std::string action = rest.size() > id.size() ? rest.substr(id.size() + 1) : "";
    auto answer = [base](guest_record& g) { return json_response(200, guest_json(g, base)); };
    if (action.empty()) {
      if (req.method != "DELETE") return respond(method_not_allowed(req, "DELETE"));
      return ask_actor<couch_registry_type, guest_record>(sys, actors::couch_registry_key, std::move(respond), answer, revoke_atom::value,
                                     guests_atom::value, id);
    }
    if (action == "status") {
      if (req.method != "GET") return respond(method_not_allowed(req, "GET"));
      return ask_actor<couch_registry_type, guest_record>(
          sys, actors::couch_registry_key, std::move(respond),
          [base](guest_record& g) { return json_response(200, status_json(g, base)); }, get_atom::value, guests_atom::value, id);
    }
    if (action == "activate") {
      if (req.method != "POST") return respond(method_not_allowed(req, "POST"));
      auto endpoint = protocols::read_activate_body(req.body);
      if (!endpoint) return respond(failure_response(endpoint.error()));
      return ask_actor<couch_registry_type, guest_record>(sys, actors::couch_registry_key, std::move(respond), answer, activate_atom::value,
                                     id, *endpoint);
    }
    if (action == "usage") {
      if (req.method != "PUT") return respond(method_not_allowed(req, "PUT"));
      auto u = protocols::read_usage_body(req.body);
      if (!u) return respond(failure_response(u.error()));
      return ask_actor<couch_registry_type, guest_record>(
          sys, actors::couch_registry_key, std::move(respond),
          [base](guest_record& g) { return json_response(200, status_json(g, base)); }, usage_atom::value, id, *u);
    }
  }
  respond(json_error(http_errc::not_found, "no such endpoint"));
}

}  // namespace

bool route_couch(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  if (req.path.rfind("/couch/", 0) != 0) return false;
  if (req.path == "/couch/redeem") {
    if (req.method != "POST") {
      respond(method_not_allowed(req, "POST"));
      return true;
    }
    auto r = protocols::read_redeem_body(req.body);
    if (!r) {
      respond(failure_response(r.error()));
      return true;
    }
    ask_actor<couch_registry_type, guest_record>(
        sys, actors::couch_registry_key, std::move(respond),
        [](guest_record& g) {
          return json_response(201, {{"guestId", g.id},
                                     {"status", state_name(g.state)},
                                     {"authToken", g.token},
                                     {"resourceLimits", limits_json(g.limits)},
                                     {"permissions", permissions_json(g.permissions)},
                                     {"expiresAt", iso_time(g.expires_at_ms)},
                                     {"agentEndpoint", nullptr}});
        },
        redeem_atom::value, *r);
    return true;
  }
  if (req.path == "/couch/status") {
    if (req.method != "GET") {
      respond(method_not_allowed(req, "GET"));
      return true;
    }
    std::string token = query_param(req.query, "token");
    if (token.empty()) token = bearer_token(req);
    if (token.empty()) {
      respond(json_error(http_errc::unauthorized, "give the guest token as ?token= or Authorization: Bearer"));
      return true;
    }
    std::string base = "http://" + std::string(req.header("Host"));
    ask_actor<couch_registry_type, guest_record>(
        sys, actors::couch_registry_key, std::move(respond),
        [base](guest_record& g) {
          if (g.state == guest_state::revoked) return json_error(couch_errc::guest_revoked, "this guest was revoked: " + g.reason);
          return json_response(200, guest_json(g, base));
        },
        token_atom::value, token);
    return true;
  }
  if (req.path == "/couch/guest/terminal") {
    std::string token = query_param(req.query, "token");
    if (token.empty()) token = bearer_token(req);
    if (token.empty()) {
      respond(json_error(http_errc::unauthorized, "give the guest token as ?token= or Authorization: Bearer"));
      return true;
    }
    open_guest_terminal(sys, req, std::move(respond), std::move(token));
    return true;
  }
  if (req.path == "/couch/guest/exec") {
    if (req.method != "POST") {
      respond(method_not_allowed(req, "POST"));
      return true;
    }
    std::string token = bearer_token(req);
    if (token.empty()) {
      respond(json_error(http_errc::unauthorized, "give the guest token as Authorization: Bearer"));
      return true;
    }
    auto body = protocols::read_exec_body(req.body);
    if (!body) {
      respond(failure_response(body.error()));
      return true;
    }
    auto& er = body->request;
    if (body->stream) {
      sys.spawn(stream_exec, token, er, std::move(respond));
      return true;
    }
    ask_actor<couch_registry_type, exec_result>(
        sys, actors::couch_registry_key, std::move(respond),
        [](exec_result& r) { return json_response(200, exec_json(r)); }, exec_atom::value, token, er, exec_stream_type{});
    return true;
  }
  if (!is_owner(req, info)) {
    respond(json_error(http_errc::unauthorized, "host endpoints need Authorization: Bearer <host token>"));
    return true;
  }
  route_host(sys, req, std::move(respond));
  return true;
}

}  // namespace hearth::net
