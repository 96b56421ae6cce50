// EIP-712 typed structured data hashing (the eth_signTypedData_v4 rules):
// encodeType with sorted dependencies, encodeData for atomic, dynamic,
// array and struct members, and the 0x1901 digest over domain and message.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "crypto/bytes.hpp"

namespace hearth::crypto::eip712 {

// "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
result<std::string> encode_type(const nlohmann::json& types, const std::string& primary);
result<hash256> type_hash(const nlohmann::json& types, const std::string& primary);
result<hash256> hash_struct(const nlohmann::json& types, const std::string& primary,
                            const nlohmann::json& value);
// Uses types["EIP712Domain"] when given, else derives it from the domain's fields.
result<hash256> domain_separator(const nlohmann::json& types, const nlohmann::json& domain);
// typed_data = {types, primaryType, domain, message}
result<hash256> digest(const nlohmann::json& typed_data);
hash256 digest(const hash256& domain_separator, const hash256& struct_hash);

}  // namespace hearth::crypto::eip712
