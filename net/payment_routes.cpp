#include "net/payment_routes.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/payment_registry.hpp"
#include "messages/node.hpp"
#include "messages/interfaces.hpp"
#include "net/actor_ask.hpp"
#include "net/rate_limiter.hpp"
#include "payments/challenge.hpp"
#include "payments/networks.hpp"
#include "storage/payment_codec.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

std::string text(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json supported() {
  json kinds = json::array();
  for (const auto& n : payments::known_networks()) {
    kinds.push_back({{"x402Version", 1}, {"scheme", "exact"}, {"network", n.name}});
    kinds.push_back({{"x402Version", 2}, {"scheme", "exact"}, {"network", n.caip2}});
  }
  return {{"kinds", kinds}, {"extensions", json::array()}, {"signers", json::object()}};
}

// A facilitator request body -> the claim the payment actors verify.
result<payment_claim> claim_of(const json& body) {
  if (!body.is_object() || !body.contains("paymentPayload") || !body["paymentPayload"].is_object() ||
      !body.contains("paymentRequirements") || !body["paymentRequirements"].is_object())
    return fail(http_errc::bad_request, "send JSON {x402Version, paymentPayload, paymentRequirements}");
  const json& payload = body["paymentPayload"];
  const json& req = body["paymentRequirements"];
  int version = payload.value("x402Version", 1);
  const auto* net = payments::find_network(text(req, "network"));
  if (!net) return fail(payment_errc::invalid_network, "unsupported network " + text(req, "network"));
  auto asset = crypto::parse_address(text(req, "asset"));
  if (!asset || *asset != net->usdc) return fail(payment_errc::invalid_payment_requirements, "the asset is not USDC on " + net->name);
  payment_claim c;
  c.header_value = payments::encode_header(payload);
  c.network = net->caip2;
  c.amount = text(req, version == 2 ? "amount" : "maxAmountRequired");
  c.pay_to = text(req, "payTo");
  c.max_timeout_seconds = req.value("maxTimeoutSeconds", 300ull);
  c.resource = version == 2 && payload.contains("resource") && payload["resource"].is_object()
                   ? text(payload["resource"], "url")
                   : text(req, "resource");
  c.description = text(req, "description");
  c.mime_type = text(req, "mimeType");
  if (version == 2) c.accepted = req.dump();
  return c;
}

void facilitate(caf::actor_system& sys, const http_request& req, bool settle, responder respond) {
  auto body = json::parse(req.body, nullptr, false);
  auto claim = claim_of(body);
  std::string network = body.is_object() && body.contains("paymentRequirements") && body["paymentRequirements"].is_object()
                            ? text(body["paymentRequirements"], "network")
                            : "";
  auto refusal = [settle, network](const std::string& reason) {
    if (settle)
      return json_response(200, {{"success", false}, {"errorReason", reason}, {"transaction", ""}, {"network", network}});
    return json_response(200, {{"isValid", false}, {"invalidReason", reason}});
  };
  if (!claim) {
    if (claim.error().code == http_errc::bad_request) return respond(json_error(http_errc::bad_request, claim.error().message));
    return respond(refusal(std::string(code_name(claim.error().code))));
  }
  auto body_fn = [=, c = std::move(*claim)](caf::event_based_actor* self, const responder& respond) {
    auto registry = caf::actor_cast<payment_registry_type>(self->system().registry().get(actors::payment_registry_key));
    if (!registry) return respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
    self->request(registry, caf::infinite, facilitate_atom::value, c, settle)
        .then(
            [=](payment_record& p) {
              if (!settle) return respond(json_response(200, {{"isValid", true}, {"payer", p.payer}}));
              if (p.state == payment_state::failed) return respond(refusal(p.note));
              // Into this node's ledger: no transaction, the ledger entry instead. On
              // chain: the transaction, mined (settled) or sent and not yet mined.
              json answer = {{"success", true}, {"transaction", p.transaction}, {"network", network}, {"payer", p.payer}};
              if (!p.ledger_entry.empty()) answer["ledgerEntry"] = p.ledger_entry;
              if (p.state == payment_state::settle_pending) answer["pending"] = true;
              respond(json_response(200, answer));
            },
            [=](caf::error& e) {
              auto f = to_failure(e, self->system().render(e));
              if (f.code == payment_errc::payment_invalid) return respond(refusal(f.message));
              if (f.code == payment_errc::payment_replayed || f.code == payment_errc::malformed_payment ||
                  f.code == payment_errc::invalid_payment_requirements)
                return respond(refusal(std::string(code_name(f.code))));
              respond(failure_response(f));
            });
  };
  bridge_run(sys, std::move(respond), std::move(body_fn), ask_timeout);
}

}  // namespace

