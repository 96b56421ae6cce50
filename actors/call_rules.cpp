#include "actors/call_rules.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "actors/offer_validation.hpp"

#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"
#include "protocols/cgi_head.hpp"
#include "sandbox/limits.hpp"
#include "tools/hearth_tool.hpp"

namespace hearth::actors {
namespace {

using nlohmann::json;

call_verdict refused(error_code code, std::string message) { return {false, true, code, std::move(message)}; }

// What every requirement of one resource shares; each adds network, amount and payTo.
struct requirement_base {
  const payment_terms& terms;
  const std::string& resource_url;
  const std::string& description;
  const std::string& mime_type;

  void add(std::vector<payments::requirement>& out, const std::string& network, const crypto::uint256& amount,
           const crypto::address& pay_to) const {
    payments::requirement r;
    r.net = payments::find_network(network);
    if (!r.net) return;
    r.amount = amount;
    r.pay_to = pay_to;
    r.max_timeout_seconds = terms.max_timeout_secs;
    r.resource = resource_url;
    r.description = description;
    r.mime_type = mime_type;
    out.push_back(std::move(r));
  }
};

crypto::address address_of(const std::string& raw) {
  crypto::address a;
  std::copy(raw.begin(), raw.end(), a.bytes.begin());
  return a;
}

}  // namespace

std::vector<payments::requirement> requirements_of(const crypto::address& pay_to, const crypto::uint256& amount,
                                                    const payment_terms& terms, const std::string& resource_url,
                                                    const std::string& description, const std::string& mime_type) {
  std::vector<payments::requirement> out;
  requirement_base base{terms, resource_url, description, mime_type};
  for (const auto& name : terms.networks) base.add(out, name, amount, pay_to);
  return out;
}

std::vector<payments::requirement> requirements_for(const stored_offer& offer, const payment_terms& terms,
                                                    const std::string& resource_url, std::uint64_t duration_secs) {
  const auto& o = offer.body;
  auto pay_to = address_of(o.pay_to);
  std::string description = o.description.empty() ? "hearth offer " + offer.hash : o.description;
  std::string mime = o.mode == offer_mode::cgi ? "application/octet-stream" : "application/json";
  if (o.prices.empty()) return requirements_of(pay_to, payments::offer_price(o, duration_secs), terms, resource_url, description, mime);
  // The owner's options, in the owner's order, on the networks this node takes.
  std::vector<payments::requirement> out;
  requirement_base base{terms, resource_url, description, mime};
  std::uint64_t seconds = duration_secs ? duration_secs : o.limits.wall_secs;
  for (const auto& p : o.prices)
    if (std::find(terms.networks.begin(), terms.networks.end(), p.network) != terms.networks.end())
      base.add(out, p.network, payments::option_price(p, seconds), p.pay_to.size() == 20 ? address_of(p.pay_to) : pay_to);
  return out;
}

result<std::string> payment_header_for(const call_payment& payment, const std::vector<payments::requirement>& reqs,
                                       const payments::requirement*& matched) {
  matched = nullptr;
  std::string header = payment.header;
  if (header.empty() && !payment.sign_key.empty()) {
    auto signed_header = sign_for_caller(payment, reqs);
    if (!signed_header) return signed_header.error();
    header = std::move(*signed_header);
  }
  if (header.empty()) return header;
  auto decoded = payments::decode_payment(header);
  if (!decoded) return decoded.error();
  for (const auto& r : reqs)
    if (decoded->network == (decoded->x402_version == 1 ? r.net->name : r.net->caip2)) matched = &r;
  return header;
}

payment_option to_option(const payments::requirement& r) {
  return {r.net->caip2, crypto::to_decimal(r.amount), r.pay_to.checksummed(), r.max_timeout_seconds,
          r.resource,   r.description,                r.mime_type};
}

result<payments::requirement> to_requirement(const payment_option& o) {
  payments::requirement r;
  r.net = payments::find_network(o.network);
  auto amount = crypto::parse_uint256(o.amount);
  auto pay_to = crypto::parse_address(o.pay_to);
  if (!r.net || !amount || !pay_to) return fail(payment_errc::invalid_network, "a payment option the node cannot offer");
  r.amount = *amount;
  r.pay_to = *pay_to;
  r.max_timeout_seconds = o.max_timeout_seconds;
  r.resource = o.resource;
  r.description = o.description;
  r.mime_type = o.mime_type;
  return r;
}

result<void> check_caller_input(const offer& o, const task_input& in) {
  if (!in.args.empty() && !takes_caller_args(o))
    return fail(offer_errc::args_not_extendable, "this offer's arguments are fixed by its owner; send none");
  if (in.duration_secs && !sells_durations(o))
    return fail(offer_errc::duration_not_offered, "this offer sells no choice of duration");
  if (in.duration_secs && (in.duration_secs < o.min_duration_secs || in.duration_secs > o.max_duration_secs))
    return fail(offer_errc::duration_out_of_range, "this offer sells runs of " + std::to_string(o.min_duration_secs) +
                                                       " to " + std::to_string(o.max_duration_secs) + " seconds");
  if (!in.caller_env.empty() && !o.env_extendable)
    return fail(offer_errc::env_not_extendable, "this offer takes no environment variables from its callers");
  static const std::string empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  bool caller_stdin = !in.stdin_data.empty() || (!in.stdin_file.empty() && in.stdin_sha256 != empty_sha256);
  // An MCP tool's arguments are its stdin: they always follow the owner's bytes.
  if (caller_stdin && !o.stdin_prefix.empty() && !o.stdin_appendable && o.mode != offer_mode::mcp)
    return fail(offer_errc::stdin_not_appendable, "this offer's stdin is fixed by its owner; send no body");
  return {};
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

result<std::string> sign_for_caller(const call_payment& payment, const std::vector<payments::requirement>& reqs) {
  if (!payment.loopback)
    return fail(payment_errc::x402_key_not_loopback, "X-402-Key is accepted from a loopback peer only; sign the payment yourself");
  auto key = crypto::private_key::from_hex(payment.sign_key);
  if (!key) return fail(payment_errc::bad_x402_key, "X-402-Key is a hex secp256k1 private key");
  auto challenge = payments::payment_required_v2(reqs, "");
  auto entries = payments::parse_challenge(payments::encode_header(challenge), "");
  if (!entries) return entries.error();
  auto chosen = payments::choose(*entries, payment.pay, payment.max);
  if (!chosen) return chosen.error();
  return payments::sign_payment(*chosen, *key, unix_secs());
}

call_verdict cgi_verdict(const task_record& t, std::string_view stdout_head) {
  auto ending = static_cast<sandbox::ending>(t.ending);
  if (t.state == task_state::failed) {
    if (ending == sandbox::ending::cancelled) return refused(task_errc::task_cancelled, t.error);
    if (t.error_code == code_name(sandbox_errc::isolation_unavailable))  // the host's refusal is the caller's to know
      return refused(sandbox_errc::isolation_unavailable, t.error);
    return refused(task_errc::sandbox_failed, "the sandbox could not start the handler");
  }
  switch (ending) {
    case sandbox::ending::exited: break;
    case sandbox::ending::signaled:
      return refused(task_errc::handler_crashed, "the handler was killed by signal " + std::to_string(t.signal));
    case sandbox::ending::wall_limit: return refused(task_errc::wall_limit, "the handler ran out of wall-clock time");
    case sandbox::ending::memory_limit:
      return refused(task_errc::memory_limit, "the handler hit its " + sandbox::to_string(ending));
    case sandbox::ending::cpu_limit: return refused(task_errc::cpu_limit, "the handler hit its " + sandbox::to_string(ending));
    case sandbox::ending::output_limit:
      return refused(task_errc::output_limit, "the handler hit its " + sandbox::to_string(ending));
    default: return refused(task_errc::sandbox_failed, "the handler hit its " + sandbox::to_string(ending));
  }
  auto head = protocols::parse_cgi_head(stdout_head);
  if (!head) {
    if (!t.stdout_spilled && t.exit_code != 0)
      return refused(task_errc::handler_failed, "the handler exited with code " + std::to_string(t.exit_code));
    return refused(head.error().code, head.error().message);
  }
  return {head->status < 400, false, {}, "the handler answered " + std::to_string(head->status)};
}

call_verdict tool_verdict(const task_record& t, const std::string& stdout_data, const std::string& output_schema) {
  auto ending = static_cast<sandbox::ending>(t.ending);
  if (t.state == task_state::failed) return refused(task_errc::handler_failed, "the tool could not run: " + t.error);
  if (ending != sandbox::ending::exited)
    return refused(task_errc::handler_failed, "the tool stopped: " + sandbox::to_string(ending));
  auto out = json::parse(stdout_data, nullptr, false);
  if (t.exit_code != 0) {
    std::string why = out.is_object() && out.contains("error") && out["error"].is_string()
                          ? out["error"].get<std::string>()
                          : "the tool exited with code " + std::to_string(t.exit_code);
    return refused(task_errc::handler_failed, why);
  }
  if (out.is_discarded()) return refused(task_errc::handler_failed, "the tool's output is not JSON");
  if (!output_schema.empty()) {
    auto schema = json::parse(output_schema, nullptr, false);
    if (auto bad = tool::validate(schema, out))
      return refused(task_errc::handler_failed, "the tool's output breaks its output schema: " + *bad);
  }
  return {true, false, {}, "the tool answered"};
}

call_verdict batch_verdict(const task_record& t) {
  if (t.state == task_state::completed) return {true, false, {}, "the task completed"};
  return {false, false, {}, "the task did not complete: " + t.error};
}

}  // namespace hearth::actors
