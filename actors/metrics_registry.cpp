#include "actors/metrics_registry.hpp"

#include <caf/all.hpp>
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <utility>

#include "storage/store.hpp"

namespace hearth::actors {
namespace {

// State: every series reported so far and its sum; the store read at a scrape.
struct metrics_state {
  std::map<std::pair<std::string, std::string>, double> series;
  std::uint64_t dropped = 0;
  storage::store* db = nullptr;
  static inline const char* name = "metrics_registry";
};

using metrics_self = metrics_registry_type::stateful_pointer<metrics_state>;

// The process's own figures, from /proc/self.
void append_process(std::vector<metric_sample>& out) {
  long page = ::sysconf(_SC_PAGESIZE), ticks = ::sysconf(_SC_CLK_TCK);
  std::ifstream statm("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident) {
    out.push_back({"hearth_process_resident_memory_bytes", "", static_cast<double>(resident * static_cast<unsigned long long>(page))});
    out.push_back({"hearth_process_virtual_memory_bytes", "", static_cast<double>(size * static_cast<unsigned long long>(page))});
  }
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15, threads 20.
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    unsigned long long utime = 0, stime = 0;
    long threads = 0;
    if (std::sscanf(line.c_str() + close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld",
                    &utime, &stime, &threads) == 3) {
      out.push_back({"hearth_process_cpu_seconds_total", "", static_cast<double>(utime + stime) / static_cast<double>(ticks)});
      out.push_back({"hearth_process_threads", "", static_cast<double>(threads)});
    }
  }
  int fds = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(dir))
      if (e->d_name[0] != '.') ++fds;
    ::closedir(dir);
    out.push_back({"hearth_process_open_fds", "", static_cast<double>(fds - 1)});  // less the directory's own
  }
}

void append_storage(std::vector<metric_sample>& out, const storage::store& db) {
  auto f = db.stats();
  out.push_back({"hearth_storage_table_bytes", "", static_cast<double>(f.table_bytes)});
  out.push_back({"hearth_storage_memtable_bytes", "", static_cast<double>(f.memtable_bytes)});
  out.push_back({"hearth_storage_write_stalls_total", "kind=\"slowdown\"", static_cast<double>(f.stall_slowdowns)});
  out.push_back({"hearth_storage_write_stalls_total", "kind=\"stop\"", static_cast<double>(f.stall_stops)});
  out.push_back({"hearth_storage_writes_stopped", "", f.writes_stopped ? 1.0 : 0.0});
}

metrics_registry_type::behavior_type metrics_behavior(metrics_self self, storage::store* db) {
  self->state.db = db;
  return {
      [self](metric_event& e) {
        auto& st = self->state;
        auto key = std::make_pair(std::move(e.family), std::move(e.labels));
        auto it = st.series.find(key);
        if (it != st.series.end()) it->second += e.value;
        else if (st.series.size() < max_metric_series) st.series.emplace(std::move(key), e.value);
        else ++st.dropped;
      },
      [self](get_atom) {
        auto& st = self->state;
        std::vector<metric_sample> out;
        out.reserve(st.series.size() + 16);
        for (const auto& [key, value] : st.series) out.push_back({key.first, key.second, value});
        out.push_back({"hearth_metrics_dropped_events_total", "", static_cast<double>(st.dropped)});
        if (st.db) append_storage(out, *st.db);
        append_process(out);
        return out;
      },
  };
}

}  // namespace

metrics_registry_type spawn_metrics_registry(caf::actor_system& sys, storage::store* db) {
  return sys.spawn(metrics_behavior, db);
}

void count_metric(caf::actor_system& sys, metric_event event) {
  if (auto found = caf::actor_cast<metrics_registry_type>(sys.registry().get(metrics_registry_key)))
    caf::anon_send(found, std::move(event));
}

std::string metric_label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  std::size_t taken = 0;
  for (char c : value) {
    if (++taken > 64) break;
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '"';
  return out;
}

}  // namespace hearth::actors
