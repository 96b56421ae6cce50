#include "actors/task_identity.hpp"

#include <algorithm>
#include <vector>

#include "crypto/keccak.hpp"
#include "crypto/random.hpp"

namespace hearth::actors {
namespace {

void add_field(std::string& out, const std::string& field) {
  std::uint64_t n = field.size();
  for (int i = 7; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += field;
}

std::string hex_bytes(const std::string& hex) {
  auto b = crypto::from_hex(hex);
  return b ? std::string(b->begin(), b->end()) : std::string();
}

}  // namespace

std::string task_input_hash(const task_input& in) {
  std::string material;
  add_field(material, std::to_string(in.args.size()));
  for (const auto& a : in.args) add_field(material, a);
  std::vector<std::string> env = in.env;
  std::sort(env.begin(), env.end());
  add_field(material, std::to_string(env.size()));
  for (const auto& e : env) add_field(material, e);
  // A spooled body comes with its digest (taken by the edge, off the
  // registry's thread); the same bytes give the same id either way.
  if (!in.caller_env.empty()) {  // absent before callers could set any: earlier ids stay the same
    std::vector<std::string> caller = in.caller_env;
    std::sort(caller.begin(), caller.end());
    add_field(material, "caller_env " + std::to_string(caller.size()));
    for (const auto& e : caller) add_field(material, e);
  }
  if (in.duration_secs) add_field(material, "duration " + std::to_string(in.duration_secs));
  crypto::hash256 stdin_hash = crypto::sha256(in.stdin_data);
  if (!in.stdin_file.empty()) {
    auto spooled = crypto::from_hex(in.stdin_sha256);
    if (spooled && spooled->size() == stdin_hash.size()) std::copy(spooled->begin(), spooled->end(), stdin_hash.begin());
  }
  material.append(reinterpret_cast<const char*>(stdin_hash.data()), stdin_hash.size());
  return crypto::to_hex(crypto::sha256(material));
}


result<std::string> task_id(const stored_offer& offer, const std::string& input_hash) {
  std::string material = hex_bytes(offer.hash) + hex_bytes(input_hash);
  if (!offer.body.deterministic) {
    unsigned char salt[16];
    if (auto drawn = crypto::random_fill(salt, sizeof salt); !drawn) return drawn.error();
    material.append(reinterpret_cast<const char*>(salt), sizeof salt);
  }
  return crypto::to_hex(crypto::sha256(material));
}

crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const std::string& stdout_data) {
  return task_output_digest(owner, task_id_hex, crypto::sha256(stdout_data));
}

crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const crypto::hash256& stdout_sha256) {
  crypto::keccak256_hasher h;
  h.update("\x19hearth task output v1\n");
  h.update(owner.bytes.data(), owner.bytes.size());
  h.update(hex_bytes(task_id_hex));
  h.update(stdout_sha256.data(), stdout_sha256.size());
  return h.finish();
}


}  // namespace hearth::actors
