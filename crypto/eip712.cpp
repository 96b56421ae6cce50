#include "crypto/eip712.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "crypto/address.hpp"
#include "crypto/keccak.hpp"
#include "crypto/uint256.hpp"

namespace hearth::crypto::eip712 {
namespace {

using nlohmann::json;

failure bad(const std::string& what) { return fail(crypto_errc::bad_typed_data, what); }

std::string base_type(const std::string& type) {
  auto bracket = type.find('[');
  return bracket == std::string::npos ? type : type.substr(0, bracket);
}

bool is_struct(const json& types, const std::string& type) {
  return types.is_object() && types.contains(type) && types.at(type).is_array();
}

result<void> collect_dependencies(const json& types, const std::string& type,
                                  std::set<std::string>& found, int depth) {
  if (depth > 32) return bad("type nesting deeper than 32");
  if (found.count(type) || !is_struct(types, type)) return {};
  found.insert(type);
  for (const auto& member : types.at(type)) {
    if (!member.is_object() || !member.contains("type") || !member["type"].is_string() ||
        !member.contains("name") || !member["name"].is_string())
      return bad("type " + type + " has a member without string name and type");
    auto r = collect_dependencies(types, base_type(member["type"].get<std::string>()), found, depth + 1);
    if (!r) return r;
  }
  return {};
}

// Integer member of width bits, signed or not, as its 32-byte ABI word.
result<hash256> encode_integer(const json& value, unsigned bits, bool is_signed) {
  std::string text;
  if (value.is_number_unsigned()) text = std::to_string(value.get<std::uint64_t>());
  else if (value.is_number_integer()) text = std::to_string(value.get<std::int64_t>());
  else if (value.is_string()) text = value.get<std::string>();
  else return bad("integer member is neither a number nor a string");
  bool negative = !text.empty() && text[0] == '-';
  if (negative && !is_signed) return bad("negative value for an unsigned member");
  auto magnitude = parse_uint256(negative ? std::string_view(text).substr(1) : std::string_view(text));
  if (!magnitude) return bad("integer member: " + magnitude.error().message);
  unsigned len = bit_length(*magnitude);
  bool zero = len == 0;
  if (!is_signed && len > bits) return bad("value exceeds uint" + std::to_string(bits));
  if (is_signed) {
    // Positives need |v| < 2^(bits-1); negatives may reach exactly -2^(bits-1).
    unsigned ones = 0;
    for (auto byte : *magnitude) ones += static_cast<unsigned>(__builtin_popcount(byte));
    bool is_min = len == bits && ones == 1;
    if (len > bits - 1 && !(negative && is_min)) return bad("value exceeds int" + std::to_string(bits));
  }
  return negative && !zero ? negate(*magnitude) : *magnitude;
}

result<hash256> encode_value(const json& types, const std::string& type, const json& value, int depth);

result<hash256> encode_array(const json& types, const std::string& type, const json& value, int depth) {
  auto open = type.rfind('[');
  std::string inner = type.substr(0, open);
  std::string count = type.substr(open + 1, type.size() - open - 2);
  if (!value.is_array()) return bad("member of type " + type + " is not an array");
  if (!count.empty() && std::to_string(value.size()) != count)
    return bad("array of type " + type + " has " + std::to_string(value.size()) + " items");
  keccak256_hasher h;
  for (const auto& item : value) {
    auto word = encode_value(types, inner, item, depth + 1);
    if (!word) return word;
    h.update(word->data(), word->size());
  }
  return h.finish();
}

result<hash256> encode_value(const json& types, const std::string& type, const json& value, int depth) {
  if (depth > 32) return bad("value nesting deeper than 32");
  if (!type.empty() && type.back() == ']') return encode_array(types, type, value, depth);
  if (is_struct(types, type)) return hash_struct(types, type, value);
  if (type == "string") {
    if (!value.is_string()) return bad("string member is not a string");
    return keccak256(value.get<std::string>());
  }
  if (type == "bytes") {
    if (!value.is_string()) return bad("bytes member is not a hex string");
    auto b = from_hex(value.get<std::string>());
    if (!b) return bad("bytes member is not a hex string");
    return keccak256(*b);
  }
  hash256 word{};
  if (type == "bool") {
    if (!value.is_boolean()) return bad("bool member is not a boolean");
    word[31] = value.get<bool>() ? 1 : 0;
    return word;
  }
  if (type == "address") {
    if (!value.is_string()) return bad("address member is not a string");
    auto a = parse_address(value.get<std::string>());
    if (!a) return bad("address member: " + a.error().message);
    std::copy(a->bytes.begin(), a->bytes.end(), word.begin() + 12);
    return word;
  }
  for (bool is_signed : {false, true}) {
    std::string prefix = is_signed ? "int" : "uint";
    if (type.rfind(prefix, 0) != 0) continue;
    std::string digits = type.substr(prefix.size());
    unsigned bits = digits.empty() ? 256 : static_cast<unsigned>(std::atoi(digits.c_str()));
    if (bits == 0 || bits > 256 || bits % 8 != 0) return bad("unknown type " + type);
    return encode_integer(value, bits, is_signed);
  }
  if (type.rfind("bytes", 0) == 0) {
    unsigned n = static_cast<unsigned>(std::atoi(type.c_str() + 5));
    if (n == 0 || n > 32) return bad("unknown type " + type);
    if (!value.is_string()) return bad(type + " member is not a hex string");
    auto b = from_hex(value.get<std::string>());
    if (!b || b->size() != n) return bad(type + " member must be " + std::to_string(n) + " bytes of hex");
    std::copy(b->begin(), b->end(), word.begin());
    return word;
  }
  return bad("unknown type " + type);
}

json derived_domain_type(const json& domain) {
  static const std::pair<const char*, const char*> fields[] = {
      {"name", "string"}, {"version", "string"}, {"chainId", "uint256"},
      {"verifyingContract", "address"}, {"salt", "bytes32"}};
  json members = json::array();
  for (const auto& [name, type] : fields)
    if (domain.contains(name)) members.push_back({{"name", name}, {"type", type}});
  return members;
}

}  // namespace

result<std::string> encode_type(const json& types, const std::string& primary) {
  if (!is_struct(types, primary)) return bad("unknown struct type " + primary);
  std::set<std::string> deps;
  auto r = collect_dependencies(types, primary, deps, 0);
  if (!r) return r.error();
  deps.erase(primary);
  std::string out;
  auto append = [&](const std::string& name) {
    out += name + "(";
    bool first = true;
    for (const auto& m : types.at(name)) {
      if (!first) out += ",";
      first = false;
      out += m["type"].get<std::string>() + " " + m["name"].get<std::string>();
    }
    out += ")";
  };
  append(primary);
  for (const auto& d : deps) append(d);
  return out;
}

result<hash256> type_hash(const json& types, const std::string& primary) {
  auto encoded = encode_type(types, primary);
  if (!encoded) return encoded.error();
  return keccak256(*encoded);
}

result<hash256> hash_struct(const json& types, const std::string& primary, const json& value) {
  auto th = type_hash(types, primary);
  if (!th) return th;
  if (!value.is_object()) return bad("value of struct " + primary + " is not an object");
  keccak256_hasher h;
  h.update(th->data(), th->size());
  for (const auto& member : types.at(primary)) {
    const std::string name = member["name"].get<std::string>();
    const std::string type = member["type"].get<std::string>();
    if (!value.contains(name)) return bad("struct " + primary + " lacks member " + name);
    auto word = encode_value(types, type, value.at(name), 1);
    if (!word) return word;
    h.update(word->data(), word->size());
  }
  return h.finish();
}

result<hash256> domain_separator(const json& types, const json& domain) {
  if (!domain.is_object()) return bad("domain is not an object");
  if (types.is_object() && types.contains("EIP712Domain")) return hash_struct(types, "EIP712Domain", domain);
  json with_domain = types.is_object() ? types : json::object();
  with_domain["EIP712Domain"] = derived_domain_type(domain);
  return hash_struct(with_domain, "EIP712Domain", domain);
}

hash256 digest(const hash256& domain_separator, const hash256& struct_hash) {
  keccak256_hasher h;
  const std::uint8_t prefix[2] = {0x19, 0x01};
  h.update(prefix, 2);
  h.update(domain_separator.data(), domain_separator.size());
  h.update(struct_hash.data(), struct_hash.size());
  return h.finish();
}

result<hash256> digest(const json& typed_data) {
  if (!typed_data.is_object() || !typed_data.contains("types") || !typed_data.contains("primaryType") ||
      !typed_data["primaryType"].is_string() || !typed_data.contains("domain") || !typed_data.contains("message"))
    return bad("typed data needs types, primaryType, domain and message");
  const json& types = typed_data["types"];
  auto ds = domain_separator(types, typed_data["domain"]);
  if (!ds) return ds;
  auto sh = hash_struct(types, typed_data["primaryType"].get<std::string>(), typed_data["message"]);
  if (!sh) return sh;
  return digest(*ds, *sh);
}

}  // namespace hearth::crypto::eip712
