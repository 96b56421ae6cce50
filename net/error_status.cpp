#include <string>
#include <unordered_map>

#include "net/actor_ask.hpp"

namespace hearth::net {

unsigned status_for(const std::string& code) {
  static const std::unordered_map<std::string, unsigned> table = {
      {"not_found", 404}, {"offer_not_found", 404}, {"task_not_found", 404},
      {"task_failed", 502}, {"node_busy", 503}, {"wrong_offer_mode", 409},
      {"owner_not_accepted", 403},
      {"bad_offer", 422}, {"offer_not_canonical", 422}, {"bad_offer_signature", 422}, {"bad_limits", 422},
      {"limits_exceed_node", 422}, {"offer_expired", 410}, {"executable_missing", 422},
      {"executable_size_mismatch", 422}, {"executable_hash_mismatch", 422}, {"arch_mismatch", 422},
      {"not_executable", 422}, {"unsupported_architecture", 422},
      {"node_unavailable", 503}, {"storage_busy", 503},
      {"payment_not_found", 404}, {"malformed_payment", 400}, {"payment_invalid", 402}, {"payment_replayed", 402},
      {"facilitator_unavailable", 503}, {"loopback_only", 403},
      {"unauthorized", 401}, {"invite_not_found", 404}, {"invite_redeemed", 409}, {"invite_expired", 410},
      {"invite_revoked", 410}, {"invite_not_active", 409}, {"guest_not_found", 404}, {"guest_ended", 409},
      {"guest_revoked", 401}, {"guest_not_running", 409}, {"no_environment", 501}, {"environment_missing", 410},
      {"bad_command", 400}, {"program_not_runnable", 422}, {"rate_limited", 429}, {"rng_failure", 500}, {"isolation_unavailable", 503},
      {"pay_to_not_served", 402},
  };
  auto it = table.find(code);
  return it == table.end() ? 500 : it->second;
}

}  // namespace hearth::net
