#include "net/metrics_routes.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "actors/couch_registry.hpp"
#include "actors/metrics_registry.hpp"
#include "actors/root_supervisor.hpp"
#include "actors/seller_directory.hpp"
#include "actors/task_registry.hpp"
#include "net/edge_bridge.hpp"
#include "net/owner_auth.hpp"
#include "sandbox/runner.hpp"

namespace hearth::net {
namespace {

constexpr auto ask_timeout = caf::infinite;  // the bridge keeps the request's deadline
constexpr auto answer_within = std::chrono::seconds(10);
constexpr std::uint32_t guest_page = 1000;
constexpr std::size_t max_guest_pages = 10;

struct family {
  const char* name;
  const char* type;
  const char* help;
};

// Every family the node exposes, in the order they are written.
constexpr family families[] = {
    {"hearth_build_info", "gauge", "The running node's version (always 1)."},
    {"hearth_http_requests_total", "counter", "HTTP requests answered, by route shape and status."},
    {"hearth_http_request_duration_seconds", "histogram", "Time from a request read to its response header, by route shape."},
    {"hearth_http_connections_accepted_total", "counter", "Connections given a slot."},
    {"hearth_http_connections_refused_total", "counter", "Connections refused at the node's or one address's limit."},
    {"hearth_http_open_connections", "gauge", "Connections open now."},
    {"hearth_tasks_total", "counter", "Tasks that ended, by how they ended."},
    {"hearth_task_cache_hits_total", "counter", "Calls of deterministic offers answered from finished tasks."},
    {"hearth_task_run_seconds_total", "counter", "Wall time of the tasks that ended."},
    {"hearth_run_slots", "gauge", "Task run slots of this node, busy or free."},
    {"hearth_sandbox_launch_duration_seconds", "histogram", "Time to launch a sandbox, by mode (cold, warm, environment)."},
    {"hearth_payments_required_total", "counter", "Calls of priced offers that came without a payment (402)."},
    {"hearth_payments_verified_total", "counter", "Payments verified and held for a call, by network."},
    {"hearth_payments_refused_total", "counter", "Payments refused, by reason code."},
    {"hearth_payments_ended_total", "counter", "Payments that reached an end (settled, unsettled, failed), by network."},
    {"hearth_payments_settled_atomic_units_total", "counter", "Amounts settled, in the asset's atomic units, by network and asset."},
    {"hearth_guests", "gauge", "Couch guests, by state."},
    {"hearth_guest_cpu_seconds", "gauge", "CPU time a live guest's environment has used."},
    {"hearth_guest_memory_bytes", "gauge", "Memory a live guest's environment uses."},
    {"hearth_guest_disk_bytes", "gauge", "Disk a live guest's environment uses."},
    {"hearth_guest_network_egress_bytes", "gauge", "Bytes a live guest's environment has sent."},
    {"hearth_market_sellers_online", "gauge", "Marketplace sellers connected to this hub."},
    {"hearth_market_jobs_total", "counter", "Marketplace jobs that entered each state."},
    {"hearth_actors_running", "gauge", "Actors alive in the node's actor system."},
    {"hearth_supervisor_restarts_total", "counter", "Restarts of each permanent actor by the root supervisor."},
    {"hearth_storage_table_bytes", "gauge", "RocksDB live table files."},
    {"hearth_storage_memtable_bytes", "gauge", "RocksDB memtables in memory."},
    {"hearth_storage_write_stalls_total", "counter", "RocksDB writes slowed or stopped while compaction was behind."},
    {"hearth_storage_writes_stopped", "gauge", "Whether RocksDB stops writes now (1) or not (0)."},
    {"hearth_process_resident_memory_bytes", "gauge", "Resident memory of the node's process."},
    {"hearth_process_virtual_memory_bytes", "gauge", "Virtual memory of the node's process."},
    {"hearth_process_cpu_seconds_total", "counter", "CPU time of the node's process, user and system."},
    {"hearth_process_threads", "gauge", "Threads of the node's process."},
    {"hearth_process_open_fds", "gauge", "Open file descriptors of the node's process."},
    {"hearth_metrics_dropped_events_total", "counter", "Metric events dropped for want of room for a new series."},
};

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The family a sample belongs to: a histogram's series carry a suffix.
std::string family_of(const std::string& sample, const char* type) {
  if (std::string(type) != "histogram") return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0)
      return sample.substr(0, sample.size() - s.size());
  }
  return sample;
}

struct scrape {
  std::shared_ptr<const node_info> info;
  std::shared_ptr<http_metrics> http;
  std::vector<metric_sample> samples;
  std::vector<std::uint64_t> guests_by_state =
      std::vector<std::uint64_t>(static_cast<std::size_t>(guest_state::failed) + 1, 0);  // by guest_state
};
using scrape_ptr = std::shared_ptr<scrape>;

void finish(const scrape_ptr& s, const responder& respond) {
  auto& out = s->samples;
  out.push_back({"hearth_build_info", actors::metric_label("version", s->info->version), 1});
  if (s->http) s->http->append_to(out);
  for (auto [mode, name] : {std::pair{sandbox::launch_mode::cold, "cold"}, {sandbox::launch_mode::warm, "warm"},
                            {sandbox::launch_mode::environment, "environment"}})
    sandbox::launch_latency(mode).append_to(out, "hearth_sandbox_launch_duration_seconds",
                                            std::string("mode=\"") + name + "\"");
  for (std::size_t i = 0; i < s->guests_by_state.size(); ++i)
    out.push_back({"hearth_guests", actors::metric_label("state", state_name(static_cast<guest_state>(i))),
                   static_cast<double>(s->guests_by_state[i])});
  respond({200,
           {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}, {"Cache-Control", "no-store"}},
           prometheus_text(std::move(out))});
}

