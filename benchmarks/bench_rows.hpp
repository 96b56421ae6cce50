// One row of make bench's table (benchmarks/report.py), appended as a JSON
// line to $HEARTH_BENCH_ROWS when it is set; the programs print their own
// lines as well. BENCH_QUICK=1 asks for a short run (CI).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hearth::bench {

enum class better { higher, lower };

struct target {
  const char* kind = nullptr;  // "ratio_min", "max" or "min"
  double value = 0;
};

inline bool quick() {
  const char* q = std::getenv("BENCH_QUICK");
  return q && std::string(q) == "1";
}

inline void row(const std::string& metric, const std::string& unit, std::optional<double> hearth,
                std::optional<double> peer, const std::string& peer_name, better b, target t = {}) {
  const char* path = std::getenv("HEARTH_BENCH_ROWS");
  if (!path || !*path) return;
  auto num = [](std::optional<double> x) { return x && *x >= 0 ? nlohmann::json(*x) : nlohmann::json(nullptr); };
  nlohmann::json r = {{"metric", metric},
                      {"unit", unit},
                      {"hearth", num(hearth)},
                      {"peer", num(peer)},
                      {"peer_name", peer_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(peer_name)},
                      {"better", b == better::higher ? "higher" : "lower"},
                      {"target", t.kind ? nlohmann::json{{t.kind, t.value}} : nlohmann::json(nullptr)},
                      {"bench", HEARTH_BENCH_NAME}};
  if (FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s\n", r.dump().c_str());
    std::fclose(f);
  }
}

}  // namespace hearth::bench
