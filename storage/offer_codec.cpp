#include "storage/offer_codec.hpp"

#include <capnp/any.h>

#include "messages/records.capnp.h"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {


offer read_offer(Offer::Reader r) {
  offer o;
  o.version = r.getVersion();
  o.executable_sha256 = bytes_of(r.getExecutableSha256());
  o.executable_size = r.getExecutableSize();
  o.arch = r.getArch().cStr();
  o.mode = static_cast<offer_mode>(r.getMode());
  o.price_per_call = r.getPricePerCall();
  o.price_per_second = r.getPricePerSecond();
  auto l = r.getLimits();
  o.limits = {l.getRamMb(), l.getCpuSecs(), l.getWallSecs(), l.getNetwork(), l.getMaxOutputBytes(), {}, {}, l.getCpuUnits()};
  for (auto p : l.getTcpBind()) o.limits.tcp_bind.push_back(p);
  for (auto p : l.getTcpConnect()) o.limits.tcp_connect.push_back(p);
  o.pay_to = bytes_of(r.getPayTo());
  o.owner = bytes_of(r.getOwner());
  o.created_at = r.getCreatedAt();
  o.expires_at = r.getExpiresAt();
  o.deterministic = r.getDeterministic();
  o.name = r.getName().cStr();
  o.description = r.getDescription().cStr();
  for (auto a : r.getArgs()) o.args.emplace_back(a.cStr());
  o.manifest = r.getManifest().cStr();
  for (auto e : r.getEnv()) o.env.emplace_back(e.cStr());
  o.env_extendable = r.getEnvExtendable();
  o.stdin_prefix = bytes_of(r.getStdin());
  o.stdin_appendable = r.getStdinAppendable();
  o.args_extendable = r.getArgsExtendable();
  o.retain_secs = r.getRetainSecs();
  o.min_duration_secs = r.getMinDurationSecs();
  o.max_duration_secs = r.getMaxDurationSecs();
  o.executable_url = r.getExecutableUrl().cStr();
  for (auto v : r.getVariants()) o.variants.push_back({v.getArch().cStr(), bytes_of(v.getSha256()), v.getSize(), v.getUrl().cStr()});
  o.env_private_sha256 = bytes_of(r.getEnvPrivateSha256());
  o.stdin_private_sha256 = bytes_of(r.getStdinPrivateSha256());
  for (auto p : r.getPrices())
    o.prices.push_back({p.getNetwork().cStr(), bytes_of(p.getAsset()), p.getAmount(), p.getPerSecond(), bytes_of(p.getPayTo())});
  o.pool = r.getPool().cStr();
  return o;
}

}  // namespace

