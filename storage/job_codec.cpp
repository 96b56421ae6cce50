#include "storage/job_codec.hpp"

#include <cstdio>

#include "messages/records.capnp.h"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {

std::string record_key(const std::string& id) { return "j/" + id; }
std::string state_key(job_state s, const std::string& id) { return std::string("s/") + state_name(s) + "/" + id; }
std::string seller_key(const std::string& seller, const std::string& id) { return "l/" + seller + "/" + id; }
std::string expiry_key(std::int64_t at_ms, const std::string& id) {
  char ms[24];
  std::snprintf(ms, sizeof ms, "%016lld", static_cast<long long>(at_ms < 0 ? 0 : at_ms));
  return std::string("e/") + ms + "/" + id;
}
// Whether the job may still hold an environment on its seller.
bool holds_environment(const job_record& j) {
  return j.expires_at_ms > 0 && (j.state == job_state::provisioning || j.state == job_state::running ||
                                 j.state == job_state::lost || j.state == job_state::assigned);
}

std::string encode_job(const job_record& j) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredJob>();
  b.setId(j.id);
  b.setTokenHash(j.token_hash);
  b.setSshPubkey(j.spec.ssh_pubkey);
  b.setImage(j.spec.image);
  b.setCpus(j.spec.cpus);
  b.setMemMb(j.spec.mem_mb);
  b.setDurationSecs(j.spec.duration_secs);
  b.setState(static_cast<JobState>(j.state));
  b.setReason(j.reason);
  b.setSeller(j.seller);
  b.setSellerId(j.seller_id);
  b.setSshHost(j.access.ssh_host);
  b.setSshPort(j.access.ssh_port);
  b.setSshUser(j.access.ssh_user);
  b.setSshHostKey(j.access.ssh_host_key);
  b.setPrice(j.price);
  b.setPricePerHour(j.price_per_hour);
  b.setHomeNode(j.home_node);
  b.setPaymentId(j.payment_id);
  b.setCreatedAtMs(j.created_at_ms);
  b.setUpdatedAtMs(j.updated_at_ms);
  b.setExpiresAtMs(j.expires_at_ms);
  auto h = b.initHistory(static_cast<unsigned>(j.history.size()));
  for (unsigned i = 0; i < j.history.size(); ++i) {
    h[i].setState(static_cast<JobState>(j.history[i].state));
    h[i].setReason(j.history[i].reason);
    h[i].setAtMs(j.history[i].at_ms);
  }
  return encode_message(message);
}

result<job_record> decode_job(const std::string& raw) {
  return decode_message<StoredJob>(raw, [](StoredJob::Reader r) {
    job_record j;
    j.id = r.getId().cStr();
    j.token_hash = r.getTokenHash().cStr();
    j.spec.ssh_pubkey = r.getSshPubkey().cStr();
    j.spec.image = r.getImage().cStr();
    j.spec.cpus = r.getCpus();
    j.spec.mem_mb = r.getMemMb();
    j.spec.duration_secs = r.getDurationSecs();
    j.state = static_cast<job_state>(r.getState());
    j.reason = r.getReason().cStr();
    j.seller = r.getSeller().cStr();
    j.seller_id = r.getSellerId().cStr();
    j.access = {r.getSshHost().cStr(), r.getSshPort(), r.getSshUser().cStr(), r.getSshHostKey().cStr()};
    j.price = r.getPrice();
    j.price_per_hour = r.getPricePerHour();
    j.home_node = r.getHomeNode().cStr();
    j.payment_id = r.getPaymentId().cStr();
    j.created_at_ms = r.getCreatedAtMs();
    j.updated_at_ms = r.getUpdatedAtMs();
    j.expires_at_ms = r.getExpiresAtMs();
    for (auto e : r.getHistory())
      j.history.push_back({static_cast<job_state>(e.getState()), e.getReason().cStr(), e.getAtMs()});
    return j;
  });
}

void erase_indexes(write_batch& batch, const job_record& j) {
  batch.erase(column::jobs, state_key(j.state, j.id));
  if (!j.seller.empty()) batch.erase(column::jobs, seller_key(j.seller, j.id));
  if (j.expires_at_ms > 0) batch.erase(column::jobs, expiry_key(j.expires_at_ms, j.id));
}

// The ids after "<prefix>" in index keys "<prefix><id>".
result<std::vector<std::string>> index_ids(const store& db, const std::string& prefix, const std::string& after,
                                           std::size_t limit) {
  auto rows = db.scan(column::jobs, prefix, after.empty() ? "" : prefix + after, limit);
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  for (auto& [key, unused] : *rows) ids.push_back(key.substr(prefix.size()));
  return ids;
}

}  // namespace

result<void> save_job(store& db, const job_record& before, const job_record& after) {
  write_batch batch;
  if (!before.id.empty()) erase_indexes(batch, before);
  batch.put(column::jobs, record_key(after.id), encode_job(after));
  batch.put(column::jobs, state_key(after.state, after.id), "");
  if (!after.seller.empty()) batch.put(column::jobs, seller_key(after.seller, after.id), "");
  if (holds_environment(after)) batch.put(column::jobs, expiry_key(after.expires_at_ms, after.id), "");
  return db.write(batch);
}

result<std::optional<job_record>> load_job(const store& db, const std::string& id) {
  return load_record<job_record>(db, column::jobs, record_key(id),
                                 [](const std::string&, const std::string& raw) { return decode_job(raw); });
}

result<std::vector<job_record>> list_jobs(const store& db, std::optional<job_state> state, const std::string& after_id,
                                          std::size_t limit) {
  if (!state)
    return list_records<job_record>(db, column::jobs, "j/", after_id.empty() ? "" : record_key(after_id), limit,
                                    [](const std::string&, const std::string& raw) { return decode_job(raw); });
  auto ids = index_ids(db, std::string("s/") + state_name(*state) + "/", after_id, limit);
  if (!ids) return ids.error();
  std::vector<job_record> out;
  for (const auto& id : *ids) {
    auto j = load_job(db, id);
    if (!j) return j.error();
    if (*j) out.push_back(std::move(**j));
  }
  return out;
}

result<std::vector<std::string>> jobs_of_seller(const store& db, const std::string& seller, std::size_t limit) {
  return index_ids(db, "l/" + seller + "/", "", limit);
}

result<std::vector<std::string>> due_jobs(const store& db, std::int64_t now_ms, std::size_t limit) {
  auto rows = db.scan(column::jobs, "e/", "", limit);
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  for (auto& [key, unused] : *rows) {
    // e/<16 digits>/<id>
    if (key.size() < 20 || std::stoll(key.substr(2, 16)) > now_ms) break;
    ids.push_back(key.substr(19));
  }
  return ids;
}

result<std::vector<std::string>> oldest_in_state(const store& db, job_state state, std::size_t limit) {
  return index_ids(db, std::string("s/") + state_name(state) + "/", "", limit);
}

result<void> remove_job(store& db, const job_record& job) {
  write_batch batch;
  erase_indexes(batch, job);
  batch.erase(column::jobs, record_key(job.id));
  return db.write(batch);
}

}  // namespace hearth::storage
