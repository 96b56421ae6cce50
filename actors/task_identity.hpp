// What identifies a task and what the node signs for it. A task's id is
// sha256(offer hash || input hash [|| 16 random bytes unless the offer is
// deterministic]), so a deterministic offer's repeated input is one task
// (its cache entry); the input hash is sha256 over the length-prefixed
// arguments, the sorted environment and stdin (private_env excluded).
#pragma once

#include <string>

#include "crypto/address.hpp"
#include "crypto/sha256.hpp"
#include "messages/offer.hpp"
#include "messages/result.hpp"
#include "messages/task.hpp"

namespace hearth::actors {

std::string task_input_hash(const task_input& in);
result<std::string> task_id(const stored_offer& offer, const std::string& input_hash);
// The digest the node signs for a task's output: keccak256 of
// "\x19hearth task output v1\n" || owner (20) || task id (32) || sha256(stdout).
crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const std::string& stdout_data);
crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const crypto::hash256& stdout_sha256);

}  // namespace hearth::actors
