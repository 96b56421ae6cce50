#include "storage/couch_codec.hpp"

#include <cstdio>

#include "messages/records.capnp.h"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {

const std::string deadline_prefix = "deadline/";

std::string deadline_key(std::int64_t at_ms, char kind, const std::string& id) {
  char ms[24];
  std::snprintf(ms, sizeof ms, "%016lld", static_cast<long long>(at_ms < 0 ? 0 : at_ms));
  return deadline_prefix + ms + "/" + kind + "/" + id;
}

template <class Builder>
void put_limits(Builder b, const resource_limits& l) {
  b.setMaxCpuCores(l.max_cpu_cores);
  b.setMaxMemoryMb(l.max_memory_mb);
  b.setMaxDiskGb(l.max_disk_gb);
  b.setMaxNetworkEgressGb(l.max_network_egress_gb);
  b.setMaxDurationHours(l.max_duration_hours);
  b.setMaxTokenBudget(l.max_token_budget);
}
resource_limits get_limits(ResourceLimits::Reader r) {
  return {r.getMaxCpuCores(), r.getMaxMemoryMb(), r.getMaxDiskGb(), r.getMaxNetworkEgressGb(), r.getMaxDurationHours(),
          r.getMaxTokenBudget()};
}
template <class Builder>
void put_permissions(Builder b, const guest_permissions& p) {
  b.setCanAccessInternet(p.can_access_internet);
  b.setCanSpawnSubAgents(p.can_spawn_sub_agents);
  b.setCanAccessHostServices(p.can_access_host_services);
}
guest_permissions get_permissions(GuestPermissions::Reader r) {
  return {r.getCanAccessInternet(), r.getCanSpawnSubAgents(), r.getCanAccessHostServices()};
}

std::string encode_invite(const invite_record& v) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredInvite>();
  b.setId(v.id);
  b.setCodeHash(v.code_hash);
  b.setCreatedBy(v.created_by);
  b.setLabel(v.label);
  put_limits(b.initLimits(), v.limits);
  put_permissions(b.initPermissions(), v.permissions);
  b.setCreatedAtMs(v.created_at_ms);
  b.setExpiresAtMs(v.expires_at_ms);
  b.setState(static_cast<InviteState>(v.state));
  b.setGuestId(v.guest_id);
  b.setEndedAtMs(v.ended_at_ms);
  return encode_message(message);
}

result<invite_record> decode_invite(const std::string& raw) {
  return decode_message<StoredInvite>(raw, [](StoredInvite::Reader r) {
    invite_record v;
    v.id = r.getId().cStr();
    v.code_hash = r.getCodeHash().cStr();
    v.created_by = r.getCreatedBy().cStr();
    v.label = r.getLabel().cStr();
    v.limits = get_limits(r.getLimits());
    v.permissions = get_permissions(r.getPermissions());
    v.created_at_ms = r.getCreatedAtMs();
    v.expires_at_ms = r.getExpiresAtMs();
    v.state = static_cast<invite_state>(r.getState());
    v.guest_id = r.getGuestId().cStr();
    v.ended_at_ms = r.getEndedAtMs();
    return v;
  });
}

std::string encode_guest(const guest_record& g) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredGuest>();
  b.setId(g.id);
  b.setName(g.name);
  b.setPublicKey(g.public_key);
  b.setInviteId(g.invite_id);
  b.setTokenHash(g.token_hash);
  b.setState(static_cast<GuestState>(g.state));
  b.setReason(g.reason);
  put_limits(b.initLimits(), g.limits);
  put_permissions(b.initPermissions(), g.permissions);
  b.setCreatedAtMs(g.created_at_ms);
  b.setExpiresAtMs(g.expires_at_ms);
  b.setActivatedAtMs(g.activated_at_ms);
  b.setEndedAtMs(g.ended_at_ms);
  b.setAgentEndpoint(g.agent_endpoint);
  b.setHomeNode(g.home_node);
  auto u = b.initUsage();
  u.setCpuSecs(g.usage.cpu_secs);
  u.setMemoryMb(g.usage.memory_mb);
  u.setDiskMb(g.usage.disk_mb);
  u.setNetworkEgressMb(g.usage.network_egress_mb);
  u.setTokensIn(g.usage.tokens_in);
  u.setTokensOut(g.usage.tokens_out);
  return encode_message(message);
}

