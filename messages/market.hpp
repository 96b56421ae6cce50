// The compute marketplace (the seed's hub, sellers and jobs) as plain
// values: what a seller offers and reports, a buyer's job and its record
// (mirrors records.capnp StoredJob), and what the hub and a seller say to
// each other (protocols/market_wire turns these into the JSON of the
// seller WebSocket and back).
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/call.hpp"
#include "messages/payment.hpp"

namespace hearth {

// What a seller can run at once: total, or free now.
struct market_capacity {
  double cpus = 0;
  std::uint64_t mem_mb = 0;
  std::uint32_t jobs = 0;
};

// A connected seller as the hub sees it (GET /sellers/online).
struct seller_info {
  std::string id;       // "<address>/<name>"
  std::string address;  // 0x, lowercase: the key its hello was signed with
  std::string name;
  std::string ssh_host;  // where buyers reach its jobs' sshd directly ("" behind NAT: the hub relays)
  std::vector<std::string> images;
  std::uint64_t price_per_hour = 0;  // USDC atomic units per hour of one job; 0: free
  std::uint64_t max_duration_secs = 0;
  market_capacity total, free;
  std::uint32_t jobs_running = 0;
  std::uint64_t heartbeat_seq = 0;
  std::int64_t connected_at_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
  bool stale = false;  // heartbeats missed: no new jobs
};

// What a buyer asks for (POST /jobs/submit, after validation).
struct job_spec {
  std::string ssh_pubkey;  // one OpenSSH public key line, options stripped
  std::string image = "host";
  double cpus = 1;
  std::uint64_t mem_mb = 512;
  std::uint64_t duration_secs = 600;
};

enum class job_state : std::uint8_t {
  queued = 0,
  assigned = 1,
  provisioning = 2,
  running = 3,
  expired = 4,
  cancelled = 5,
  failed = 6,
  lost = 7,
};

// The names the API shows; "" parses as nothing.
inline const char* state_name(job_state s) {
  constexpr const char* names[] = {"queued",  "assigned",  "provisioning", "running",
                                   "expired", "cancelled", "failed",       "lost"};
  return static_cast<unsigned>(s) < 8 ? names[static_cast<unsigned>(s)] : "unknown";
}
inline bool parse_job_state(const std::string& name, job_state& out) {
  for (unsigned i = 0; i < 8; ++i)
    if (name == state_name(static_cast<job_state>(i))) return out = static_cast<job_state>(i), true;
  return false;
}
// Whether a job in s is over (its environment is gone or never came).
inline bool is_final(job_state s) { return s >= job_state::expired && s != job_state::lost; }

struct job_event {
  job_state state = job_state::queued;
  std::string reason;
  std::int64_t at_ms = 0;
};

// Where the buyer logs in, as the seller answered.
struct job_access {
  std::string ssh_host;
  std::uint16_t ssh_port = 0;
  std::string ssh_user;
  std::string ssh_host_key;  // "ssh-ed25519 AAAA..." (the job's own host key)
};

struct job_record {
  std::string id;
  std::string token_hash;  // hex sha256 of the job token; the token is shown once
  job_spec spec;
  job_state state = job_state::queued;
  std::string reason;
  std::string seller;  // the seller's address, once assigned
  std::string seller_id;
  job_access access;
  std::uint64_t price_per_hour = 0;  // its seller's, USDC atomic units
  std::uint64_t price = 0;           // USDC atomic units paid for its duration (and extensions)
  std::string payment_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // set when it runs; the seller destroys it then
  std::vector<job_event> history;
  std::string token;  // only in the answer to the submit; never stored
  std::string home_node;  // the cluster member whose seller runs it; empty: this hub
};

// The hub to a seller: build this job's environment.
struct job_assignment {
  std::string job_id;
  job_spec spec;
  std::int64_t expires_at_ms = 0;
};

// A seller about one job: provisioned (running, with access), or ended.
struct job_report {
  std::string job_id;
  job_state state = job_state::running;
  std::string reason;
  job_access access;
  std::int64_t expires_at_ms = 0;
};

// A seller's application heartbeat: its sequence, free capacity and the
// jobs it still runs (the hub reconciles its records against them).
struct seller_heartbeat {
  std::uint64_t seq = 0;
  market_capacity free;
  std::vector<job_report> jobs;
};

// A seller's answer to the hub's challenge: who it is (the signature by its
// key over hello_message(nonce, address, name)) and what it offers.
struct seller_hello {
  std::string name;
  std::string address;    // 0x, lowercase
  std::string signature;  // 0x, 65 bytes
  std::string ssh_host;
  std::vector<std::string> images;
  std::uint64_t price_per_hour = 0;
  std::uint64_t max_duration_secs = 0;
  market_capacity capacity;
};

// The answer to a submit or an extension: the job, or, when the seller
// charges and no acceptable payment came, what to pay (x402 options) and why
// a payment sent was not taken; the receipt once a payment is charged.
struct job_submission {
  job_record job;  // id empty: nothing was done (pay first)
  std::vector<payment_option> payment_options;
  std::string payment_error;
  bool has_receipt = false;
  payment_record receipt;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_submission& x) {
  return f(caf::meta::type_name("job_submission"), x.job, x.payment_options, x.payment_error, x.has_receipt, x.receipt);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seller_hello& x) {
  return f(caf::meta::type_name("seller_hello"), x.name, x.address, x.signature, x.ssh_host, x.images,
           x.price_per_hour, x.max_duration_secs, x.capacity);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, market_capacity& x) {
  return f(caf::meta::type_name("market_capacity"), x.cpus, x.mem_mb, x.jobs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seller_info& x) {
  return f(caf::meta::type_name("seller_info"), x.id, x.address, x.name, x.ssh_host, x.images, x.price_per_hour,
           x.max_duration_secs, x.total, x.free, x.jobs_running, x.heartbeat_seq, x.connected_at_ms,
           x.last_heartbeat_ms, x.stale);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_spec& x) {
  return f(caf::meta::type_name("job_spec"), x.ssh_pubkey, x.image, x.cpus, x.mem_mb, x.duration_secs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_event& x) {
  return f(caf::meta::type_name("job_event"), x.state, x.reason, x.at_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_access& x) {
  return f(caf::meta::type_name("job_access"), x.ssh_host, x.ssh_port, x.ssh_user, x.ssh_host_key);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_record& x) {
  return f(caf::meta::type_name("job_record"), x.id, x.token_hash, x.spec, x.state, x.reason, x.seller, x.seller_id,
           x.access, x.price_per_hour, x.price, x.payment_id, x.created_at_ms, x.updated_at_ms, x.expires_at_ms, x.history, x.token,
           x.home_node);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_assignment& x) {
  return f(caf::meta::type_name("job_assignment"), x.job_id, x.spec, x.expires_at_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_report& x) {
  return f(caf::meta::type_name("job_report"), x.job_id, x.state, x.reason, x.access, x.expires_at_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seller_heartbeat& x) {
  return f(caf::meta::type_name("seller_heartbeat"), x.seq, x.free, x.jobs);
}

}  // namespace hearth
