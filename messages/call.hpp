// A call of an offer, as every edge sends it (CGI, MCP tools/call, batch
// POST /tasks) to the call service, and what comes back: the same message
// whether the call came over HTTP here or, later, from another node.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/errors.hpp"
#include "messages/offer.hpp"
#include "messages/payment.hpp"
#include "messages/task.hpp"

namespace hearth {

// The payment a call carries, as read off the request.
struct call_payment {
  std::string header;        // PAYMENT-SIGNATURE / X-PAYMENT value (MCP: params._meta["x402/payment"])
  std::string resource_url;  // what the caller is paying for
  bool loopback = false;     // the caller is on this machine (X-402-Key is honoured only then)
  std::string sign_key, pay, max;  // X-402-Key / -Pay / -Max: the node signs for the caller
};

// The caller's side of a CGI call's stdout: the task's stream, plus the read
// token of the task the call starts, sent to it before any chunk so that the
// streamed response's head can carry it.
using call_stream_type = stdout_stream_type::extend<caf::reacts_to<token_atom, std::string>>;

struct call_request {
  std::string offer_hash;
  offer_mode mode = offer_mode::cgi;
  task_input input;
  call_payment payment;
  std::string output_schema;  // MCP: the tool's output schema (JSON); empty: none
  call_stream_type stream;    // CGI: where a free call's large stdout goes as it comes; none: answered whole
  // Sent on by the cluster member that took the request (actors/call_actor):
  // never forwarded again, and answered with its stdout inline.
  bool forwarded = false;
};

// One way to pay an offer: an x402 requirement in plain fields.
struct payment_option {
  std::string network;  // CAIP-2
  std::string amount;   // atomic units, decimal
  std::string pay_to;   // EIP-55
  std::uint64_t max_timeout_seconds = 300;
  std::string resource;
  std::string description;
  std::string mime_type;
};

// How the handler's answer counts for the call's mode (the charging rule):
//   cgi:   it ran to its end and its Status is below 400;
//   mcp:   it exited 0 with JSON within the tool's output schema;
//   batch: it completed.
// When the handler gave no answer to show (a limit hit, a crash, output
// that is not CGI, a tool's error), `refused` holds what the caller is told.
struct call_verdict {
  bool well = false;
  bool refused = false;
  error_code code;  // when refused
  std::string message;
};

struct call_result {
  // Nothing was charged: the caller must pay (first, again, or its payment
  // was refused for a reason the challenge names).
  bool payment_required = false;
  std::vector<payment_option> options;
  std::string challenge_error;  // empty: no payment was sent

  bool ran = false;     // task holds the task that answered (it ran, was joined, or the cache had it)
  task_record task;
  std::string read_token;  // the caller's read capability, when its request started the task
  call_verdict verdict;
  bool charged = false;
  bool has_receipt = false;  // receipt is a settled (or pending) payment
  payment_record receipt;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, error_code& x) {
  return f(caf::meta::type_name("error_code"), x.module, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_payment& x) {
  return f(caf::meta::type_name("call_payment"), x.header, x.resource_url, x.loopback, x.sign_key, x.pay, x.max);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_request& x) {
  return f(caf::meta::type_name("call_request"), x.offer_hash, x.mode, x.input, x.payment, x.output_schema,
           x.stream, x.forwarded);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment_option& x) {
  return f(caf::meta::type_name("payment_option"), x.network, x.amount, x.pay_to, x.max_timeout_seconds, x.resource,
           x.description, x.mime_type);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_verdict& x) {
  return f(caf::meta::type_name("call_verdict"), x.well, x.refused, x.code, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_result& x) {
  return f(caf::meta::type_name("call_result"), x.payment_required, x.options, x.challenge_error, x.ran, x.task,
           x.read_token, x.verdict, x.charged, x.has_receipt, x.receipt);
}

}  // namespace hearth
