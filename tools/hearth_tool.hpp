// hearth_tool.hpp: write an MCP tool for hearth (and os402) in about 30
// lines of C++. Header-only; needs nlohmann/json.
//
// The contract a built tool follows (any language can follow it too):
//   TOOL --mcp-schema   prints {name, description, input_schema, output_schema,
//                       limits:{ram_mb, cpu_time_secs, wall_time_secs, network}}
//   TOOL                reads the call's JSON arguments on stdin, writes the
//                       JSON result on stdout and exits 0. Input that does not
//                       match input_schema: exit 2 and {"error": "..."}; a
//                       handler error: exit 1 and {"error": "..."}. Under CGI
//                       (GATEWAY_INTERFACE set) a Content-Type header (and a
//                       Status on errors) comes first.
//
//   struct in_t { std::string text; };   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(in_t, text)
//   struct out_t { int words; };         NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(out_t, words)
//   int main(int argc, char** argv) {
//     return hearth::tool::tool<in_t, out_t>("word_count", "Counts words")
//         .input_schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
//         .output_schema(R"({"type":"object","properties":{"words":{"type":"integer"}},"required":["words"]})")
//         .limits({64, 2, 5, false})
//         .handler([](const in_t& in) -> hearth::tool::outcome<out_t> { return out_t{count(in.text)}; })
//         .run(argc, argv);
//   }
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <variant>

namespace hearth::tool {

using nlohmann::json;

struct limits {
  unsigned ram_mb = 64;
  unsigned cpu_time_secs = 5;
  unsigned wall_time_secs = 10;
  bool network = false;
};

// What a handler returns: its output, or an error message for the caller.
struct error {
  std::string message;
};
template <class Out>
using outcome = std::variant<Out, error>;

// JSON Schema, the keywords tools use: type (incl. a list of types), enum,
// const, properties, required, additionalProperties (bool or schema), items,
// minItems/maxItems, minLength/maxLength, minimum/maximum,
// exclusiveMinimum/exclusiveMaximum, pattern. The first violation, with
// its JSON path; nullopt when value is valid.
inline std::optional<std::string> validate(const json& schema, const json& value, const std::string& path = "$") {
  if (schema.is_boolean()) return schema.get<bool>() ? std::nullopt : std::optional<std::string>(path + ": not allowed");
  if (!schema.is_object()) return std::nullopt;
  auto fail = [&](const std::string& why) { return std::optional<std::string>(path + ": " + why); };
  auto type_ok = [&](const std::string& t) {
    if (t == "object") return value.is_object();
    if (t == "array") return value.is_array();
    if (t == "string") return value.is_string();
    if (t == "integer") return value.is_number_integer() || (value.is_number_float() && value.get<double>() == static_cast<double>(static_cast<long long>(value.get<double>())));
    if (t == "number") return value.is_number();
    if (t == "boolean") return value.is_boolean();
    if (t == "null") return value.is_null();
    return true;
  };
  if (auto t = schema.find("type"); t != schema.end()) {
    bool ok = false;
    if (t->is_string()) ok = type_ok(*t);
    else if (t->is_array())
      for (const auto& one : *t) ok = ok || (one.is_string() && type_ok(one));
    if (!ok) return fail("expected " + t->dump());
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array() &&
                                    std::find(e->begin(), e->end(), value) == e->end())
    return fail("must be one of " + e->dump());
  if (auto c = schema.find("const"); c != schema.end() && *c != value) return fail("must be " + c->dump());
  if (value.is_number()) {
    double v = value.get<double>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>()) return fail("below minimum");
    if (schema.contains("maximum") && v > schema["maximum"].get<double>()) return fail("above maximum");
    if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number() &&
        v <= schema["exclusiveMinimum"].get<double>())
      return fail("not above exclusiveMinimum");
    if (schema.contains("exclusiveMaximum") && schema["exclusiveMaximum"].is_number() &&
        v >= schema["exclusiveMaximum"].get<double>())
      return fail("not below exclusiveMaximum");
  }
  if (value.is_string()) {
    auto s = value.get<std::string>();
    std::size_t chars = 0;
    for (unsigned char ch : s) chars += (ch & 0xc0) != 0x80;
    if (schema.contains("minLength") && chars < schema["minLength"].get<std::size_t>()) return fail("too short");
    if (schema.contains("maxLength") && chars > schema["maxLength"].get<std::size_t>()) return fail("too long");
    if (schema.contains("pattern") && schema["pattern"].is_string() &&
        !std::regex_search(s, std::regex(schema["pattern"].get<std::string>(), std::regex::ECMAScript)))
      return fail("does not match " + schema["pattern"].get<std::string>());
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) return fail("too few items");
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) return fail("too many items");
    if (auto items = schema.find("items"); items != schema.end())
      for (std::size_t i = 0; i < value.size(); ++i)
        if (auto bad = validate(*items, value[i], path + "[" + std::to_string(i) + "]")) return bad;
  }
  if (value.is_object()) {
    if (auto req = schema.find("required"); req != schema.end() && req->is_array())
      for (const auto& name : *req)
        if (name.is_string() && !value.contains(name.get<std::string>()))
          return fail("missing required property " + name.get<std::string>());
    const json* props = schema.contains("properties") && schema["properties"].is_object() ? &schema["properties"] : nullptr;
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string child = path + "." + it.key();
      if (props && props->contains(it.key())) {
        if (auto bad = validate((*props)[it.key()], it.value(), child)) return bad;
      } else if (auto extra = schema.find("additionalProperties"); extra != schema.end()) {
        if (extra->is_boolean() && !extra->get<bool>()) return fail("unexpected property " + it.key());
        if (auto bad = validate(*extra, it.value(), child)) return bad;
      }
    }
  }
  return std::nullopt;
}