result<guest_record> decode_guest(const std::string& raw) {
  return decode_message<StoredGuest>(raw, [](StoredGuest::Reader r) {
    guest_record g;
    g.id = r.getId().cStr();
    g.name = r.getName().cStr();
    g.public_key = r.getPublicKey().cStr();
    g.invite_id = r.getInviteId().cStr();
    g.token_hash = r.getTokenHash().cStr();
    g.state = static_cast<guest_state>(r.getState());
    g.reason = r.getReason().cStr();
    g.limits = get_limits(r.getLimits());
    g.permissions = get_permissions(r.getPermissions());
    g.created_at_ms = r.getCreatedAtMs();
    g.expires_at_ms = r.getExpiresAtMs();
    g.activated_at_ms = r.getActivatedAtMs();
    g.ended_at_ms = r.getEndedAtMs();
    g.agent_endpoint = r.getAgentEndpoint().cStr();
    g.home_node = r.getHomeNode().cStr();
    auto u = r.getUsage();
    g.usage = {u.getCpuSecs(), u.getMemoryMb(), u.getDiskMb(), u.getNetworkEgressMb(), u.getTokensIn(), u.getTokensOut()};
    return g;
  });
}

void put_invite(write_batch& batch, const invite_record& v) {
  batch.put(column::invites, "i/" + v.id, encode_invite(v));
  if (v.state == invite_state::active) batch.put(column::meta, deadline_key(v.expires_at_ms, 'i', v.id), "");
  else batch.erase(column::meta, deadline_key(v.expires_at_ms, 'i', v.id));
}

void put_guest(write_batch& batch, const guest_record& g) {
  batch.put(column::guests, "g/" + g.id, encode_guest(g));
  bool live = g.state == guest_state::provisioning || g.state == guest_state::running;
  if (live) batch.put(column::meta, deadline_key(g.expires_at_ms, 'g', g.id), "");
  else batch.erase(column::meta, deadline_key(g.expires_at_ms, 'g', g.id));
}

template <class T, class Decode>
result<std::optional<T>> by_index(const store& db, column c, const std::string& index_key, const std::string& prefix,
                                  Decode decode) {
  auto id = db.get(c, index_key);
  if (!id) return id.error();
  if (!*id) return std::optional<T>{};
  return load_record<T>(db, c, prefix + **id, [&](const std::string&, const std::string& raw) { return decode(raw); });
}

}  // namespace

result<void> create_invite(store& db, const invite_record& inv) {
  write_batch batch;
  put_invite(batch, inv);
  batch.put(column::invites, "c/" + inv.code_hash, inv.id);
  return db.write(batch);
}

result<void> save_invite(store& db, const invite_record& inv) {
  write_batch batch;
  put_invite(batch, inv);
  return db.write(batch);
}

result<std::optional<invite_record>> load_invite(const store& db, const std::string& id) {
  return load_record<invite_record>(db, column::invites, "i/" + id,
                                    [](const std::string&, const std::string& raw) { return decode_invite(raw); });
}

result<std::optional<invite_record>> find_invite_by_code(const store& db, const std::string& code_hash) {
  return by_index<invite_record>(db, column::invites, "c/" + code_hash, "i/", decode_invite);
}

result<std::vector<invite_record>> list_invites(const store& db, const std::string& after_id, std::size_t limit) {
  return list_records<invite_record>(db, column::invites, "i/", after_id.empty() ? "" : "i/" + after_id, limit,
                                     [](const std::string&, const std::string& raw) { return decode_invite(raw); });
}

result<void> redeem_invite(store& db, const invite_record& redeemed, const guest_record& guest) {
  write_batch batch;
  put_invite(batch, redeemed);
  put_guest(batch, guest);
  batch.put(column::guests, "t/" + guest.token_hash, guest.id);
  return db.write(batch);
}

result<void> save_guest(store& db, const guest_record& g) {
  write_batch batch;
  put_guest(batch, g);
  return db.write(batch);
}

result<std::optional<guest_record>> load_guest(const store& db, const std::string& id) {
  return load_record<guest_record>(db, column::guests, "g/" + id,
                                   [](const std::string&, const std::string& raw) { return decode_guest(raw); });
}

result<std::optional<guest_record>> find_guest_by_token(const store& db, const std::string& token_hash) {
  return by_index<guest_record>(db, column::guests, "t/" + token_hash, "g/", decode_guest);
}

result<std::vector<guest_record>> list_guests(const store& db, const std::string& after_id, std::size_t limit) {
  return list_records<guest_record>(db, column::guests, "g/", after_id.empty() ? "" : "g/" + after_id, limit,
                                    [](const std::string&, const std::string& raw) { return decode_guest(raw); });
}

result<std::vector<deadline>> due_deadlines(const store& db, std::int64_t now_ms, std::size_t limit) {
  auto rows = db.scan(column::meta, deadline_prefix, "", limit);
  if (!rows) return rows.error();
  std::vector<deadline> out;
  for (auto& [key, unused] : *rows) {
    // deadline/<16 digits>/<k>/<id>
    std::string rest = key.substr(deadline_prefix.size());
    if (rest.size() < 20) continue;
    deadline d{std::stoll(rest.substr(0, 16)), rest[17], rest.substr(19)};
    if (d.at_ms > now_ms) break;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hearth::storage
