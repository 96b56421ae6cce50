#include "payments/chain_client.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::payments {
namespace {

using nlohmann::json;

std::string hex_data(const crypto::bytes& b) { return "0x" + crypto::to_hex(b); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

result<crypto::hash256> parse_hash(const json& j) {
  if (!j.is_string()) return fail(chain_errc::chain_rpc_error, "expected a 32-byte hex string");
  auto h = crypto::from_hex_fixed<32>(j.get<std::string>());
  if (!h) return fail(chain_errc::chain_rpc_error, "expected a 32-byte hex string: " + h.error().message);
  return *h;
}

}  // namespace

result<std::uint64_t> parse_quantity(const json& j) {
  auto v = parse_quantity256(j);
  if (!v) return v.error();
  if (crypto::bit_length(*v) > 64) return fail(chain_errc::chain_rpc_error, "a quantity exceeds 64 bits");
  std::uint64_t out = 0;
  for (int i = 24; i < 32; ++i) out = (out << 8) | (*v)[i];
  return out;
}

result<crypto::uint256> parse_quantity256(const json& j) {
  if (!j.is_string()) return fail(chain_errc::chain_rpc_error, "expected a hex quantity");
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() < 3 || s.rfind("0x", 0) != 0) return fail(chain_errc::chain_rpc_error, "expected a hex quantity, got " + s.substr(0, 80));
  auto v = crypto::parse_uint256(s);
  if (!v) return fail(chain_errc::chain_rpc_error, "bad hex quantity " + s.substr(0, 80));
  return *v;
}

std::string to_quantity(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  if (v == 0) return "0x0";
  std::string out;
  for (; v; v >>= 4) out.insert(out.begin(), digits[v & 0xf]);
  return "0x" + out;
}

bool is_nonce_too_low(const failure& f) {
  auto m = lower(f.message);
  return f.code == chain_errc::chain_rpc_error &&
         (m.find("nonce too low") != std::string::npos || m.find("nonce is too low") != std::string::npos);
}

bool is_already_known(const failure& f) {
  auto m = lower(f.message);
  return f.code == chain_errc::chain_rpc_error &&
         (m.find("already known") != std::string::npos || m.find("already imported") != std::string::npos);
}

result<std::uint64_t> chain_client::chain_id() const {
  auto r = call_("eth_chainId", json::array());
  if (!r) return r.error();
  return parse_quantity(*r);
}

result<std::uint64_t> chain_client::transaction_count(const crypto::address& a, const char* block) const {
  auto r = call_("eth_getTransactionCount", json::array({a.checksummed(), block}));
  if (!r) return r.error();
  return parse_quantity(*r);
}

result<crypto::uint256> chain_client::base_fee() const {
  auto r = call_("eth_getBlockByNumber", json::array({"latest", false}));
  if (!r) return r.error();
  if (!r->is_object() || !r->contains("baseFeePerGas"))
    return fail(chain_errc::chain_rpc_error, "the latest block has no baseFeePerGas (not an EIP-1559 chain?)");
  return parse_quantity256((*r)["baseFeePerGas"]);
}

result<crypto::uint256> chain_client::max_priority_fee() const {
  auto r = call_("eth_maxPriorityFeePerGas", json::array());
  if (!r) return r.error();
  return parse_quantity256(*r);
}

result<crypto::uint256> chain_client::balance(const crypto::address& a) const {
  auto r = call_("eth_getBalance", json::array({a.checksummed(), "latest"}));
  if (!r) return r.error();
  return parse_quantity256(*r);
}

result<bool> chain_client::has_code(const crypto::address& a) const {
  auto r = call_("eth_getCode", json::array({a.checksummed(), "latest"}));
  if (!r) return r.error();
  if (!r->is_string()) return fail(chain_errc::chain_rpc_error, "eth_getCode answered no hex data");
  const auto& code = r->get_ref<const std::string&>();
  return code != "0x" && code != "0x0" && !code.empty();
}

