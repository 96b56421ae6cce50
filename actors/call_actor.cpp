#include "actors/call_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "actors/cluster_member.hpp"
#include "actors/metrics_registry.hpp"
#include "actors/offer_registry.hpp"
#include "actors/offer_validation.hpp"
#include "actors/payment_registry.hpp"
#include "actors/pool_ledger.hpp"
#include "actors/task_registry.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "payments/challenge.hpp"
#include "payments/exact_evm.hpp"
#include "storage/task_codec.hpp"

namespace hearth::actors {
namespace {

constexpr auto ask_timeout = std::chrono::seconds(30);

struct call_state {
  std::shared_ptr<const call_settings> settings;
  call_request req;
  caf::typed_response_promise<call_result> promise;
  stored_offer offer;
  std::string token;  // the caller's read capability; the task keeps its sha256
  std::vector<payments::requirement> reqs;
  payment_registry_type payments;
  std::string payment_id;  // the held payment
  bool owner_call = false;
  bool free = false;  // a free offer, or a call its pool has room for (held until this actor ends)
  caf::actor holder;  // the member a forwarded call runs on (monitored while it does)
  static inline const char* name = "call";
};

using call_actor = call_service_type::stateful_pointer<call_state>;

// A monitor outlives its observer: it stays on the holder's proxy unless
// taken off.
void end(call_actor self) {
  if (self->state.holder) self->demonitor(self->state.holder);
  self->quit();
}

void answer(call_actor self, call_result r) {
  self->state.promise.deliver(std::move(r));
  end(self);
}

void refuse(call_actor self, caf::error e) {
  self->state.promise.deliver(std::move(e));
  end(self);
}

void refuse(call_actor self, const failure& f) { refuse(self, to_error(f)); }

// The reason code a challenge's error starts with ("settlement_failed: ..."),
// so the metric's label takes few values.
std::string reason_code(const std::string& why) {
  auto code_char = [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; };
  std::size_t n = 0;
  while (n < why.size() && n < 48 && code_char(static_cast<unsigned char>(why[n]))) ++n;
  return n ? why.substr(0, n) : "other";
}

// Nothing ran (or nothing may be charged): the caller is asked to pay; why
// names what was wrong with the payment it sent, if any (empty: none came).
void challenge(call_actor self, std::string why, call_result r = {}) {
  count_metric(self->system(), why.empty() ? metric_event{"hearth_payments_required_total", "", 1}
                                           : metric_event{"hearth_payments_refused_total", metric_label("reason", reason_code(why)), 1});
  r.payment_required = true;
  r.challenge_error = std::move(why);
  for (const auto& req : self->state.reqs) r.options.push_back(to_option(req));
  answer(self, std::move(r));
}

call_verdict verdict_of(call_actor self, const task_record& t) {
  const auto& st = self->state;
  switch (st.req.mode) {
    case offer_mode::cgi: return cgi_verdict(t, storage::task_stdout(t, st.settings->output_dir, 64 * 1024));
    case offer_mode::mcp: return tool_verdict(t, storage::task_stdout(t, st.settings->output_dir), st.req.output_schema);
    case offer_mode::batch: return batch_verdict(t);
  }
  return batch_verdict(t);
}

// Ends a paid call: the payment charged or released, then the answer (the
// receipt with it when charged).
void settle(call_actor self, payment_outcome outcome, call_result r) {
  self->request(self->state.payments, ask_timeout, settle_atom::value, std::move(outcome))
      .then(
          [=](payment_record& p) mutable {
            if (p.state == payment_state::failed) return challenge(self, "settlement_failed: " + p.note, std::move(r));
            if (p.state == payment_state::settled || p.state == payment_state::settle_pending) {
              r.has_receipt = true;
              r.receipt = std::move(p);
            }
            answer(self, std::move(r));
          },
          [=](caf::error& e) { refuse(self, std::move(e)); });
}

void run(call_actor self) {
  auto& st = self->state;
  auto tasks = caf::actor_cast<task_registry_type>(self->system().registry().get(task_registry_key));
  if (!tasks) return refuse(self, fail(http_errc::node_unavailable, "the node's actors are restarting"));
  bool free = st.free;
  task_input in = st.req.input;
  bool streams = free && st.req.mode == offer_mode::cgi && st.req.stream;  // a paid answer's receipt comes after settling
  if (streams) {
    self->send(st.req.stream, token_atom::value, st.token);
    in.output = st.req.stream;
  }
  auto wall = std::chrono::seconds(st.offer.body.limits.wall_secs + 30);
  self->request(tasks, wall, run_atom::value, st.offer, std::move(in))
      .then(
          [=](task_record& t) {
            auto& st = self->state;
            if (st.req.forwarded && t.stdout_spilled && !streams) {  // the member that took the call has no such file
              t.stdout_data = storage::task_stdout(t, st.settings->output_dir);
              t.stdout_spilled = false;
            }
            call_result r;
            r.ran = true;
            if (!t.cache_hit && t.read_token_hash == st.req.input.read_token_hash) r.read_token = st.token;
            r.verdict = verdict_of(self, t);
            r.task = std::move(t);
            if (free) return answer(self, std::move(r));
            r.charged = r.verdict.well && !r.task.cache_hit && !st.owner_call;
            std::string note = st.owner_call       ? "the owner's own call: not charged"
                               : r.task.cache_hit ? "answered from the cache: not charged"
                                                  : r.verdict.message + ": not charged";
            payment_outcome outcome{st.payment_id, r.task.id, r.charged, r.charged ? "" : note};
            settle(self, std::move(outcome), std::move(r));
          },
          [=](caf::error& e) {
            if (free) return refuse(self, std::move(e));
            auto f = to_failure(e, self->system().render(e));
            self->request(self->state.payments, ask_timeout, settle_atom::value,
                          payment_outcome{self->state.payment_id, "", false, "the task did not run: " + f.message})
                .then([=](payment_record&) { refuse(self, f); }, [=](caf::error& settle_error) { refuse(self, settle_error); });
          });
}

void hold(call_actor self, const payments::requirement& matched, std::string header) {
  auto& st = self->state;
  st.payments = caf::actor_cast<payment_registry_type>(self->system().registry().get(payment_registry_key));
  if (!st.payments) return refuse(self, fail(http_errc::node_unavailable, "the node's actors are restarting"));
  crypto::address offer_owner;
  std::copy(st.offer.body.owner.begin(), st.offer.body.owner.end(), offer_owner.bytes.begin());
  auto claim = claim_for(matched, header, st.offer.hash);
  claim.never_settled = {st.settings->owner, offer_owner.checksummed()};
  self->request(st.payments, ask_timeout, hold_atom::value, std::move(claim))
      .then(
          [=](payment_record& held) {
            auto& st = self->state;
            count_metric(self->system(), {"hearth_payments_verified_total", metric_label("network", held.network), 1});
            st.payment_id = held.id;
            // The node's owner and the offer's owner call it without paying:
            // their signed payment proves who they are and is not settled.
            st.owner_call = held.payer == st.settings->owner || held.payer == offer_owner.checksummed();
            run(self);
          },
          [=](caf::error& e) {
            auto f = to_failure(e, self->system().render(e));
            if (f.code == payment_errc::payment_invalid) return challenge(self, f.message);
            if (f.code == payment_errc::payment_replayed) return challenge(self, "payment_replayed");
            refuse(self, f);
          });
}

void pay(call_actor self) {
  auto& st = self->state;
  st.reqs = requirements_for(st.offer, st.settings->terms, st.req.payment.resource_url, st.req.input.duration_secs);
  if (st.reqs.empty())
    return refuse(self, fail(payment_errc::no_payment_networks, "this node accepts payments on no network it knows"));
  const payments::requirement* matched = nullptr;
  auto header = payment_header_for(st.req.payment, st.reqs, matched);
  if (!header) {
    const auto& f = header.error();
    return http_status(f.code) == 402 ? challenge(self, f.message) : refuse(self, f);
  }
  if (header->empty()) return challenge(self, "");
  if (!matched) return challenge(self, "invalid_network");
  hold(self, *matched, std::move(*header));
}

// A priced offer in a pool: free while the pool has room, else paid.
void try_pool(call_actor self) {
  auto pools = caf::actor_cast<pool_ledger_type>(self->system().registry().get(pool_ledger_key));
  if (!pools) return pay(self);
  self->request(pools, ask_timeout, acquire_atom::value, self->state.offer.body.pool)
      .then(
          [=](bool granted) {
            self->state.free = granted;
            if (granted) return run(self);
            pay(self);
          },
          [=](caf::error&) { pay(self); });
}

// The routing key of a paid call: its authorisation's payer and nonce,
// however the header spells them (empty when it names none).
std::string routing_key(const call_payment& p) {
  if (p.header.empty()) return "";
  auto decoded = payments::decode_payment(p.header);
  if (!decoded) return "";
  const auto& a = decoded->auth;
  return a.from.checksummed() + ":" + crypto::to_hex(a.nonce.data(), a.nonce.size());
}

// The call goes, as the same message, to the call service of the cluster
// member that runs it, which asks for, holds and settles the payment. The
// spooled body travels inline; a free CGI call's large stdout streams back
// to this node's edge in chunks, each acknowledged; X-402-Key stays here (a
// raw key never crosses the cluster).
void forward(call_actor self, caf::actor holder) {
  auto& req = self->state.req;
  if (!req.payment.sign_key.empty())
    return refuse(self, fail(payment_errc::x402_key_not_loopback,
                             "X-402-Key is honoured only by the node holding the offer; sign the payment yourself"));
  if (!req.input.stdin_file.empty()) {
    std::ifstream in(req.input.stdin_file, std::ios::binary);
    req.input.stdin_data.assign(std::istreambuf_iterator<char>(in), {});
    if (!in.eof() && in.fail()) return refuse(self, fail(http_errc::spool_failed, "the request body could not be read back"));
    req.input.stdin_file.clear();
    req.input.stdin_sha256.clear();
  }
  req.forwarded = true;
  req.payment.loopback = false;
  req.input.output = nullptr;
  // The holder's own limits end the run; this only bounds a lost answer
  // (this node may not have the offer, so no wall time of its own).
  auto timeout = std::chrono::seconds(std::max<std::uint64_t>(self->state.offer.body.limits.wall_secs, 3600) + 3600);
  // A request in flight when the member's connection drops gets no answer
  // (CAF forgets it with the proxy): the down message ends the wait.
  self->state.holder = holder;
  self->monitor(holder);
  self->set_down_handler([self](caf::down_msg&) {
    refuse(self, fail(offer_errc::offer_unavailable,
                      "the cluster member running offer " + self->state.req.offer_hash + " went away during the call"));
  });
  self->request(caf::actor_cast<call_service_type>(holder), timeout, call_atom::value, req)
      .then([=](call_result& r) { answer(self, std::move(r)); },
            [=](caf::error& e) {
              if (e.category() == caf::atom("system"))  // the member's node went away (or timed out)
                return refuse(self, fail(offer_errc::offer_unavailable, "the cluster member running offer " +
                                                                            self->state.req.offer_hash +
                                                                            " did not answer: " + self->system().render(e)));
              refuse(self, std::move(e));
            });
}

// Which member runs the call (held_here: this node holds the offer, and
// runs it unless the call's routing key picks another holder); then
// here() or forward.
template <class Here>
void route(call_actor self, bool held_here, caf::error not_here, Here here) {
  auto cluster = caf::actor_cast<cluster_member_type>(self->system().registry().get(cluster_member_key));
  if (!cluster || self->state.req.forwarded) return held_here ? here() : refuse(self, std::move(not_here));
  self->request(cluster, ask_timeout, locate_atom::value, self->state.req.offer_hash,
                routing_key(self->state.req.payment), held_here)
      .then(
          [=](caf::actor& holder) {
            if (!holder) return held_here ? here() : refuse(self, not_here);
            forward(self, holder);
          },
          [=](caf::error& e) { refuse(self, std::move(e)); });
}

void start(call_actor self) {
  auto& st = self->state;
  auto offers = caf::actor_cast<offer_registry_type>(self->system().registry().get(offer_registry_key));
  if (!offers) return refuse(self, fail(http_errc::node_unavailable, "the node's actors are restarting"));
  auto& in = st.req.input;
  if (!in.stdin_file.empty() && in.stdin_sha256.empty()) {
    auto digest = crypto::sha256_file(in.stdin_file);  // this actor is detached for it
    if (!digest) return refuse(self, fail(http_errc::spool_failed, "the request body could not be read back"));
    in.stdin_sha256 = crypto::to_hex(digest->data(), digest->size());
  }
  auto token = crypto::random_hex(32);
  if (!token) return refuse(self, token.error());
  st.token = std::move(*token);
  in.read_token_hash = crypto::to_hex(crypto::sha256(st.token));
  self->request(offers, ask_timeout, get_atom::value, st.req.offer_hash)
      .then(
          [=](stored_offer& offer) {
            auto& st = self->state;
            const auto& hash = st.req.offer_hash;
            if (is_expired(offer.body, static_cast<std::int64_t>(unix_secs())))
              return refuse(self, fail(offer_errc::offer_expired, "offer " + hash + " has expired; nothing was charged"));
            if (offer.body.mode != st.req.mode)
              return refuse(self, fail(offer_errc::wrong_offer_mode, "offer " + hash + " is a " +
                                                                         mode_name(offer.body.mode) + " offer, not " +
                                                                         mode_name(st.req.mode)));
            if (auto allowed = check_caller_input(offer.body, st.req.input); !allowed) return refuse(self, allowed.error());
            if (sells_durations(offer.body) && !st.req.input.duration_secs)  // none asked for: the longest
              st.req.input.duration_secs = offer.body.max_duration_secs;
            st.offer = std::move(offer);
            st.free = payments::is_free(st.offer.body);
            if (st.free) return run(self);
            auto priced = [self] {
              if (!self->state.offer.body.pool.empty()) return try_pool(self);
              pay(self);
            };
            if (st.req.payment.header.empty()) return priced();  // unpaid: the challenge is the same everywhere
            route(self, true, caf::error(), priced);
          },
          [=](caf::error& e) {
            if (to_failure(e, "").code != offer_errc::offer_not_found) return refuse(self, std::move(e));
            if (self->state.req.forwarded)
              return refuse(self, fail(offer_errc::offer_unavailable,
                                       "offer " + self->state.req.offer_hash + " is no longer on the member it was sent to"));
            route(self, false, std::move(e), [] {});
          });
}

call_service_type::behavior_type call_behavior(call_actor self, std::shared_ptr<const call_settings> settings) {
  self->state.settings = std::move(settings);
  return {
      [self](call_atom, call_request& req) -> caf::result<call_result> {
        self->state.req = std::move(req);
        self->state.promise = self->make_response_promise<call_result>();
        start(self);
        return self->state.promise;
      },
  };
}

call_service_type::behavior_type call_service(call_service_type::pointer self,
                                              std::shared_ptr<const call_settings> settings) {
  return {
      [self, settings](call_atom a, call_request& req) -> caf::result<call_result> {
        bool hash_first = !req.input.stdin_file.empty() && req.input.stdin_sha256.empty();
        auto call = hash_first ? self->spawn<caf::detached>(call_behavior, settings) : self->spawn(call_behavior, settings);
        return self->delegate(call, a, std::move(req));
      },
  };
}

}  // namespace

call_service_type spawn_call_service(caf::actor_system& sys, call_settings settings) {
  return sys.spawn(call_service, std::make_shared<const call_settings>(std::move(settings)));
}

}  // namespace hearth::actors
