#include "apps/curl_command.hpp"


#include <algorithm>
#include <optional>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "crypto/base64.hpp"
#include "crypto/random.hpp"
#include "messages/clock.hpp"
#include "crypto/secp256k1_key.hpp"
#include "client/http_client.hpp"
#include "client/request_body.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"

namespace hearth::app {
namespace {

struct curl_args {
  std::string url, method, output, key, pay, max;
  std::vector<std::string> headers, data, data_binary, forms;
  std::uint64_t duration = 0;  // a per-second offer's run to pay for (X-Hearth-Duration)
  bool include = false, verbose = false, silent = false, follow = false, fail_on_error = false;
  double max_time = 3700;
};

constexpr int exit_http_error = 22;  // curl's --fail exit code
constexpr int exit_payment = 2;

// curl's exit code for a failed request.
int exit_code_of(const failure& f) {
  if (f.code == client_errc::bad_url) return 3;
  if (f.code == client_errc::timeout) return 28;
  if (f.code == client_errc::tls_failed) return 35;
  if (f.code == client_errc::certificate_invalid) return 60;
  return 7;
}

void print_exchange(const client::client_request& req, const net::http_response* res) {
  if (!res) {
    std::cerr << "> " << req.method << " " << req.url << "\n";
    for (const auto& [k, v] : req.headers)
      std::cerr << "> " << k << ": " << (k == "PAYMENT-SIGNATURE" || k == "X-PAYMENT" ? v.substr(0, 24) + "..." : v) << "\n";
    std::cerr << ">\n";
    return;
  }
  std::cerr << "< HTTP/1.1 " << res->status << "\n";
  for (const auto& [k, v] : res->headers) std::cerr << "< " << k << ": " << v << "\n";
  std::cerr << "<\n";
}

void print_receipt(const net::http_response& res, const payments::offered& paid) {
  std::string receipt = std::string(res.header("PAYMENT-RESPONSE"));
  if (receipt.empty()) receipt = std::string(res.header("X-PAYMENT-RESPONSE"));
  std::cerr << "* paid " << payments::token_amount(paid.amount) << " USDC on " << paid.network_name << " to "
            << paid.pay_to.checksummed() << "\n";
  if (receipt.empty()) {
    std::cerr << "* no payment receipt in the answer (not settled)\n";
    return;
  }
  auto decoded = crypto::base64_decode(receipt);
  auto j = nlohmann::json::parse(decoded ? *decoded : std::string(), nullptr, false);
  if (!j.is_object()) {
    std::cerr << "* unreadable payment receipt\n";
    return;
  }
  // No transaction: the seller recorded it in its own ledger, nothing moved on a chain yet.
  std::string transaction = j.value("transaction", std::string());
  std::string entry = j.contains("ledgerEntry") && j["ledgerEntry"].is_string() ? j["ledgerEntry"].get<std::string>() : "";
  std::cerr << "* receipt: success=" << (j.value("success", false) ? "true" : "false")
            << " transaction=" << (transaction.empty() ? "none" : transaction)
            << (entry.empty() ? "" : " ledger_entry=" + entry) << " network=" << j.value("network", std::string())
            << " payer=" << j.value("payer", std::string()) << "\n";
}

int run_curl(const curl_args& a) {
  auto say = [&a](const std::string& msg, error_code code) {
    if (!a.silent) std::cerr << "hearth curl: " << msg << " [" << code << "]\n";
  };
  auto built = client::build_body({a.data, a.data_binary, a.forms});
  if (!built) return say(built.error().message, built.error().code), 2;
  const auto& body = *built;
  client::client_request req;
  req.url = a.url;
  req.method = !a.method.empty() ? a.method : (body.body.empty() && a.forms.empty() ? "GET" : "POST");
  req.body = body.body;
  req.timeout = std::chrono::milliseconds(static_cast<long long>(a.max_time * 1000));
  for (const auto& h : a.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos) return say("-H takes 'Name: value'", config_errc::bad_header), 2;
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    req.headers.emplace_back(h.substr(0, colon), value);
  }
  if (!body.content_type.empty() && net::find_header(req.headers, "Content-Type").empty())
    req.headers.emplace_back("Content-Type", body.content_type);
  if (a.duration) req.headers.emplace_back("X-Hearth-Duration", std::to_string(a.duration));

