#include "net/node_routes.hpp"

#include "messages/interfaces.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cctype>

#include "actors/cluster_member.hpp"
#include "actors/node_actor.hpp"
#include "actors/offer_registry.hpp"
#include "actors/pool_ledger.hpp"
#include "actors/root_supervisor.hpp"
#include "messages/node.hpp"
#include "net/offer_routes.hpp"
#include "net/couch_routes.hpp"
#include "net/edge_bridge.hpp"
#include "net/index_page.hpp"
#include "net/market_routes.hpp"
#include "net/mcp_routes.hpp"
#include "net/metrics_routes.hpp"
#include "net/openapi_document.hpp"
#include "net/payment_routes.hpp"
#include "net/task_routes.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;
// Each ask runs in a bridge, which keeps the request's deadline (5 s).
constexpr auto ask_timeout = caf::infinite;
constexpr auto answer_within = std::chrono::seconds(5);

http_response with_no_store(http_response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

json pools_json(const std::vector<pool_use>& pools) {
  json out = json::array();
  for (const auto& p : pools)
    out.push_back({{"name", p.name},
                   {"capacity", p.capacity},
                   {"kind", p.period_secs ? "calls_per_period" : "runs_at_once"},
                   {"period_secs", p.period_secs},
                   {"in_use", p.in_use},
                   {"free_calls", p.free_calls},
                   {"calls_when_full", p.full_calls},
                   {"period_ends_at_ms", p.period_ends_at_ms}});
  return out;
}

json settlement_json(const node_info& info, const std::vector<chain_status>& chains) {
  json out = {{"backend", info.settlement}};
  if (info.settlement != "chain") return out;
  json list = json::array();
  bool low = false;
  for (const auto& c : chains) {
    low |= c.low_balance;
    list.push_back({{"network", c.network},
                    {"sender", c.sender},
                    {"balance_wei", c.balance_wei},
                    {"low_balance", c.low_balance},
                    {"pending_transactions", c.pending},
                    {"settled", c.settled},
                    {"gas_cost_per_settlement_wei", c.last_gas_cost_wei},
                    {"average_gas_cost_per_settlement_wei", c.average_gas_cost_wei},
                    {"queued_for_pass", c.queued},
                    {"next_pass_at_ms", c.next_pass_ms},
                    {"error", c.error}});
  }
  out["chains"] = list;
  out["batch_secs"] = info.settle_batch_secs;
  if (low) out["warning"] = "a settlement key is low on gas money: settlements will fail once it cannot pay";
  return out;
}

json health_json(const node_info& info, const supervisor_report& report, const node_meta& meta,
                 const std::vector<chain_status>& chains, const std::vector<pool_use>& pools) {
  bool all_alive = true;
  json children = json::array();
  for (const auto& c : report.children) {
    all_alive &= c.alive;
    children.push_back({{"name", c.name}, {"alive", c.alive}, {"restarts", c.restarts}});
  }
  double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - info.started).count();
  return {
      {"status", all_alive ? "ok" : "degraded"},
      {"version", info.version},
      {"uptime_seconds", uptime},
      {"node",
       {{"address", info.node_address},
        {"owner", info.owner},
        {"owner_is_node_key", info.owner == info.node_address},
        {"arch", info.arch},
        {"cpu_units", info.cpu_units}}},
      {"pools", pools_json(pools)},
      {"storage",
       {{"data_dir", info.data_dir},
        {"start_count", meta.start_count},
        {"previous_stop", meta.previous_stop_clean ? "clean" : "unclean"},
        {"unclean_stops", meta.unclean_stops}}},
      {"actors", {{"running", report.running_actors}, {"children", children}}},
      {"isolation", {{"enforced", info.isolation}, {"missing", info.isolation_missing}, {"waived", info.isolation_waived}}},
      {"settlement", settlement_json(info, chains)},
  };
}