std::string canonical_offer(const offer& o) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<Offer>();
  b.setVersion(o.version);
  b.setExecutableSha256(data_of(o.executable_sha256));
  b.setExecutableSize(o.executable_size);
  b.setArch(o.arch);
  b.setMode(static_cast<OfferMode>(o.mode));
  b.setPricePerCall(o.price_per_call);
  b.setPricePerSecond(o.price_per_second);
  auto l = b.initLimits();
  l.setRamMb(o.limits.ram_mb);
  l.setCpuSecs(o.limits.cpu_secs);
  l.setWallSecs(o.limits.wall_secs);
  l.setNetwork(o.limits.network);
  l.setMaxOutputBytes(o.limits.max_output_bytes);
  // Version 3's fields are written only when set: an older offer's canonical bytes (and hash) stay as they were.
  if (!o.limits.tcp_bind.empty()) {
    auto ports = l.initTcpBind(static_cast<unsigned>(o.limits.tcp_bind.size()));
    for (unsigned i = 0; i < o.limits.tcp_bind.size(); ++i) ports.set(i, o.limits.tcp_bind[i]);
  }
  if (!o.limits.tcp_connect.empty()) {
    auto ports = l.initTcpConnect(static_cast<unsigned>(o.limits.tcp_connect.size()));
    for (unsigned i = 0; i < o.limits.tcp_connect.size(); ++i) ports.set(i, o.limits.tcp_connect[i]);
  }
  l.setCpuUnits(o.limits.cpu_units);
  b.setPayTo(data_of(o.pay_to));
  b.setOwner(data_of(o.owner));
  b.setCreatedAt(o.created_at);
  b.setExpiresAt(o.expires_at);
  b.setDeterministic(o.deterministic);
  b.setName(o.name);
  b.setDescription(o.description);
  auto args = b.initArgs(static_cast<unsigned>(o.args.size()));
  for (unsigned i = 0; i < o.args.size(); ++i) args.set(i, o.args[i]);
  if (!o.manifest.empty()) b.setManifest(o.manifest);
  if (!o.env.empty()) {
    auto env = b.initEnv(static_cast<unsigned>(o.env.size()));
    for (unsigned i = 0; i < o.env.size(); ++i) env.set(i, o.env[i]);
  }
  b.setEnvExtendable(o.env_extendable);
  if (!o.stdin_prefix.empty()) b.setStdin(data_of(o.stdin_prefix));
  b.setStdinAppendable(o.stdin_appendable);
  b.setArgsExtendable(o.args_extendable);
  b.setRetainSecs(o.retain_secs);
  b.setMinDurationSecs(o.min_duration_secs);
  b.setMaxDurationSecs(o.max_duration_secs);
  if (!o.executable_url.empty()) b.setExecutableUrl(o.executable_url);
  if (!o.variants.empty()) {
    auto list = b.initVariants(static_cast<unsigned>(o.variants.size()));
    for (unsigned i = 0; i < o.variants.size(); ++i) {
      const auto& v = o.variants[i];
      list[i].setArch(v.arch);
      list[i].setSha256(data_of(v.sha256));
      list[i].setSize(v.size);
      if (!v.url.empty()) list[i].setUrl(v.url);
    }
  }
  if (!o.env_private_sha256.empty()) b.setEnvPrivateSha256(data_of(o.env_private_sha256));
  if (!o.stdin_private_sha256.empty()) b.setStdinPrivateSha256(data_of(o.stdin_private_sha256));
  if (!o.prices.empty()) {
    auto list = b.initPrices(static_cast<unsigned>(o.prices.size()));
    for (unsigned i = 0; i < o.prices.size(); ++i) {
      const auto& p = o.prices[i];
      list[i].setNetwork(p.network);
      list[i].setAsset(data_of(p.asset));
      list[i].setAmount(p.amount);
      list[i].setPerSecond(p.per_second);
      if (!p.pay_to.empty()) list[i].setPayTo(data_of(p.pay_to));
    }
  }
  if (!o.pool.empty()) b.setPool(o.pool);
  kj::Array<capnp::word> words = capnp::AnyStruct::Reader(b.asReader()).canonicalize();
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

result<offer> decode_canonical_offer(const std::string& bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0 || bytes.size() > (1u << 20))
    return fail(offer_errc::bad_offer, "an offer is a canonical Cap'n Proto struct of whole words, at most 1 MiB");
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    kj::ArrayPtr<const capnp::word> segments[1] = {words};
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1));
    if (!reader.isCanonical()) return fail(offer_errc::offer_not_canonical, "the offer is not in canonical form");
    return read_offer(reader.getRoot<Offer>());
  } catch (const kj::Exception& e) {
    return fail(offer_errc::bad_offer, std::string("malformed offer: ") + e.getDescription().cStr());
  }
}

result<offer> decode_uploaded_offer(const std::string& bytes) {
  auto o = decode_canonical_offer(bytes);
  if (o && canonical_offer(*o) != bytes)
    return fail(offer_errc::offer_not_canonical,
                "the offer holds a field or a value this node does not read as signed (an unknown field, mode or "
                "enum value)");
  return o;
}

result<void> save_offer(store& db, const stored_offer& o) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredOffer>();
  b.setCanonical(data_of(o.canonical));
  b.setSignature(data_of(o.signature));
  b.setReceivedAtMs(o.received_at_ms);
  return db.put(column::offers, o.hash, encode_message(message));
}

namespace {
result<stored_offer> decode_stored(const std::string& hash, const std::string& raw) {
  auto parts = decode_message<StoredOffer>(raw, [](StoredOffer::Reader r) {
    return std::make_tuple(bytes_of(r.getCanonical()), bytes_of(r.getSignature()), r.getReceivedAtMs());
  });
  if (!parts) return parts.error();
  auto body = decode_canonical_offer(std::get<0>(*parts));
  if (!body) return fail(storage_errc::record_corrupt, "stored offer " + hash + ": " + body.error().message);
  return stored_offer{hash, std::get<0>(*parts), std::get<1>(*parts), std::get<2>(*parts), std::move(*body), false, false};
}
}  // namespace

result<std::optional<stored_offer>> load_offer(const store& db, const std::string& hash_hex) {
  return load_record<stored_offer>(db, column::offers, hash_hex, decode_stored);
}

result<std::vector<stored_offer>> list_offers(const store& db, const std::string& start_after, std::size_t limit) {
  return list_records<stored_offer>(db, column::offers, start_after, limit, decode_stored);
}

}  // namespace hearth::storage