template <class In, class Out>
class tool {
 public:
  tool(std::string name, std::string description) : name_(std::move(name)), description_(std::move(description)) {}
  tool& input_schema(const std::string& s) { return input_ = json::parse(s), *this; }
  tool& output_schema(const std::string& s) { return output_ = json::parse(s), *this; }
  tool& limits(struct limits l) { return limits_ = l, *this; }
  tool& handler(std::function<outcome<Out>(const In&)> h) { return handler_ = std::move(h), *this; }

  json manifest() const {
    json m = {{"name", name_},
              {"description", description_},
              {"input_schema", input_},
              {"limits",
               {{"ram_mb", limits_.ram_mb},
                {"cpu_time_secs", limits_.cpu_time_secs},
                {"wall_time_secs", limits_.wall_time_secs},
                {"network", limits_.network}}}};
    if (!output_.is_null()) m["output_schema"] = output_;
    return m;
  }

  // The whole program: --mcp-schema, or one call from stdin to stdout.
  int run(int argc, char** argv) const {
    if (argc > 1 && std::strcmp(argv[1], "--mcp-schema") == 0) return print(manifest(), 0);
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    json args = json::parse(text.empty() ? std::string("{}") : text, nullptr, false);
    if (args.is_discarded()) return failure("the input is not JSON", 2);
    if (auto bad = validate(input_, args)) return failure("invalid input: " + *bad, 2);
    try {
      auto result = handler_(args.get<In>());
      if (auto* e = std::get_if<error>(&result)) return failure(e->message, 1);
      json out = std::get<Out>(result);
      if (auto bad = validate(output_, out)) return failure("the tool's output breaks its schema: " + *bad, 1);
      return print(out, 0);
    } catch (const std::exception& e) {
      return failure(e.what(), 1);
    }
  }

 private:
  static int print(const json& j, int code) {
    if (std::getenv("GATEWAY_INTERFACE")) {
      std::cout << "Content-Type: application/json\r\n";
      if (code == 2) std::cout << "Status: 400 Bad Request\r\n";
      if (code == 1) std::cout << "Status: 500 Tool Error\r\n";
      std::cout << "\r\n";
    }
    std::cout << j.dump() << "\n" << std::flush;
    return code;
  }
  static int failure(const std::string& message, int code) { return print(json{{"error", message}}, code); }

  std::string name_, description_;
  json input_ = json{{"type", "object"}}, output_;
  struct limits limits_;
  std::function<outcome<Out>(const In&)> handler_;
};

}  // namespace hearth::tool
