// Every atom of the node: the verbs of its messages (who answers each is in
// its actor's interface, messages/interfaces.hpp) and the timers actors send
// themselves. One definition each: two actors meaning different things by
// one name cannot happen.
#pragma once

#include <caf/atom.hpp>

namespace hearth {

// Verbs.
using get_atom = caf::atom_constant<caf::atom("get")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using health_atom = caf::atom_constant<caf::atom("health")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using settle_atom = caf::atom_constant<caf::atom("settle")>;
using ledger_atom = caf::atom_constant<caf::atom("ledger")>;
using facilitate_atom = caf::atom_constant<caf::atom("facilit")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;  // a payment actor claims its nonce from the registry
using redeem_atom = caf::atom_constant<caf::atom("redeem")>;
using terminal_atom = caf::atom_constant<caf::atom("terminal")>;
using exec_atom = caf::atom_constant<caf::atom("exec")>;
using provision_atom = caf::atom_constant<caf::atom("provision")>;
using revoke_atom = caf::atom_constant<caf::atom("revoke")>;
using activate_atom = caf::atom_constant<caf::atom("activate")>;
using usage_atom = caf::atom_constant<caf::atom("usage")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using guests_atom = caf::atom_constant<caf::atom("guests")>;
using invites_atom = caf::atom_constant<caf::atom("invites")>;
using call_atom = caf::atom_constant<caf::atom("call")>;      // an offer called through the call service
using output_atom = caf::atom_constant<caf::atom("output")>;  // a chunk of output, to its stream
using attach_atom = caf::atom_constant<caf::atom("attach")>;  // a terminal's client
using input_atom = caf::atom_constant<caf::atom("input")>;    // keys for a terminal
using resize_atom = caf::atom_constant<caf::atom("resize")>;
using hangup_atom = caf::atom_constant<caf::atom("hangup")>;
using ended_atom = caf::atom_constant<caf::atom("ended")>;    // a terminal's shell ended
// The marketplace.
using submit_atom = caf::atom_constant<caf::atom("submit")>;      // a buyer's job
using place_atom = caf::atom_constant<caf::atom("place")>;        // matchmaking: a seller for a job
using relay_atom = caf::atom_constant<caf::atom("relay")>;        // a buyer's SSH bytes through the hub
using quote_atom = caf::atom_constant<caf::atom("quote")>;        // matchmaking without reserving: who, at what price
using release_atom = caf::atom_constant<caf::atom("release")>;    // a job no longer holds its seller's capacity
using assign_atom = caf::atom_constant<caf::atom("assign")>;      // the hub gives a seller a job
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using extend_atom = caf::atom_constant<caf::atom("extend")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;          // a seller session ended
using gone_atom = caf::atom_constant<caf::atom("gone")>;          // a seller went offline: its jobs are lost
using lost_atom = caf::atom_constant<caf::atom("lost")>;
using foreign_atom = caf::atom_constant<caf::atom("foreign")>;  // a member's seller on jobs another hub holds
using inventory_atom = caf::atom_constant<caf::atom("inventory")>;  // the jobs a seller says it runs
using report_atom = caf::atom_constant<caf::atom("report")>;      // a seller's word on one job
using start_atom = caf::atom_constant<caf::atom("start")>;
using challenge_atom = caf::atom_constant<caf::atom("challenge")>;
using welcome_atom = caf::atom_constant<caf::atom("welcome")>;
using refuse_atom = caf::atom_constant<caf::atom("refuse")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;      // a WebSocket ended

// Timers and internal notes an actor sends itself or its registry.
using sample_atom = caf::atom_constant<caf::atom("sample")>;          // couch registry, guest: read usage
using task_sweep_atom = caf::atom_constant<caf::atom("tasksweep")>;   // task registry: retention sweep
using couch_sweep_atom = caf::atom_constant<caf::atom("couchsweep")>; // couch registry: expiry sweep
using task_done_atom = caf::atom_constant<caf::atom("taskdone")>;     // task actor -> task registry
using hold_expired_atom = caf::atom_constant<caf::atom("holdexp")>;   // payment actor: its hold lapsed
using retry_atom = caf::atom_constant<caf::atom("retry")>;            // payment actor: settle again
using provisioned_atom = caf::atom_constant<caf::atom("provisd")>;    // guest actor: environment built
using room_atom = caf::atom_constant<caf::atom("room")>;              // a stdout stream: its client has read
using restart_atom = caf::atom_constant<caf::atom("restart")>;        // root supervisor: restart after a backoff
using drained_atom = caf::atom_constant<caf::atom("drained")>;        // HTTP edge: connections drained
using hb_check_atom = caf::atom_constant<caf::atom("hbcheck")>;       // seller session: heartbeats missed?
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;    // seller agent: send the next one
using job_sweep_atom = caf::atom_constant<caf::atom("jobsweep")>;     // job registry: expiry and retention
using expire_atom = caf::atom_constant<caf::atom("expire")>;          // a job's time is up
using answer_atom = caf::atom_constant<caf::atom("answer")>;          // job actor: answer the submit now
using simulate_atom = caf::atom_constant<caf::atom("simulate")>;    // chain settler: would the token take it?
using confirm_atom = caf::atom_constant<caf::atom("confirm")>;        // chain settler: has the transaction a receipt?
using poll_atom = caf::atom_constant<caf::atom("poll")>;              // payment actor: ask for the receipt again
using batch_atom = caf::atom_constant<caf::atom("batch")>;          // chain settler: a payment waits for the pass
using acquire_atom = caf::atom_constant<caf::atom("acquire")>;      // pool ledger: a free call, if the pool has room
using hello_atom = caf::atom_constant<caf::atom("hello")>;          // cluster: a member joins (or rejoins)
using directory_atom = caf::atom_constant<caf::atom("directory")>;  // cluster: a member's heartbeat with what it holds
using locate_atom = caf::atom_constant<caf::atom("locate")>;        // cluster: who holds this offer?
using beat_atom = caf::atom_constant<caf::atom("beat")>;            // cluster member: send the next heartbeat
using joined_atom = caf::atom_constant<caf::atom("joined")>;        // cluster member: its connector reached (or not) an address
using settle_wait_atom = caf::atom_constant<caf::atom("settlewait")>;  // payment actor: answer the call pending

}  // namespace hearth
