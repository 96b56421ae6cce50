// Reading a field of JSON that came from the network (a client's request, a
// remote node's answer): the field when it is there with the expected
// type, else the fallback. nlohmann's value() throws on a field of another
// type, which an attacker chooses.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace hearth::protocols {

inline std::string text_or(const nlohmann::json& o, const char* key, std::string otherwise = "") {
  if (!o.is_object()) return otherwise;
  auto f = o.find(key);
  return f != o.end() && f->is_string() ? f->get<std::string>() : otherwise;
}

inline bool bool_or(const nlohmann::json& o, const char* key, bool otherwise = false) {
  if (!o.is_object()) return otherwise;
  auto f = o.find(key);
  return f != o.end() && f->is_boolean() ? f->get<bool>() : otherwise;
}

inline nlohmann::json object_or_empty(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return nlohmann::json::object();
  auto f = o.find(key);
  return f != o.end() && f->is_object() ? *f : nlohmann::json::object();
}

inline nlohmann::json array_or_empty(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return nlohmann::json::array();
  auto f = o.find(key);
  return f != o.end() && f->is_array() ? *f : nlohmann::json::array();
}

}  // namespace hearth::protocols