result<std::uint64_t> chain_client::estimate_gas(const crypto::address& from, const crypto::address& to,
                                                 const crypto::bytes& data) const {
  auto r = call_("eth_estimateGas", json::array({{{"from", from.checksummed()}, {"to", to.checksummed()}, {"data", hex_data(data)}}}));
  if (!r) {
    // A revert (JSON-RPC code 3, or "execution reverted" without it): the
    // token refuses this authorization; nothing else (a node down) is.
    auto m = lower(r.error().message);
    if (r.error().code == chain_errc::chain_rpc_error &&
        (m.find("revert") != std::string::npos || m.find("(code 3)") != std::string::npos))
      return fail(chain_errc::authorization_refused, r.error().message);
    if (r.error().code == chain_errc::chain_rpc_error && m.find("insufficient funds") != std::string::npos)
      return fail(chain_errc::gas_unaffordable, r.error().message);
    return r.error();
  }
  return parse_quantity(*r);
}

result<crypto::bytes> chain_client::call(const crypto::address& to, const crypto::bytes& data) const {
  auto r = call_("eth_call", json::array({{{"to", to.checksummed()}, {"data", hex_data(data)}}, "latest"}));
  if (!r) return r.error();
  if (!r->is_string()) return fail(chain_errc::chain_rpc_error, "eth_call answered no hex data");
  auto b = crypto::from_hex(r->get<std::string>());
  if (!b) return fail(chain_errc::chain_rpc_error, "eth_call answered bad hex");
  return *b;
}

result<crypto::hash256> chain_client::send_raw(const crypto::bytes& raw) const {
  auto r = call_("eth_sendRawTransaction", json::array({hex_data(raw)}));
  if (!r) {
    auto m = lower(r.error().message);
    if (r.error().code == chain_errc::chain_rpc_error && m.find("insufficient funds") != std::string::npos)
      return fail(chain_errc::gas_unaffordable, r.error().message);
    return r.error();
  }
  return parse_hash(*r);
}

result<std::optional<chain_receipt>> chain_client::receipt(const crypto::hash256& tx) const {
  auto r = call_("eth_getTransactionReceipt", json::array({crypto::to_0x(tx)}));
  if (!r) return r.error();
  if (r->is_null()) return std::optional<chain_receipt>{};
  if (!r->is_object()) return fail(chain_errc::chain_rpc_error, "a receipt is not an object");
  chain_receipt out;
  auto status = parse_quantity(r->value("status", json()));
  auto block = parse_quantity(r->value("blockNumber", json()));
  auto gas = parse_quantity(r->value("gasUsed", json()));
  if (!status || !block || !gas) return fail(chain_errc::chain_rpc_error, "a receipt lacks status, blockNumber or gasUsed");
  out.status = *status == 1;
  out.block_number = *block;
  out.gas_used = *gas;
  if (auto price = parse_quantity256(r->value("effectiveGasPrice", json())); price) out.effective_gas_price = *price;
  // A node's answer is not trusted to have the right types: a field of
  // another type is as good as absent (json::value would throw).
  auto string_of = [](const json& o, const char* key, const char* otherwise) {
    auto f = o.find(key);
    return f != o.end() && f->is_string() ? f->get<std::string>() : std::string(otherwise);
  };
  auto logs = r->find("logs");
  if (logs != r->end() && logs->is_array())
    for (const auto& l : *logs) {
      if (!l.is_object()) continue;
      chain_log log;
      auto contract = crypto::parse_address(string_of(l, "address", ""));
      if (!contract) continue;
      log.contract = *contract;
      if (auto topics = l.find("topics"); topics != l.end() && topics->is_array())
        for (const auto& t : *topics)
          if (auto h = parse_hash(t); h) log.topics.push_back(*h);
      if (auto d = crypto::from_hex(string_of(l, "data", "0x")); d) log.data = std::move(*d);
      out.logs.push_back(std::move(log));
    }
  return std::optional<chain_receipt>{std::move(out)};
}

result<bool> chain_client::transaction_known(const crypto::hash256& tx) const {
  auto r = call_("eth_getTransactionByHash", json::array({crypto::to_0x(tx)}));
  if (!r) return r.error();
  return !r->is_null();
}

}  // namespace hearth::payments
