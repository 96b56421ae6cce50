// What hearth's MCP server and its stdio gateway share of the protocol:
// the versions they speak and the shape of a text tool result.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace hearth::mcp {

inline constexpr const char* supported_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

// The client's version when hearth speaks it, else the newest.
inline std::string negotiate_version(const std::string& requested) {
  for (const char* v : supported_versions)
    if (requested == v) return v;
  return supported_versions[0];
}

inline nlohmann::json text_result(const std::string& text, bool is_error) {
  return {{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})}, {"isError", is_error}};
}

}  // namespace hearth::mcp
