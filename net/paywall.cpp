#include "net/paywall.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/payment_registry.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "messages/payment.hpp"
#include "net/actor_ask.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

std::string payment_page(const std::vector<payments::requirement>& reqs, const std::string& error) {
  std::string rows;
  for (const auto& r : reqs)
    rows += "<tr><td>" + payments::token_amount(r.amount) + " USDC</td><td>" + html_escape(r.net->name) + " (" +
            html_escape(r.net->caip2) + ")</td><td><code>" + r.pay_to.checksummed() + "</code></td></tr>\n";
  std::string url = reqs.empty() ? "" : html_escape(reqs.front().resource);
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Payment required</title>"
         "<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}"
         "td,th{padding:.3rem .6rem;text-align:left}code{background:#f3f3f3;padding:0 .2rem}</style></head><body>\n"
         "<h1>Payment required</h1>\n<p>This endpoint runs a program on a hearth node and is paid per call with "
         "<a href=\"https://x402.org\">x402</a> (USDC, EIP-3009 authorization).</p>\n" +
         (error.empty() ? std::string() : "<p><strong>Your payment was refused:</strong> " + html_escape(error) + "</p>\n") +
         (reqs.empty() || reqs.front().description.empty() ? std::string()
                                                           : "<p>" + html_escape(reqs.front().description) + "</p>\n") +
         "<table><tr><th>Price</th><th>Network</th><th>Paid to</th></tr>\n" + rows +
         "</table>\n<p>Pay from a terminal:</p>\n<pre>hearth curl --key @buyer.key --max USDC:1.0 '" + url +
         "'</pre>\n<p>Any x402 client works too (for example <code>@x402/fetch</code>).</p>\n</body></html>\n";
}

// The settle response header for a settled (or pending) payment.
void add_receipt(http_response& res, const payment_record& p) {
  const auto* net = payments::find_network(p.network);
  payments::settlement s;
  s.success = true;
  s.transaction = p.transaction;
  s.ledger_entry = p.ledger_entry;
  s.network = p.x402_version == 1 && net ? net->name : p.network;
  s.payer = *crypto::parse_address(p.payer);
  res.headers.emplace_back(p.x402_version == 2 ? "PAYMENT-RESPONSE" : "X-PAYMENT-RESPONSE",
                           payments::encode_header(payments::settle_response(s)));
}

payment_claim claim_for(const payments::requirement& r, const std::string& header, const std::string& offer_hash) {
  payment_claim c;
  c.header_value = header;
  c.network = r.net->caip2;
  c.amount = crypto::to_decimal(r.amount);
  c.pay_to = r.pay_to.checksummed();
  c.max_timeout_seconds = r.max_timeout_seconds;
  c.resource = r.resource;
  c.description = r.description;
  c.mime_type = r.mime_type;
  c.offer_hash = offer_hash;
  return c;
}

}  // namespace

payment_request read_payment_request(const http_request& req) {
  payment_request pr;
  pr.header = std::string(req.header("PAYMENT-SIGNATURE"));
  if (pr.header.empty()) pr.header = std::string(req.header("X-PAYMENT"));
  std::string host(req.header("Host"));
  pr.resource_url = "http://" + (host.empty() ? std::string("localhost") : host) + req.path;
  std::string accept(req.header("Accept")), agent(req.header("User-Agent"));
  pr.browser = accept.find("text/html") != std::string::npos && agent.find("Mozilla") != std::string::npos;
  pr.loopback = is_loopback_peer(req.remote_address);
  pr.sign_key = std::string(req.header("X-402-Key"));
  pr.pay = std::string(req.header("X-402-Pay"));
  pr.max = std::string(req.header("X-402-Max"));
  return pr;
}

result<std::string> sign_for_caller(const payment_request& pr, const std::vector<payments::requirement>& reqs) {
  if (!pr.loopback)
    return fail(payment_errc::x402_key_not_loopback, "X-402-Key is accepted from a loopback peer only; sign the payment yourself");
  auto key = crypto::private_key::from_hex(pr.sign_key);
  if (!key) return fail(payment_errc::bad_x402_key, "X-402-Key is a hex secp256k1 private key");
  auto challenge = payments::payment_required_v2(reqs, "");
  auto entries = payments::parse_challenge(payments::encode_header(challenge), "");
  if (!entries) return entries.error();
  auto chosen = payments::choose(*entries, pr.pay, pr.max);
  if (!chosen) return chosen.error();
  return payments::sign_payment(*chosen, *key, unix_secs());
}

