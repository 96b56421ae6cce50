#include "net/x402_edge.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "actors/call_rules.hpp"
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

}  // namespace

result<std::uint64_t> requested_duration(const http_request& req) {
  std::string text(req.header("X-Hearth-Duration"));
  if (text.empty()) text = query_param(req.query, "hearth-duration");
  if (text.empty()) return std::uint64_t{0};
  bool digits = text.size() <= 9 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::uint64_t secs = digits ? std::stoull(text) : 0;  // at most 9 digits: fits
  if (secs == 0)
    return fail(http_errc::bad_request, "X-Hearth-Duration (or hearth-duration=) is a whole number of seconds, at least 1");
  return secs;
}

call_payment read_call_payment(const http_request& req) {
  call_payment p;
  p.header = std::string(req.header("PAYMENT-SIGNATURE"));
  if (p.header.empty()) p.header = std::string(req.header("X-PAYMENT"));
  std::string host(req.header("Host"));
  p.resource_url = "http://" + (host.empty() ? std::string("localhost") : host) + req.path;
  p.loopback = is_loopback_peer(req.remote_address);
  p.sign_key = std::string(req.header("X-402-Key"));
  p.pay = std::string(req.header("X-402-Pay"));
  p.max = std::string(req.header("X-402-Max"));
  return p;
}

bool wants_payment_page(const http_request& req) {
  std::string accept(req.header("Accept")), agent(req.header("User-Agent"));
  return accept.find("text/html") != std::string::npos && agent.find("Mozilla") != std::string::npos;
}

std::vector<payments::requirement> to_requirements(const std::vector<payment_option>& options) {
  std::vector<payments::requirement> out;
  for (const auto& o : options)
    if (auto r = actors::to_requirement(o)) out.push_back(std::move(*r));
  return out;
}

json payment_required_json(const std::vector<payments::requirement>& reqs, const std::string& error) {
  return payments::payment_required_v2(reqs, error.empty() ? "payment required" : error);
}

http_response challenge_response(const std::vector<payments::requirement>& reqs, const std::string& error,
                                 bool browser) {
  http_response res;
  res.status = 402;
  if (browser) {
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    res.body = payment_page(reqs, error);
  } else {
    res = json_response(402, payments::payment_required_v1(reqs, error.empty() ? "payment required" : error));
  }
  res.headers.emplace_back("PAYMENT-REQUIRED", payments::encode_header(payment_required_json(reqs, error)));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

json receipt_json(const payment_record& p) {
  const auto* net = payments::find_network(p.network);
  payments::settlement s;
  s.success = true;
  s.transaction = p.transaction;
  s.ledger_entry = p.ledger_entry;
  s.pending = p.state == payment_state::settle_pending;
  s.payment_id = p.id;
  s.network = p.x402_version == 1 && net ? net->name : p.network;
  s.payer = *crypto::parse_address(p.payer);
  return payments::settle_response(s);
}

void add_receipt(http_response& res, const payment_record& p) {
  res.headers.emplace_back(p.x402_version == 2 ? "PAYMENT-RESPONSE" : "X-PAYMENT-RESPONSE",
                           payments::encode_header(receipt_json(p)));
}

}  // namespace hearth::net
