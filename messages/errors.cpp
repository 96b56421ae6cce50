#include "messages/errors.hpp"

#include <ostream>

namespace hearth {
namespace {

struct code_info {
  error_code code;
  std::string_view name;
  unsigned status;
  std::string_view meaning;
};

const std::vector<code_info>& table() {
  static const std::vector<code_info> rows = [] {
    std::vector<code_info> out;
#define HEARTH_ERROR_INFO(name, status, doc) out.push_back(code_info{error_code(errc_type::name), #name, status, doc});
#define HEARTH_ERROR_MODULE_ROWS(module, type, list) \
  {                                                  \
    using errc_type = type;                          \
    list(HEARTH_ERROR_INFO)                          \
  }
    HEARTH_ERROR_MODULES(HEARTH_ERROR_MODULE_ROWS)
#undef HEARTH_ERROR_MODULE_ROWS
#undef HEARTH_ERROR_INFO
    return out;
  }();
  return rows;
}

const code_info* find(error_code c) {
  for (const auto& row : table())
    if (row.code == c) return &row;
  return nullptr;
}

}  // namespace

std::string_view code_name(error_code c) {
  const auto* row = find(c);
  return row ? row->name : "internal_error";
}

std::string_view module_name(error_module m) {
  switch (m) {
#define HEARTH_ERROR_MODULE_NAME(module, type, list) \
  case error_module::module: return #module;
    HEARTH_ERROR_MODULES(HEARTH_ERROR_MODULE_NAME)
#undef HEARTH_ERROR_MODULE_NAME
  }
  return "unknown";
}

unsigned http_status(error_code c) {
  const auto* row = find(c);
  return row ? row->status : 500;
}

int jsonrpc_code(error_code c) {
  switch (http_status(c)) {
    case 401: case 403: return -32001;
    case 402: return -32002;
    case 404: case 410: return -32004;
    case 429: return -32029;
    case 503: return -32003;
    default: break;
  }
  return http_status(c) < 500 ? -32602 : -32603;
}

std::string_view code_meaning(error_code c) {
  const auto* row = find(c);
  return row ? row->meaning : "";
}

std::optional<error_code> parse_error_code(std::string_view name) {
  for (const auto& row : table())
    if (row.name == name) return row.code;
  return std::nullopt;
}

std::vector<error_code> all_error_codes() {
  std::vector<error_code> out;
  for (const auto& row : table()) out.push_back(row.code);
  return out;
}

std::ostream& operator<<(std::ostream& out, error_code c) { return out << code_name(c); }

std::string error_table_markdown() {
  std::string out = "| module | code | HTTP | JSON-RPC | meaning |\n|---|---|---|---|---|\n";
  for (const auto& row : table())
    out += "| " + std::string(module_name(row.code.module)) + " | `" + std::string(row.name) + "` | " +
           std::to_string(row.status) + " | " + std::to_string(jsonrpc_code(row.code)) + " | " +
           std::string(row.meaning) + " |\n";
  return out;
}

}  // namespace hearth
