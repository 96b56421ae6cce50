// The actors' contracts as CAF typed_actor interfaces: what each one
// answers, checked by the compiler on both sides (an actor that does not
// handle its interface, or a caller sending what it does not take, does not
// build). Each actor's header says what it owns; its interface is here.
// The stream interfaces output travels by, answered chunk by chunk (the
// backpressure), sit beside the values they carry: stdout_stream_type
// (task.hpp), call_stream_type (call.hpp), exec_stream_type, terminal_type
// and terminal_client_type (couch.hpp).
// Errors travel as caf::error of a module in messages/errors.hpp.
#pragma once

#include <caf/system_messages.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/atoms.hpp"
#include "messages/call.hpp"
#include "messages/chain.hpp"
#include "messages/cluster.hpp"
#include "messages/couch.hpp"
#include "messages/errors.hpp"
#include "messages/market.hpp"
#include "messages/metrics.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "messages/payment.hpp"
#include "messages/pool.hpp"
#include "messages/task.hpp"

namespace hearth {

// The node's meta record (actors/node_actor): how often it started, whether
// the last run stopped cleanly.
using node_actor_type = caf::typed_actor<caf::replies_to<get_atom>::with<node_meta>>;

// One verified offer, activated on demand and passivated when idle.
using offer_actor_type = caf::typed_actor<caf::replies_to<get_atom>::with<stored_offer>>;

// The set of offers (actors/offer_registry): uploads are validated and
// stored (idempotent per hash), gets go through the offer's actor, listings
// come from storage; health is the number of offer actors alive. A private
// upload stores the owner's secret env or stdin of an offer (sealed).
using offer_registry_type =
    caf::typed_actor<caf::replies_to<put_atom, offer_upload>::with<stored_offer>,
                     caf::replies_to<put_atom, private_upload>::with<stored_offer>,
                     caf::replies_to<get_atom, std::string>::with<stored_offer>,
                     caf::replies_to<list_atom, std::string, std::uint32_t>::with<std::vector<stored_offer>>,
                     caf::replies_to<health_atom>::with<std::uint64_t>>;

// The node's counts for GET /metrics (actors/metrics_registry): events from
// any actor, added up; get answers them with the storage's and the
// process's figures of that moment.
using metrics_registry_type =
    caf::typed_actor<caf::reacts_to<metric_event>, caf::replies_to<get_atom>::with<std::vector<metric_sample>>>;

// The operator's pools (actors/pool_ledger): acquire takes one call of a
// pool's capacity for the asking actor (true: the call is free; a
// concurrent pool's room comes back when that actor ends); get lists use.
using pool_ledger_type = caf::typed_actor<caf::replies_to<acquire_atom, std::string>::with<bool>,
                                          caf::replies_to<get_atom>::with<std::vector<pool_use>>>;

// A cluster member (actors/cluster_member): hello answers a joining node
// with the members it knows; directory is a member's heartbeat; locate
// finds the call service of a live member holding an offer (held_here: this
// node is one of them), chosen by the routing key when one is given (a paid
// call's payer and nonce: always the same member), a null handle when this
// node is the one, offer_unavailable when every holder is gone; list is the
// offers the other live members hold (MCP tools/list); get lists the
// members for /cluster, or one live member by name (this node's own entry
// for its name); joined is its connector's word on an address (the
// member reached, or a null handle); connect tries a --join address again;
// publish starts it once it listens.
using cluster_member_type =
    caf::typed_actor<caf::replies_to<hello_atom, member_info>::with<std::vector<member_info>>,
                     caf::reacts_to<directory_atom, member_info>,
                     caf::replies_to<locate_atom, std::string /*offer*/, std::string /*key*/, bool /*held_here*/>::with<caf::actor>,
                     caf::replies_to<list_atom>::with<std::vector<stored_offer>>,
                     caf::replies_to<get_atom>::with<std::vector<member_info>>,
                     caf::replies_to<get_atom, std::string /*name*/>::with<member_info>,
                     caf::reacts_to<beat_atom>,
                     caf::reacts_to<joined_atom, std::string /*address*/, caf::actor>,
                     caf::reacts_to<caf::connect_atom, std::string /*address*/>,
                     caf::reacts_to<caf::publish_atom, std::string /*own address*/>>;

// Task execution (actors/task_registry): run an offer with an input (the
// task's record when it ends; a deterministic offer's repeat answered from
// the cache, or joined to the identical task running), look one up, list
// them; health is the number running. Task actors report task_done; the
// sweep is its retention timer.
using task_registry_type =
    caf::typed_actor<caf::replies_to<run_atom, stored_offer, task_input>::with<task_record>,
                     caf::replies_to<get_atom, std::string>::with<task_record>,
                     caf::replies_to<get_atom, std::string, std::string>::with<task_record>,
                     caf::replies_to<list_atom, std::string, std::uint32_t>::with<std::vector<task_record>>,
                     caf::replies_to<health_atom>::with<std::uint64_t>,
                     caf::reacts_to<task_done_atom, task_record>,
                     caf::reacts_to<task_sweep_atom>>;

// One x402 payment (actors/payment_actor), activated empty for a hold or a
// facilitator request, or from storage to be settled: hold verifies and
// claims the nonce; facilitate is the node verifying (and settling) for
// another server; settle charges or releases it. Its timers: the hold's
// limit and the facilitator's retry.
using payment_actor_type =
    caf::typed_actor<caf::replies_to<hold_atom, payment_claim>::with<payment_record>,
                     caf::replies_to<facilitate_atom, payment_claim, bool>::with<payment_record>,
                     caf::replies_to<settle_atom, payment_outcome>::with<payment_record>,
                     caf::reacts_to<retry_atom>, caf::reacts_to<hold_expired_atom>, caf::reacts_to<poll_atom>,
                     caf::reacts_to<settle_wait_atom>>;

// One settlement key on one network (actors/chain_settler): simulates an
// authorization against the token (the facilitator's verify), submits a held
// payment's authorization in a transaction it signs (at most one per
// payment, written before it is sent), says whether a transaction has its
// receipt (rebroadcasting the same bytes when the chain lost it), and
// reports its key's gas money and backlog (with the payments queued for the
// next settlement pass, which their actors announce).
using chain_settler_type =
    caf::typed_actor<caf::replies_to<simulate_atom, payment_record>::with<bool>,
                     caf::replies_to<settle_atom, payment_record>::with<chain_submission>,
                     caf::replies_to<confirm_atom, std::string /*payment id*/, std::string /*tx hash*/>::with<chain_confirmation>,
                     caf::reacts_to<batch_atom, std::string /*payment id*/, std::int64_t /*pass at, unix ms*/>,
                     caf::replies_to<get_atom>::with<chain_status>>;

// The node's payments (actors/payment_registry): holds, facilitator
// requests and settles go to a payment's actor; it is the one writer of the
// nonce column (claim, from payment actors only: exactly once per payer and
// nonce); lookups and the ledger come from storage.
using payment_registry_type =
    caf::typed_actor<caf::replies_to<hold_atom, payment_claim>::with<payment_record>,
                     caf::replies_to<facilitate_atom, payment_claim, bool>::with<payment_record>,
                     caf::replies_to<settle_atom, payment_outcome>::with<payment_record>,
                     caf::replies_to<get_atom, std::string>::with<payment_record>,
                     caf::replies_to<ledger_atom, std::string, std::uint32_t>::with<std::vector<ledger_entry>>,
                     caf::replies_to<claim_atom, payment_record>::with<bool>>;

// The guest environments on one node (actors/environment_host), for the
// guest actors of any cluster member: build one (its agent endpoint), a
// command (its result and the usage sampled after it; the output streamed
// to an exec_stream_type as it comes, when one is given), a shell (a
// terminal_type), remove one (its commands cancelled first), sample one,
// the guests with processes, and the memory left for more guests.
// Handles travel as caf::actor: CAF 0.17 names no typed handle on the wire.
using environment_host_type = caf::typed_actor<
    caf::replies_to<provision_atom, guest_record>::with<std::string /*endpoint*/>,
    caf::replies_to<exec_atom, guest_record, exec_request, caf::actor /*exec_stream_type*/>::with<exec_result,
                                                                                                 environment_usage>,
    caf::replies_to<terminal_atom, guest_record, std::uint32_t, std::uint32_t>::with<caf::actor /*terminal_type*/>,
    caf::replies_to<revoke_atom, std::string /*guest*/>::with<bool>,
    caf::replies_to<sample_atom, std::string /*guest*/>::with<environment_usage>,
    caf::replies_to<list_atom>::with<std::vector<std::string>>,
    caf::replies_to<get_atom>::with<std::uint64_t /*room mb*/>>;

// One couch guest (actors/guest_actor), activated from storage on demand:
// its record, activation (provisioning -> running), usage reports, the
// kill switch or expiry (revoke with the reason), a command or a shell in
// its environment. provision and sample are the registry's nudges.
using guest_actor_type =
    caf::typed_actor<caf::replies_to<get_atom>::with<guest_record>,
                     caf::replies_to<activate_atom, std::string /*endpoint*/>::with<guest_record>,
                     caf::replies_to<usage_atom, guest_usage>::with<guest_record>,
                     caf::replies_to<revoke_atom, std::string /*reason*/>::with<guest_record>,
                     caf::replies_to<exec_atom, exec_request, exec_stream_type>::with<exec_result>,
                     caf::replies_to<terminal_atom, std::uint32_t /*cols*/, std::uint32_t /*rows*/>::with<terminal_type>,
                     caf::reacts_to<provision_atom>, caf::reacts_to<sample_atom>>;

// The couch (actors/couch_registry): invites (create, list by status,
// revoke), the one redeem of each, guests by token or id and what the host
// does to them; commands and shells go to the token's guest. Its timers:
// the expiry sweep and the usage sample.
using couch_registry_type = caf::typed_actor<
    caf::replies_to<put_atom, invite_request>::with<invite_record>,
    caf::replies_to<invites_atom, std::string /*status*/, std::string /*after*/, std::uint32_t>::with<
        std::vector<invite_record>>,
    caf::replies_to<revoke_atom, invites_atom, std::string>::with<invite_record>,
    caf::replies_to<redeem_atom, redeem_request>::with<guest_record>,
    caf::replies_to<token_atom, std::string>::with<guest_record>,
    caf::replies_to<guests_atom, std::string /*after*/, std::uint32_t>::with<std::vector<guest_record>>,
    caf::replies_to<get_atom, guests_atom, std::string>::with<guest_record>,
    caf::replies_to<revoke_atom, guests_atom, std::string>::with<guest_record>,
    caf::replies_to<activate_atom, std::string /*id*/, std::string /*endpoint*/>::with<guest_record>,
    caf::replies_to<usage_atom, std::string /*id*/, guest_usage>::with<guest_record>,
    caf::replies_to<exec_atom, std::string /*token*/, exec_request, exec_stream_type>::with<exec_result>,
    caf::replies_to<terminal_atom, std::string /*token*/, std::uint32_t, std::uint32_t>::with<terminal_type>,
    caf::reacts_to<couch_sweep_atom>, caf::reacts_to<sample_atom>>;

// The root of the supervision tree (actors/root_supervisor): the children's
// health, and the orderly stop (true once every child is down). restart is
// its own backoff timer for a child that failed to restart.
using root_supervisor_type = caf::typed_actor<caf::replies_to<health_atom>::with<supervisor_report>,
                                              caf::replies_to<stop_atom>::with<bool>,
                                              caf::reacts_to<restart_atom, caf::down_msg>>;

// The HTTP edge (net/http_edge): its base URL, and the drain before a stop
// (true once requests in flight have finished or the deadline closed them);
// drained is the listener's note that it has.
using http_edge_type = caf::typed_actor<caf::replies_to<get_atom>::with<std::string>,
                                        caf::replies_to<drain_atom>::with<bool>, caf::reacts_to<drained_atom>>;

// Calls of offers (actors/call_service, one call actor each): lookup,
// payment hold, task, verdict and settlement. Every edge's call and, in a
// cluster, a forwarded one. The stdout stream a CGI edge passes in the
// call's input is a stdout_stream_type (messages/task.hpp).
using call_service_type = caf::typed_actor<caf::replies_to<call_atom, call_request>::with<call_result>>;

// ---- The marketplace (a hub's side) ----

// The buyer's end of a relayed SSH connection (net/market_routes, one
// WebSocket): the seller's bytes to write, and the stream's end.
using relay_peer_type = caf::typed_actor<caf::reacts_to<output_atom, std::string>, caf::reacts_to<hangup_atom>>;

// One connected seller (actors/seller_session), from the challenge to the
// socket's end: its hello (signature and acceptance), heartbeats, reports;
// assign is answered by the seller's report on that job. Its timer: the
// heartbeat check (stale, then offline).
using seller_session_type = caf::typed_actor<
    caf::reacts_to<seller_hello>, caf::reacts_to<seller_heartbeat>, caf::reacts_to<job_report>,
    caf::reacts_to<closed_atom>, caf::replies_to<assign_atom, job_assignment>::with<job_report>,
    caf::reacts_to<cancel_atom, std::string /*job*/, std::string /*reason*/>,
    caf::reacts_to<extend_atom, std::string /*job*/, std::int64_t /*expires at ms*/>,
    caf::reacts_to<hb_check_atom>,
    // The relay: a buyer's stream to a job's sshd opened, its bytes both ways, its end.
    caf::reacts_to<relay_atom, std::uint32_t /*stream*/, std::string /*job*/, relay_peer_type>,
    caf::reacts_to<input_atom, std::uint32_t, std::string> /*buyer -> seller*/,
    caf::reacts_to<output_atom, std::uint32_t, std::string> /*seller -> buyer*/,
    caf::reacts_to<hangup_atom, std::uint32_t>>;

// The edge's half of one seller WebSocket (net/market_routes): what the
// seller session says to the seller, encoded there (protocols/market_wire).
// refuse sends the code and message, then closes the socket. Relay bytes
// never wait: a seller that does not take them loses the stream (hangup to
// the session attached).
using seller_link_type = caf::typed_actor<
    caf::reacts_to<challenge_atom, std::string /*nonce*/, std::uint64_t /*heartbeat ms*/>,
    caf::reacts_to<welcome_atom, std::string /*seller id*/>, caf::reacts_to<job_assignment>,
    caf::reacts_to<cancel_atom, std::string /*job*/, std::string /*reason*/>,
    caf::reacts_to<extend_atom, std::string /*job*/, std::int64_t /*expires at ms*/>,
    caf::reacts_to<refuse_atom, error_code, std::string>,
    caf::reacts_to<relay_atom, std::uint32_t /*stream*/, std::string /*job*/>,
    caf::reacts_to<input_atom, std::uint32_t, std::string>, caf::reacts_to<hangup_atom, std::uint32_t>,
    caf::reacts_to<attach_atom, seller_session_type>>;

// The sellers online (actors/seller_directory) and the matchmaker: place
// picks one with the image and the capacity (cheapest, then least loaded)
// and reserves the job's share of it until release.
using seller_directory_type = caf::typed_actor<
    caf::reacts_to<put_atom, seller_info, seller_session_type>,
    caf::reacts_to<drop_atom, std::string /*address*/, seller_session_type>,
    caf::replies_to<place_atom, std::string /*job*/, job_spec>::with<seller_info, seller_session_type>,
    caf::replies_to<quote_atom, job_spec>::with<seller_info>,
    caf::reacts_to<release_atom, std::string /*address*/, std::string /*job*/>,
    caf::replies_to<list_atom>::with<std::vector<seller_info>>,
    caf::replies_to<health_atom>::with<std::uint64_t /*sellers online*/>,
    caf::replies_to<get_atom, std::string /*address*/>::with<seller_session_type>>;

// One job (actors/job_actor), activated from storage by the job registry:
// start places and assigns it (answered once it runs, fails, or wait ms
// pass); the seller's reports, loss and expiry move it on.
using job_actor_type = caf::typed_actor<
    caf::replies_to<get_atom>::with<job_record>,
    caf::replies_to<start_atom, std::uint64_t /*wait ms*/, payment_claim /*empty: free*/>::with<job_submission>,
    caf::replies_to<cancel_atom, std::string /*reason*/>::with<job_record>,
    caf::replies_to<extend_atom, std::uint64_t /*secs*/, call_payment>::with<job_submission>, caf::reacts_to<job_report>,
    caf::reacts_to<lost_atom, std::string /*reason*/>, caf::reacts_to<expire_atom>, caf::reacts_to<answer_atom>>;

// The hub's jobs (actors/job_registry): submit makes a job (its token is in
// that answer only), reads and changes go to its actor after the token
// check (owner: the host token, checked by the edge); sellers' reports,
// departures and inventories go to the jobs they name. Its timer: the sweep
// (expiry of jobs whose seller is away, retention).
using job_registry_type = caf::typed_actor<
    caf::replies_to<submit_atom, job_spec, call_payment, std::uint64_t /*wait ms*/>::with<job_submission>,
    caf::replies_to<get_atom, std::string /*id*/, std::string /*token*/, bool /*owner*/>::with<job_record>,
    caf::replies_to<list_atom, std::string /*state*/, std::string /*after*/, std::uint32_t>::with<std::vector<job_record>>,
    caf::replies_to<cancel_atom, std::string, std::string, bool>::with<job_record>,
    caf::replies_to<extend_atom, std::string, std::string, bool, std::uint64_t /*secs*/, call_payment>::with<job_submission>,
    // The session of a running job's seller, on whichever member it is (the SSH relay).
    caf::replies_to<relay_atom, std::string /*id*/, std::string /*token*/, bool /*owner*/>::with<seller_session_type>,
    caf::reacts_to<report_atom, std::string /*seller*/, job_report>,
    caf::reacts_to<gone_atom, std::string /*seller*/, std::string /*reason*/>,
    caf::reacts_to<inventory_atom, std::string /*seller*/, std::vector<job_report>>, caf::reacts_to<job_sweep_atom>,
    // Across the cluster: member's seller reports on jobs this hub holds (never forwarded again), that
    // seller offline, and member itself gone (the jobs on its sellers are lost until they report again).
    caf::reacts_to<foreign_atom, std::string /*member*/, std::string /*seller*/, std::vector<job_report>>,
    caf::reacts_to<foreign_atom, gone_atom, std::string /*member*/, std::string /*seller*/, std::string /*reason*/>,
    caf::reacts_to<lost_atom, std::string /*member*/>>;

// ---- The marketplace (a seller's side) ----

// A seller (actors/seller_agent): the hub's messages as its link decodes
// them, its jobs' environments, deadlines and heartbeats.
using seller_agent_type = caf::typed_actor<
    caf::reacts_to<welcome_atom, std::string /*seller id*/, std::uint64_t /*heartbeat ms*/>,
    caf::reacts_to<closed_atom, std::string /*why*/>, caf::reacts_to<job_assignment>,
    caf::reacts_to<cancel_atom, std::string, std::string>, caf::reacts_to<extend_atom, std::string, std::int64_t>,
    caf::reacts_to<job_report> /*a helper's outcome*/, caf::reacts_to<expire_atom, std::string /*job*/>,
    caf::reacts_to<heartbeat_atom>, caf::replies_to<get_atom>::with<std::vector<job_report>>>;

}  // namespace hearth