json payment_to_json(const payment_record& p) {
  return {{"id", p.id},
          {"state", state_name(p.state)},
          {"payer", p.payer},
          {"pay_to", p.pay_to},
          {"network", p.network},
          {"asset", p.asset},
          {"amount", p.amount},
          {"amount_usdc", payments::token_amount(*crypto::parse_uint256(p.amount.empty() ? "0" : p.amount))},
          {"nonce", p.nonce},
          {"valid_before", p.valid_before},
          {"x402_version", p.x402_version},
          {"offer", p.offer_hash},
          {"task", p.task_id},
          {"resource", p.resource},
          {"created_at_ms", p.created_at_ms},
          {"updated_at_ms", p.updated_at_ms},
          {"transaction", p.transaction},
          {"block_number", p.block_number},
          {"gas_used", p.gas_used},
          {"gas_price_wei", p.gas_price},
          {"settled_on", p.ledger_entry.empty() ? (p.transaction.empty() ? "" : "chain") : "ledger"},
          {"ledger_entry", p.ledger_entry},
          {"note", p.note}};
}

json ledger_entry_to_json(const ledger_entry& e) {
  return {{"key", storage::ledger_key(e)},
          {"payment", e.payment_id},
          {"payer", e.payer},
          {"pay_to", e.pay_to},
          {"network", e.network},
          {"asset", e.asset},
          {"amount", e.amount},
          {"settled_at_ms", e.settled_at_ms},
          {"offer", e.offer_hash},
          {"task", e.task_id},
          {"settled_on", e.transaction.empty() ? "ledger" : "chain"},
          {"transaction", e.transaction}};
}

bool route_payments(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  if (req.path == "/facilitator/supported") {
    if (req.method != "GET" && req.method != "HEAD") respond(method_not_allowed(req, "GET, HEAD"));
    else respond(json_response(200, supported()));
    return true;
  }
  if (req.path == "/facilitator/verify" || req.path == "/facilitator/settle") {
    std::chrono::milliseconds wait{0};
    if (req.method != "POST") {
      respond(method_not_allowed(req, "POST"));
    } else if (info.facilitator_limit && !info.facilitator_limit->allow(req.remote_address, &wait)) {
      auto r = json_error(http_errc::rate_limited, "too many facilitator requests from this address; slow down");
      r.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, (wait.count() + 999) / 1000)));
      respond(std::move(r));
    } else {
      facilitate(sys, req, req.path == "/facilitator/settle", std::move(respond));
    }
    return true;
  }
  if (req.path.rfind("/payments/", 0) != 0) return false;
  if (req.method != "GET" && req.method != "HEAD") {
    respond(method_not_allowed(req, "GET, HEAD"));
    return true;
  }
  if (!is_loopback_peer(req.remote_address)) {
    respond(json_error(http_errc::loopback_only, "payment records are served to loopback peers only"));
    return true;
  }
  std::string id = req.path.substr(10);
  if (id == "ledger") {
    auto page = page_limit(req.query);
    if (!page) {
      respond(json_error(http_errc::bad_query, "limit is a number from 1 to 1000"));
      return true;
    }
    std::uint32_t limit = *page;
    ask_actor<payment_registry_type, std::vector<ledger_entry>>(
        sys, actors::payment_registry_key, std::move(respond),
        [limit](std::vector<ledger_entry>& rows) {
          json items = json::array();
          for (const auto& e : rows) items.push_back(ledger_entry_to_json(e));
          json next = rows.size() == limit ? json(storage::ledger_key(rows.back())) : json(nullptr);
          return json_response(200, {{"entries", items}, {"next", next}});
        },
        ledger_atom::value, query_param(req.query, "after"), limit);
    return true;
  }
  ask_actor<payment_registry_type, payment_record>(
      sys, actors::payment_registry_key, std::move(respond),
      [](payment_record& p) { return json_response(200, payment_to_json(p)); }, get_atom::value, id);
  return true;
}

}  // namespace hearth::net