std::vector<payments::requirement> requirements_for(const stored_offer& offer, const node_info& info,
                                                    const std::string& resource_url) {
  std::vector<payments::requirement> out;
  crypto::address pay_to;
  std::copy(offer.body.pay_to.begin(), offer.body.pay_to.end(), pay_to.bytes.begin());
  for (const auto& name : info.payment_networks) {
    payments::requirement r;
    r.net = payments::find_network(name);
    if (!r.net) continue;
    r.amount = payments::offer_price(offer.body);
    r.pay_to = pay_to;
    r.max_timeout_seconds = info.payment_max_timeout_secs;
    r.resource = resource_url;
    r.description = offer.body.description.empty() ? "hearth offer " + offer.hash : offer.body.description;
    r.mime_type = offer.body.mode == offer_mode::cgi ? "application/octet-stream" : "application/json";
    out.push_back(std::move(r));
  }
  return out;
}

http_response challenge_response(const std::vector<payments::requirement>& reqs, const std::string& error,
                                 bool browser) {
  std::string why = error.empty() ? "payment required" : error;
  http_response res;
  res.status = 402;
  if (browser) {
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    res.body = payment_page(reqs, error);
  } else {
    res = json_response(402, payments::payment_required_v1(reqs, why));
  }
  res.headers.emplace_back("PAYMENT-REQUIRED", payments::encode_header(payments::payment_required_v2(reqs, why)));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

void paid_call(caf::event_based_actor* self, const stored_offer& offer, const node_info& info,
               const payment_request& pr_in, responder respond, task_runner run) {
  auto reqs = requirements_for(offer, info, pr_in.resource_url);
  if (reqs.empty())
    return respond(json_error(payment_errc::no_payment_networks, "this node accepts payments on no network it knows"));
  payment_request pr = pr_in;
  if (pr.header.empty() && !pr.sign_key.empty()) {
    auto signed_header = sign_for_caller(pr, reqs);
    if (!signed_header) {
      const auto& f = signed_header.error();
      auto res = http_status(f.code) == 402 ? challenge_response(reqs, f.message) : failure_response(f);
      return respond(std::move(res));
    }
    pr.header = std::move(*signed_header);
  }
  if (pr.header.empty()) return respond(challenge_response(reqs, "", pr.browser));

  auto decoded = payments::decode_payment(pr.header);
  if (!decoded) return respond(failure_response(decoded.error()));
  const payments::requirement* matched = nullptr;
  for (const auto& r : reqs)
    if (decoded->network == (decoded->x402_version == 1 ? r.net->name : r.net->caip2)) matched = &r;
  if (!matched) return respond(challenge_response(reqs, "invalid_network"));

  auto payments_actor = caf::actor_cast<caf::actor>(self->system().registry().get(actors::payment_registry_key));
  if (!payments_actor) return respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
  auto refused = [=](caf::error& e) {
    auto f = to_failure(e, self->system().render(e));
    if (f.code == payment_errc::payment_invalid) return respond(challenge_response(reqs, f.message));
    if (f.code == payment_errc::payment_replayed) return respond(challenge_response(reqs, "payment_replayed"));
    if (f.code == payment_errc::malformed_payment) return respond(failure_response(f));
    respond(failure_response(f));
  };
  self->request(payments_actor, ask_timeout, hold_atom::value, claim_for(*matched, pr.header, offer.hash))
      .then(
          [=](payment_record& held) {
            std::string id = held.id;
            // The node's owner and the offer's owner call it without paying:
            // their signed payment proves who they are and is not settled.
            crypto::address offer_owner;
            std::copy(offer.body.owner.begin(), offer.body.owner.end(), offer_owner.bytes.begin());
            bool owner_call = held.payer == info.owner || held.payer == offer_owner.checksummed();
            auto settle = [=](payment_outcome outcome, http_response res) {
              self->request(payments_actor, ask_timeout, settle_atom::value, std::move(outcome))
                  .then(
                      [=](payment_record& p) mutable {
                        if (p.state == payment_state::settled || p.state == payment_state::settle_pending)
                          add_receipt(res, p);
                        else if (p.state == payment_state::failed)
                          return respond(challenge_response(reqs, "settlement_failed: " + p.note));
                        respond(std::move(res));
                      },
                      [=](caf::error& e) {
                        respond(failure_response(to_failure(e, self->system().render(e))));
                      });
            };
            run(
                [=](const task_record& t, http_response res) {
                  bool charge = res.status < 400 && !t.cache_hit && !owner_call;
                  std::string note = owner_call  ? "the owner's own call: not charged"
                                     : t.cache_hit ? "answered from the cache: not charged"
                                                   : "the handler answered " + std::to_string(res.status) + ": not charged";
                  settle(payment_outcome{id, t.id, charge, charge ? "" : note}, std::move(res));
                },
                [=](const failure& f) {
                  settle(payment_outcome{id, "", false, "the task did not run: " + f.message}, failure_response(f));
                });
          },
          refused);
}

}  // namespace hearth::net
