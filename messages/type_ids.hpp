// The node's one CAF type-ID block: every type its messages carry, each
// with its ID and its name on the wire. register_message_types adds all of
// them to an actor system's config (CAF 0.17.6 still needs the names there,
// on both sides of a remote link); a type missing here cannot travel.
// Append only: an ID, once given, keeps its type.
#pragma once

#include <caf/fwd.hpp>
#include <caf/type_id.hpp>

#include <vector>

#include "messages/call.hpp"
#include "messages/chain.hpp"
#include "messages/cluster.hpp"
#include "messages/couch.hpp"
#include "messages/interfaces.hpp"
#include "messages/market.hpp"
#include "messages/metrics.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "messages/payment.hpp"
#include "messages/pool.hpp"
#include "messages/task.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(hearth, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(hearth, (hearth::node_meta))
  CAF_ADD_TYPE_ID(hearth, (hearth::child_status))
  CAF_ADD_TYPE_ID(hearth, (hearth::supervisor_report))
  CAF_ADD_TYPE_ID(hearth, (hearth::offer_limits))
  CAF_ADD_TYPE_ID(hearth, (hearth::offer))
  CAF_ADD_TYPE_ID(hearth, (hearth::stored_offer))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::stored_offer>))
  CAF_ADD_TYPE_ID(hearth, (hearth::offer_upload))
  CAF_ADD_TYPE_ID(hearth, (hearth::task_record))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::task_record>))
  CAF_ADD_TYPE_ID(hearth, (hearth::task_input))
  CAF_ADD_TYPE_ID(hearth, (hearth::payment_record))
  CAF_ADD_TYPE_ID(hearth, (hearth::payment_claim))
  CAF_ADD_TYPE_ID(hearth, (hearth::payment_outcome))
  CAF_ADD_TYPE_ID(hearth, (hearth::ledger_entry))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::ledger_entry>))
  CAF_ADD_TYPE_ID(hearth, (hearth::resource_limits))
  CAF_ADD_TYPE_ID(hearth, (hearth::guest_permissions))
  CAF_ADD_TYPE_ID(hearth, (hearth::guest_usage))
  CAF_ADD_TYPE_ID(hearth, (hearth::invite_record))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::invite_record>))
  CAF_ADD_TYPE_ID(hearth, (hearth::guest_record))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::guest_record>))
  CAF_ADD_TYPE_ID(hearth, (hearth::invite_request))
  CAF_ADD_TYPE_ID(hearth, (hearth::redeem_request))
  CAF_ADD_TYPE_ID(hearth, (hearth::exec_request))
  CAF_ADD_TYPE_ID(hearth, (hearth::exec_result))
  CAF_ADD_TYPE_ID(hearth, (hearth::environment_usage))  // ID 28 was exec_sink (a callback), retired
  CAF_ADD_TYPE_ID(hearth, (hearth::error_code))
  CAF_ADD_TYPE_ID(hearth, (hearth::call_payment))
  CAF_ADD_TYPE_ID(hearth, (hearth::call_request))
  CAF_ADD_TYPE_ID(hearth, (hearth::payment_option))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::payment_option>))
  CAF_ADD_TYPE_ID(hearth, (hearth::call_verdict))
  CAF_ADD_TYPE_ID(hearth, (hearth::call_result))
  CAF_ADD_TYPE_ID(hearth, (hearth::market_capacity))
  CAF_ADD_TYPE_ID(hearth, (hearth::seller_info))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::seller_info>))
  CAF_ADD_TYPE_ID(hearth, (hearth::seller_hello))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_spec))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_event))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_access))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_record))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::job_record>))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_assignment))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_report))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::job_report>))
  CAF_ADD_TYPE_ID(hearth, (hearth::seller_heartbeat))
  CAF_ADD_TYPE_ID(hearth, (hearth::job_submission))
  CAF_ADD_TYPE_ID(hearth, (hearth::chain_submission))
  CAF_ADD_TYPE_ID(hearth, (hearth::chain_confirmation))
  CAF_ADD_TYPE_ID(hearth, (hearth::chain_status))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::chain_status>))
  CAF_ADD_TYPE_ID(hearth, (hearth::offer_variant))
  CAF_ADD_TYPE_ID(hearth, (hearth::price_option))
  CAF_ADD_TYPE_ID(hearth, (hearth::private_upload))
  CAF_ADD_TYPE_ID(hearth, (hearth::pool_use))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::pool_use>))
  CAF_ADD_TYPE_ID(hearth, (hearth::member_info))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::member_info>))
  // A typed handle sent as a message element (not inside a struct) needs a
  // name to cross nodes: a terminal's client attaching to a remote guest's shell.
  CAF_ADD_TYPE_ID(hearth, (hearth::terminal_client_type))
  // A job placed on another member's seller: its session (a place's answer)
  // and a buyer's end of a relayed SSH stream to it.
  CAF_ADD_TYPE_ID(hearth, (hearth::seller_session_type))
  CAF_ADD_TYPE_ID(hearth, (hearth::relay_peer_type))
  CAF_ADD_TYPE_ID(hearth, (hearth::metric_event))
  CAF_ADD_TYPE_ID(hearth, (hearth::metric_sample))
  CAF_ADD_TYPE_ID(hearth, (std::vector<hearth::metric_sample>))
CAF_END_TYPE_ID_BLOCK(hearth)

namespace hearth {

void register_message_types(caf::actor_system_config& cfg);
// The wire names of the block, in ID order (for tests and `hearth` diagnostics).
std::vector<const char*> message_type_names();

}  // namespace hearth
