// The couch (seed-couch's protocol): invites and guests as plain values
// (mirror records.capnp StoredInvite / StoredGuest) and the messages of the
// couch registry and guest actors.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/atoms.hpp"

namespace hearth {

struct resource_limits {
  double max_cpu_cores = 1;
  std::uint64_t max_memory_mb = 1024;
  std::uint64_t max_disk_gb = 5;
  std::uint64_t max_network_egress_gb = 1;
  std::uint64_t max_duration_hours = 24;
  std::uint64_t max_token_budget = 0;  // 0: no token budget
};

struct guest_permissions {
  bool can_access_internet = false;
  bool can_spawn_sub_agents = false;
  bool can_access_host_services = false;
};

enum class invite_state : std::uint8_t { active = 0, redeemed = 1, revoked = 2, expired = 3 };

struct invite_record {
  std::string id;
  std::string code_hash;  // hex sha256 of the code; the code itself is shown once
  std::string created_by;
  std::string label;
  resource_limits limits;
  guest_permissions permissions;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  invite_state state = invite_state::active;
  std::string guest_id;  // who redeemed it
  std::int64_t ended_at_ms = 0;
  std::string code;  // only in the reply to its creation; never stored
};

enum class guest_state : std::uint8_t { provisioning = 0, running = 1, expired = 2, revoked = 3, failed = 4 };

// The names the API shows (seed-couch's status values).
inline const char* state_name(invite_state s) {
  constexpr const char* names[] = {"active", "redeemed", "revoked", "expired"};
  return static_cast<unsigned>(s) < 4 ? names[static_cast<unsigned>(s)] : "unknown";
}
inline const char* state_name(guest_state s) {
  constexpr const char* names[] = {"provisioning", "running", "expired", "revoked", "failed"};
  return static_cast<unsigned>(s) < 5 ? names[static_cast<unsigned>(s)] : "unknown";
}

struct guest_usage {
  double cpu_secs = 0;
  std::uint64_t memory_mb = 0;
  std::uint64_t disk_mb = 0;
  std::uint64_t network_egress_mb = 0;
  std::uint64_t tokens_in = 0;
  std::uint64_t tokens_out = 0;
};

struct guest_record {
  std::string id;
  std::string name;
  std::string public_key;
  std::string invite_id;
  std::string token_hash;  // hex sha256 of the token; the token itself is shown once
  guest_state state = guest_state::provisioning;
  std::string reason;  // why it ended
  resource_limits limits;
  guest_permissions permissions;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::int64_t activated_at_ms = 0;
  std::int64_t ended_at_ms = 0;
  std::string agent_endpoint;
  guest_usage usage;
  std::string home_node;  // the cluster member whose environment host runs it ("": this node, no cluster)
  std::string token;  // only in the reply to the redeem; never stored
};

// POST /couch/invites
struct invite_request {
  std::string created_by, label;
  resource_limits limits;
  guest_permissions permissions;
  double expires_in_hours = 24;
};

// POST /couch/redeem
struct redeem_request {
  std::string code, name, public_key;
};

// POST /couch/guest/exec: a command in the guest's environment.
struct exec_request {
  std::vector<std::string> argv;  // argv[0] a path inside the environment
  std::string stdin_data;
  std::uint64_t timeout_secs = 60;
};

struct exec_result {
  std::string ending;  // sandbox::ending's name
  std::int32_t exit_code = 0;
  std::int32_t signal = 0;
  std::string stdout_data, stderr_data;
  double cpu_secs = 0, wall_secs = 0;
  std::uint64_t peak_memory_bytes = 0;
};

// Whoever streams a command's output on to its client (the NDJSON edge):
// each chunk as it is produced (fd 1 stdout, 2 stderr), one at a time,
// answered with whether to go on (the backpressure); it sends itself
// room_atom when its client has read. None: the result carries it whole.
using exec_stream_type =
    caf::typed_actor<caf::replies_to<output_atom, std::int32_t /*fd*/, std::string>::with<bool>,
                     caf::reacts_to<room_atom>>;

// What a guest's environment used: CPU and egress since the previous
// sample, peak memory and disk now.
struct environment_usage {
  double cpu_secs = 0;
  std::uint64_t memory_mb = 0;
  std::uint64_t disk_mb = 0;
  std::uint64_t network_egress_mb = 0;
};

// Whoever shows a guest's terminal (the WebSocket edge): the shell's output,
// one chunk at a time answered with whether to go on, then its end (exit
// code, signal).
using terminal_client_type =
    caf::typed_actor<caf::replies_to<output_atom, std::string>::with<bool>,
                     caf::reacts_to<ended_atom, std::int32_t, std::int32_t>>;

// A shell on a pty in a guest's environment (actors/terminal_actor): it
// starts pumping once its client is attached; keys, resizes and the hangup
// (the client went) as they come.
using terminal_type = caf::typed_actor<caf::reacts_to<attach_atom, terminal_client_type>,
                                       caf::reacts_to<input_atom, std::string>,
                                       caf::reacts_to<resize_atom, std::uint16_t, std::uint16_t>,
                                       caf::reacts_to<hangup_atom>>;


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource_limits& x) {
  return f(caf::meta::type_name("resource_limits"), x.max_cpu_cores, x.max_memory_mb, x.max_disk_gb,
           x.max_network_egress_gb, x.max_duration_hours, x.max_token_budget);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, guest_permissions& x) {
  return f(caf::meta::type_name("guest_permissions"), x.can_access_internet, x.can_spawn_sub_agents,
           x.can_access_host_services);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, invite_record& x) {
  return f(caf::meta::type_name("invite_record"), x.id, x.code_hash, x.created_by, x.label, x.limits, x.permissions,
           x.created_at_ms, x.expires_at_ms, x.state, x.guest_id, x.ended_at_ms, x.code);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, guest_usage& x) {
  return f(caf::meta::type_name("guest_usage"), x.cpu_secs, x.memory_mb, x.disk_mb, x.network_egress_mb, x.tokens_in,
           x.tokens_out);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, guest_record& x) {
  return f(caf::meta::type_name("guest_record"), x.id, x.name, x.public_key, x.invite_id, x.token_hash, x.state,
           x.reason, x.limits, x.permissions, x.created_at_ms, x.expires_at_ms, x.activated_at_ms, x.ended_at_ms,
           x.agent_endpoint, x.usage, x.home_node, x.token);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, invite_request& x) {
  return f(caf::meta::type_name("invite_request"), x.created_by, x.label, x.limits, x.permissions, x.expires_in_hours);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exec_request& x) {
  return f(caf::meta::type_name("exec_request"), x.argv, x.stdin_data, x.timeout_secs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exec_result& x) {
  return f(caf::meta::type_name("exec_result"), x.ending, x.exit_code, x.signal, x.stdout_data, x.stderr_data,
           x.cpu_secs, x.wall_secs, x.peak_memory_bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, environment_usage& x) {
  return f(caf::meta::type_name("environment_usage"), x.cpu_secs, x.memory_mb, x.disk_mb, x.network_egress_mb);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, redeem_request& x) {
  return f(caf::meta::type_name("redeem_request"), x.code, x.name, x.public_key);
}

}  // namespace hearth