// A Host header fit to show in the commands of the index: a name or an address, a port.
bool host_name_safe(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (unsigned char c : host)
    if (!std::isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') return false;
  return true;
}

http_response unavailable(const caf::actor_system& sys, const caf::error& e) {
  return json_error(http_errc::node_unavailable, "node actors did not answer: " + sys.render(e));
}

// The pools' use (none when the node has no pool ledger or it does not answer).
void ask_pools(caf::event_based_actor* self, std::function<void(std::vector<pool_use>)> then) {
  auto pools = caf::actor_cast<pool_ledger_type>(self->system().registry().get(actors::pool_ledger_key));
  if (!pools) return then({});
  self->request(pools, ask_timeout, get_atom::value)
      .then([then](std::vector<pool_use>& use) { then(std::move(use)); }, [then](caf::error&) { then({}); });
}

// The offers' page, then the pools, then the page.
void ask_index(caf::event_based_actor* self, const std::shared_ptr<const node_info>& info, index_view view,
               std::string after, std::uint32_t limit, const responder& respond) {
  auto offers = caf::actor_cast<offer_registry_type>(self->system().registry().get(actors::offer_registry_key));
  if (!offers) return respond(json_error(http_errc::node_unavailable, "node actors are restarting"));
  self->request(offers, ask_timeout, list_atom::value, after, limit)
      .then(
          [=](std::vector<stored_offer>& page) mutable {
            if (page.size() == limit) view.next = page.back().hash;
            view.tool_names = mcp_tool_names(page);
            view.offers = std::move(page);
            ask_pools(self, [=](std::vector<pool_use> pools) mutable {
              view.pools = std::move(pools);
              respond(index_page(*info, view));
            });
          },
          [=](caf::error& e) { respond(unavailable(self->system(), e)); });
}

// The chain settlers one after another (each reads its key's balance).
void ask_chains(caf::event_based_actor* self, const std::shared_ptr<const node_info>& info, supervisor_report report, node_meta meta,
                std::vector<chain_status> done, const responder& respond) {
  if (done.size() == info->chain_settlers.size())
    return ask_pools(self, [=](std::vector<pool_use> pools) {
      respond(with_no_store(json_response(200, health_json(*info, report, meta, done, pools))));
    });
  self->request(info->chain_settlers[done.size()], ask_timeout, get_atom::value)
      .then(
          [=](chain_status& s) mutable {
            done.push_back(std::move(s));
            ask_chains(self, info, std::move(report), std::move(meta), std::move(done), respond);
          },
          [=](caf::error& e) mutable {
            chain_status s;
            s.error = "the settler did not answer: " + self->system().render(e);
            done.push_back(std::move(s));
            ask_chains(self, info, std::move(report), std::move(meta), std::move(done), respond);
          });
}

// Asks the supervisor, the node actor, the chain settlers and the pools in
// turn, then answers.
void ask_health(caf::event_based_actor* self, const std::shared_ptr<const node_info>& info, const responder& respond) {
  auto& reg = self->system().registry();
  auto sup = caf::actor_cast<root_supervisor_type>(reg.get(actors::root_supervisor_key));
  auto node = caf::actor_cast<node_actor_type>(reg.get(actors::node_actor_key));
  if (!sup || !node) return respond(json_error(http_errc::node_unavailable, "node actors are restarting"));
  self->request(sup, ask_timeout, health_atom::value)
      .then(
          [=](supervisor_report& report) {
            self->request(node, ask_timeout, get_atom::value)
                .then([=](node_meta& meta) { ask_chains(self, info, report, meta, {}, respond); },
                      [=](caf::error& e) { respond(unavailable(self->system(), e)); });
          },
          [=](caf::error& e) { respond(unavailable(self->system(), e)); });
}

// GET /cluster: the members this node knows, their state and what each holds.
void ask_cluster(caf::event_based_actor* self, const responder& respond) {
  auto cluster = caf::actor_cast<cluster_member_type>(self->system().registry().get(actors::cluster_member_key));
  if (!cluster) return respond(json_response(200, {{"clustered", false}, {"members", json::array()}}));
  self->request(cluster, ask_timeout, get_atom::value)
      .then(
          [respond](std::vector<member_info>& members) {
            json list = json::array();
            for (const auto& m : members)
              list.push_back({{"name", m.name},
                              {"state", m.state},
                              {"cluster_address", m.cluster_address},
                              {"http_url", m.http_url},
                              {"offers", m.offers},
                              {"cores", m.cores},
                              {"memory_bytes", m.memory_bytes},
                              {"cpu_units", m.cpu_units},
                              {"run_slots", m.run_slots},
                              {"running_tasks", m.running_tasks},
                              {"guest_environments", static_cast<bool>(m.environments)},
                              {"guest_room_mb", m.guest_room_mb},
                              {"sellers_online", m.sellers_online},
                              {"updated_at_ms", m.updated_at_ms}});
            respond(with_no_store(json_response(200, {{"clustered", true}, {"members", list}})));
          },
          [self, respond](caf::error& e) { respond(unavailable(self->system(), e)); });
}

}  // namespace

request_handler make_node_routes(caf::actor_system& sys, node_info info, std::shared_ptr<http_metrics> http) {
  auto shared = std::make_shared<const node_info>(std::move(info));  // bridges' work may outlive a request
  return [&sys, shared, http](http_request req, responder respond) {
    const node_info& info = *shared;
    bool readable = req.method == "GET" || req.method == "HEAD";
    if (req.path == "/health" || req.path == "/") {
      if (!readable) {
        return respond(method_not_allowed(req, "GET, HEAD"));
      }
      if (req.path == "/") {
        auto page = page_limit(req.query);
        if (!page) return respond(json_error(http_errc::bad_query, "limit is a number from 1 to 1000"));
        index_view view;
        view.json = accepts_json(req.header("Accept"));
        std::string host(req.header("Host"));
        if (!host_name_safe(host)) host = "127.0.0.1";
        view.base_url = std::string(info.tls ? "https://" : "http://") + host;
        return bridge_run(
            sys, std::move(respond),
            [shared, view, after = query_param(req.query, "after"), limit = *page](auto* self, const responder& r) {
              ask_index(self, shared, view, after, limit, r);
            },
            answer_within);
      }
      return bridge_run(sys, std::move(respond), [shared](auto* self, const responder& r) { ask_health(self, shared, r); },
                        answer_within);
    }
    if (req.path == "/openapi.json") {
      if (!readable) return respond(method_not_allowed(req, "GET, HEAD"));
      return respond({200, {{"Content-Type", "application/json"}}, std::string(openapi_document())});
    }
    if (req.path == "/cluster") {
      if (!readable) return respond(method_not_allowed(req, "GET, HEAD"));
      return bridge_run(sys, std::move(respond), [](auto* self, const responder& r) { ask_cluster(self, r); },
                        answer_within);
    }
    if (route_metrics(sys, shared, http, req, respond) || route_offers(sys, req, respond) || route_tasks(sys, info, req, respond) ||
        route_payments(sys, info, req, respond) || route_mcp(sys, info, req, respond) ||
        route_couch(sys, info, req, respond) || route_market(sys, info, req, respond) ||
        route_cgi(sys, info, req, respond))
      return;
    respond(json_error(http_errc::not_found, "no such endpoint"));
  };
}

}  // namespace hearth::net