template <class Handle>
Handle named(caf::event_based_actor* self, caf::atom_value key) {
  return caf::actor_cast<Handle>(self->system().registry().get(key));
}

// The couch's guests, a page at a time: counts by state, usage of the live ones.
void ask_guests(caf::event_based_actor* self, scrape_ptr s, std::string after, std::size_t pages, responder respond) {
  auto couch = named<couch_registry_type>(self, actors::couch_registry_key);
  if (!couch || pages == max_guest_pages) return finish(s, respond);
  self->request(couch, ask_timeout, guests_atom::value, after, guest_page)
      .then(
          [=](std::vector<guest_record>& page) {
            for (const auto& g : page) {
              auto i = static_cast<std::size_t>(g.state);
              if (i < s->guests_by_state.size()) ++s->guests_by_state[i];
              if (g.state != guest_state::running && g.state != guest_state::provisioning) continue;
              auto label = actors::metric_label("guest", g.id);
              s->samples.push_back({"hearth_guest_cpu_seconds", label, g.usage.cpu_secs});
              s->samples.push_back({"hearth_guest_memory_bytes", label, static_cast<double>(g.usage.memory_mb) * 1048576});
              s->samples.push_back({"hearth_guest_disk_bytes", label, static_cast<double>(g.usage.disk_mb) * 1048576});
              s->samples.push_back(
                  {"hearth_guest_network_egress_bytes", label, static_cast<double>(g.usage.network_egress_mb) * 1048576});
            }
            if (page.size() < guest_page) return finish(s, respond);
            ask_guests(self, s, page.back().id, pages + 1, respond);
          },
          [=](caf::error&) { finish(s, respond); });
}

void ask_sellers(caf::event_based_actor* self, scrape_ptr s, responder respond) {
  auto sellers = named<seller_directory_type>(self, actors::seller_directory_key);
  if (!sellers) return ask_guests(self, s, "", 0, respond);
  self->request(sellers, ask_timeout, health_atom::value)
      .then(
          [=](std::uint64_t online) {
            s->samples.push_back({"hearth_market_sellers_online", "", static_cast<double>(online)});
            ask_guests(self, s, "", 0, respond);
          },
          [=](caf::error&) { ask_guests(self, s, "", 0, respond); });
}

void ask_tasks(caf::event_based_actor* self, scrape_ptr s, responder respond) {
  auto tasks = named<task_registry_type>(self, actors::task_registry_key);
  if (!tasks) return ask_sellers(self, s, respond);
  self->request(tasks, ask_timeout, health_atom::value)
      .then(
          [=](std::uint64_t running) {
            auto slots = static_cast<double>(s->info->run_slots);
            auto busy = static_cast<double>(running);
            s->samples.push_back({"hearth_run_slots", "state=\"busy\"", busy});
            s->samples.push_back({"hearth_run_slots", "state=\"free\"", std::max(0.0, slots - busy)});
            ask_sellers(self, s, respond);
          },
          [=](caf::error&) { ask_sellers(self, s, respond); });
}

void ask_supervisor(caf::event_based_actor* self, scrape_ptr s, responder respond) {
  auto sup = named<root_supervisor_type>(self, actors::root_supervisor_key);
  if (!sup) return ask_tasks(self, s, respond);
  self->request(sup, ask_timeout, health_atom::value)
      .then(
          [=](supervisor_report& r) {
            s->samples.push_back({"hearth_actors_running", "", static_cast<double>(r.running_actors)});
            for (const auto& c : r.children)
              s->samples.push_back({"hearth_supervisor_restarts_total", actors::metric_label("child", c.name),
                                    static_cast<double>(c.restarts)});
            ask_tasks(self, s, respond);
          },
          [=](caf::error&) { ask_tasks(self, s, respond); });
}

void ask_metrics(caf::event_based_actor* self, scrape_ptr s, responder respond) {
  auto registry = named<metrics_registry_type>(self, actors::metrics_registry_key);
  if (!registry) return ask_supervisor(self, s, respond);
  self->request(registry, ask_timeout, get_atom::value)
      .then(
          [=](std::vector<metric_sample>& counted) {
            s->samples = std::move(counted);
            ask_supervisor(self, s, respond);
          },
          [=](caf::error&) { ask_supervisor(self, s, respond); });
}

}  // namespace

std::string prometheus_text(std::vector<metric_sample> samples) {
  std::string out;
  for (const auto& f : families) {
    std::string head = std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    bool any = false;
    // stable: a histogram's buckets stay in le order.
    for (const auto& sample : samples) {
      if (family_of(sample.family, f.type) != f.name) continue;
      if (!any) out += head;
      any = true;
      out += sample.family;
      if (!sample.labels.empty()) out += "{" + sample.labels + "}";
      out += " " + number(sample.value) + "\n";
    }
  }
  return out;
}

bool route_metrics(caf::actor_system& sys, const std::shared_ptr<const node_info>& info,
                   const std::shared_ptr<http_metrics>& http, http_request& req, responder& respond) {
  if (req.path != "/metrics") return false;
  if (req.method != "GET" && req.method != "HEAD") {
    respond(method_not_allowed(req, "GET, HEAD"));
    return true;
  }
  if (!is_loopback_peer(req.remote_address) && !host_token_matches(req, *info)) {
    respond(json_error(http_errc::unauthorized, "metrics are served to loopback peers and to the host token"));
    return true;
  }
  auto s = std::make_shared<scrape>();
  s->info = info;
  s->http = http;
  bridge_run(sys, std::move(respond), [s](auto* self, const responder& r) { ask_metrics(self, s, r); }, answer_within);
  return true;
}

}  // namespace hearth::net