  std::optional<payments::offered> paid;
  net::http_response res;
  for (int hops = 0;; ++hops) {
    if (a.verbose) print_exchange(req, nullptr);
    auto answer = client::send_request(req);
    if (!answer) return say(answer.error().message, answer.error().code), exit_code_of(answer.error());
    res = std::move(*answer);
    if (a.verbose) print_exchange(req, &res);
    if (res.status == 402 && !paid) {
      auto entries = payments::parse_challenge(std::string(res.header("PAYMENT-REQUIRED")), res.body);
      if (!entries) return say(entries.error().message, entries.error().code), exit_payment;
      auto chosen = payments::choose(*entries, a.pay, a.max.empty() ? payments::default_max : a.max);
      if (!chosen) return say(chosen.error().message, chosen.error().code), exit_payment;
      if (a.key.empty()) {
        say("payment required: " + payments::token_amount(chosen->amount) + " USDC on " + chosen->network_name +
                "; give --key @FILE to pay",
            payment_errc::payment_required);
        return exit_payment;
      }
      auto key = crypto::private_key::load(a.key);
      if (!key) return say(key.error().message, key.error().code), 2;
      auto signed_payment = payments::sign_payment(*chosen, *key, unix_secs());
      if (!signed_payment) return say(signed_payment.error().message, signed_payment.error().code), 2;
      req.headers.emplace_back(payments::payment_header_name(*chosen), std::move(*signed_payment));
      if (a.verbose)
        std::cerr << "* paying " << payments::token_amount(chosen->amount) << " USDC on " << chosen->network_name
                  << " (x402 v" << chosen->x402_version << ")\n";
      paid = *chosen;
      continue;  // retried once with the payment
    }
    if (a.follow && res.status >= 300 && res.status < 400 && hops < 10) {
      std::string location = std::string(res.header("Location"));
      if (!location.empty()) {
        req.url = client::resolve_location(req.url, location);
        if (res.status == 301 || res.status == 302 || res.status == 303) {
          req.method = "GET";
          req.body.clear();
        }
        continue;
      }
    }
    break;
  }
  if (paid && res.status == 402) {
    std::string why = payments::challenge_error(std::string(res.header("PAYMENT-REQUIRED")), res.body);
    say("the payment was refused: " + (why.empty() ? std::string("no reason given") : why), client_errc::payment_refused);
    return exit_payment;
  }
  if (paid && a.verbose) print_receipt(res, *paid);
  if (a.fail_on_error && res.status >= 400) {
    say("the server answered " + std::to_string(res.status), client_errc::http_error);
    return exit_http_error;
  }
  std::string out;
  if (a.include) {
    out += "HTTP/1.1 " + std::to_string(res.status) + "\r\n";
    for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
    out += "\r\n";
  }
  out += res.body;
  if (!a.output.empty()) {
    std::ofstream f(a.output, std::ios::binary | std::ios::trunc);
    f << out;
    if (!f) return say("cannot write " + a.output, config_errc::output_unwritable), 23;
  } else {
    std::cout << out << std::flush;
  }
  return 0;
}

}  // namespace

void add_curl_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<curl_args>();
  auto* cmd = app.add_subcommand("curl", "HTTP requests with automatic x402 payment (curl's common flags)");
  cmd->add_option("url", a->url, "URL (http:// or https://; --cacert FILE and -k apply)")->required();
  cmd->add_option("-X,--request", a->method, "Method");
  cmd->add_option("-H,--header", a->headers, "Header 'Name: value' (repeatable)");
  cmd->add_option("-d,--data", a->data, "Body data, or @file (repeatable, joined with &)");
  cmd->add_option("--data-binary", a->data_binary, "Body data as is, or @file");
  cmd->add_option("-F,--form", a->forms, "Multipart field name=value or name=@file (repeatable)");
  cmd->add_option("-o,--output", a->output, "Write the body to this file");
  cmd->add_flag("-i,--include", a->include, "Print the response headers too");
  cmd->add_flag("-v,--verbose", a->verbose, "Show the exchange and the payment receipt on stderr");
  cmd->add_flag("-s,--silent", a->silent, "No progress output");
  cmd->add_flag("-L,--location", a->follow, "Follow redirects");
  cmd->add_flag("-f,--fail", a->fail_on_error, "Exit 22 without output on HTTP errors");
  cmd->add_option("-m,--max-time", a->max_time, "Seconds the whole request may take");
  cmd->add_option("--key", a->key, "Payer key: 0xHEX or @FILE")->envname("HEARTH_PAY_KEY");
  cmd->add_option("--duration", a->duration, "Seconds of a per-second offer's run to pay for (X-Hearth-Duration)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{999999999}));
  cmd->add_option("--pay", a->pay, "Preferred payment: USDC, USDC@base, or JSON {\"asset\",\"network\"}");
  cmd->add_option("--max", a->max, "Largest payment: 10.0, USDC:10.0, USDC@base:5.0 (comma-separated; default USDC:1.0)");
  cmd->callback([a, &exit_code] { exit_code = run_curl(*a); });
}

}  // namespace hearth::app
