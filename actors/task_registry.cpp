#include "actors/task_registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <unordered_map>

#include <unistd.h>

#include "actors/metrics_registry.hpp"
#include "actors/offer_validation.hpp"
#include "actors/private_inputs.hpp"
#include "actors/task_actor.hpp"
#include "actors/task_identity.hpp"
#include "crypto/secret.hpp"
#include "messages/clock.hpp"
#include "messages/failure_error.hpp"
#include "payments/challenge.hpp"
#include "storage/blob_store.hpp"
#include "storage/task_cache.hpp"
#include "storage/task_codec.hpp"

namespace hearth::actors {
namespace {

constexpr auto sweep_interval = std::chrono::seconds(5);
constexpr std::size_t sweep_page = 1000;
constexpr std::size_t result_cache_bytes = 32u << 20;  // finished deterministic tasks kept in memory

struct task_registry_state {
  storage::store* db = nullptr;
  storage::blob_store* blobs = nullptr;
  std::shared_ptr<const crypto::private_key> key;
  crypto::address owner;
  unsigned max_running = 4;
  unsigned max_queued = 256;
  std::chrono::milliseconds retention{0};
  std::shared_ptr<sandbox::warm_pool> pool;
  std::shared_ptr<const crypto::sealing_key> sealing;  // opens offers' private inputs
  std::uint32_t cpu_capacity = 1000, cpu_in_use = 0;   // thousandths of a core
  std::unordered_map<caf::actor_addr, std::uint32_t> cpu_held;  // running task actor -> its units
  std::string output_dir;
  std::string sweep_cursor;
  std::unordered_map<std::string, std::vector<caf::response_promise>> waiting;  // by task id
  std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> cancels;  // running tasks
  std::unordered_map<caf::actor_addr, std::string> running;                      // task actor -> id
  std::deque<std::shared_ptr<task_job>> queue;
  // Tasks queued or started, as they were then: what a lookup answers
  // until the task's own record is final (the queue is not stored).
  std::unordered_map<std::string, task_record> unfinished;
  storage::task_cache results{result_cache_bytes};  // completed deterministic tasks, read from storage once
  static inline const char* name = "task_registry";
};

using registry = task_registry_type::stateful_pointer<task_registry_state>;

std::uint32_t node_cpu_units() {
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<std::uint32_t>(std::max(1L, cores) * 1000);
}

// Starts queued tasks in order while a run slot is free and the first
// one's CPU units fit (it waits rather than being overtaken).
void start_next(registry self) {
  auto& st = self->state;
  while (st.running.size() < st.max_running && !st.queue.empty() &&
         st.cpu_in_use + st.queue.front()->cpu_units <= st.cpu_capacity) {
    auto job = st.queue.front();
    st.queue.pop_front();
    st.cancels[job->record.id] = job->cancel;
    st.unfinished[job->record.id].state = task_state::running;
    auto a = spawn_task_actor(self, caf::actor_cast<task_registry_type>(self), job);
    st.running.emplace(a.address(), job->record.id);
    st.cpu_in_use += job->cpu_units;
    st.cpu_held.emplace(a.address(), job->cpu_units);
  }
}

// Answers everyone waiting for task id with reply (a task_record or an error).
template <class Reply>
void finish(registry self, const std::string& id, const Reply& reply) {
  auto& st = self->state;
  if (auto it = st.waiting.find(id); it != st.waiting.end()) {
    for (auto& p : it->second) p.deliver(reply);
    st.waiting.erase(it);
  }
  st.cancels.erase(id);
  st.unfinished.erase(id);
}

// A task as it is now: unfinished from memory, else from storage.
result<task_record> find_task(const task_registry_state& st, const std::string& id) {
  if (!crypto::is_hash_hex(id)) return fail(task_errc::task_not_found, "a task id is 64 lowercase hex digits");
  if (auto it = st.unfinished.find(id); it != st.unfinished.end()) return it->second;
  auto t = storage::load_task(*st.db, id);
  if (!t) return t.error();
  if (!*t) return fail(task_errc::task_not_found, "no task " + id);
  return std::move(**t);
}

caf::result<task_record> run_task(registry self, stored_offer& offer, task_input& in) {
  auto& st = self->state;
  if (is_expired(offer.body, static_cast<std::int64_t>(unix_secs())))
    return to_error(fail(offer_errc::offer_expired, "offer " + offer.hash + " has expired"));
  std::string input_hash = task_input_hash(in);
  auto derived = task_id(offer, input_hash);
  if (!derived) return to_error(derived.error());
  std::string id = std::move(*derived);
  if (offer.body.deterministic) {
    if (auto it = st.waiting.find(id); it != st.waiting.end()) {
      it->second.push_back(self->make_response_promise());
      return it->second.back();
    }
    auto now = unix_ms();
    if (auto held = st.results.find(id, now - st.retention.count(), now)) {
      count_metric(self->system(), {"hearth_task_cache_hits_total", "", 1});
      held->cache_hit = true;
      return std::move(*held);
    }
    auto cached = storage::load_task(*st.db, id);
    if (!cached) return to_error(cached.error());
    if (*cached && (*cached)->state == task_state::completed) {
      st.results.put(**cached);
      count_metric(self->system(), {"hearth_task_cache_hits_total", "", 1});
      (*cached)->cache_hit = true;
      return std::move(**cached);
    }
  }
  if (st.queue.size() >= st.max_queued)
    return to_error(fail(task_errc::node_busy, "too many tasks are waiting; try again later"));
  auto variant = variant_for_host(offer.body);
  if (!variant) return to_error(variant.error());
  std::string sha = crypto::to_hex(std::string_view(variant->sha256));
  if (!st.blobs->contains(sha)) return to_error(fail(offer_errc::executable_missing, "the offer's executable is not on this node"));
  private_values secrets;
  if (!offer.body.env_private_sha256.empty() || !offer.body.stdin_private_sha256.empty()) {
    if (!st.sealing) return to_error(fail(offer_errc::private_input_missing, "this node cannot open private inputs"));
    auto opened = open_private_inputs(*st.db, *st.sealing, offer.body);
    if (!opened) return to_error(opened.error());
    secrets = std::move(*opened);
  }
  std::uint32_t units = offer.body.limits.cpu_units ? offer.body.limits.cpu_units : 1000;
  if (units > st.cpu_capacity)
    return to_error(fail(offer_errc::limits_exceed_node, "the offer reserves " + std::to_string(units) +
                                                             " cpu units; this node has " + std::to_string(st.cpu_capacity)));

  auto job = std::make_shared<task_job>(task_job{{}, {}, {}, {}, {}, std::make_shared<std::atomic<bool>>(false), st.key,
                                                  st.owner, st.db, st.pool});
  job->record.id = id;
  job->record.offer_hash = offer.hash;
  job->record.input_hash = input_hash;
  job->record.created_at_ms = unix_ms();
  job->record.read_token_hash = in.read_token_hash;
  job->spec = launch_spec_for(offer, in, st.blobs->path(sha), secrets.env);
  if (!secrets.stdin_prefix.empty())  // CGI: CONTENT_LENGTH counts the owner's secret bytes too
    for (auto& e : job->spec.env)
      if (e.rfind("CONTENT_LENGTH=", 0) == 0)
        e = "CONTENT_LENGTH=" + std::to_string(std::strtoull(e.c_str() + 15, nullptr, 10) + secrets.stdin_prefix.size());
  job->stdin_data = secrets.stdin_prefix + offer.body.stdin_prefix + in.stdin_data;  // the owner's bytes first
  job->cpu_units = units;
  job->paid = !payments::is_free(offer.body);
  if (offer.body.retain_secs) job->retain_secs = offer.body.retain_secs;
  job->stdin_file = std::move(in.stdin_file);
  job->output_path = storage::task_output_file(st.output_dir, id);
  job->stream = std::move(in.output);
  job->record.state = task_state::pending;  // stored when it starts; until then only here
  st.waiting[id].push_back(self->make_response_promise());
  auto promise = st.waiting[id].back();
  st.unfinished[id] = job->record;
  st.queue.push_back(std::move(job));
  start_next(self);
  return promise;
}

task_registry_type::behavior_type registry_behavior(registry self, storage::store* db, storage::blob_store* blobs,
                                std::shared_ptr<task_registry_config> config) {
  auto& st = self->state;
  st.db = db;
  st.blobs = blobs;
  st.key = std::make_shared<const crypto::private_key>(config->node_key);
  st.owner = config->owner;
  st.max_running = std::max(1u, config->max_running);
  st.max_queued = config->max_queued;
  st.retention = config->retention;
  if (config->warm_sandboxes) st.pool = std::make_shared<sandbox::warm_pool>();
  if (auto key = crypto::derive_sealing_key(config->node_key, private_inputs_label))
    st.sealing = std::make_shared<const crypto::sealing_key>(*key);
  else
    spdlog::error("task registry: {}", key.error().message);
  st.cpu_capacity = config->cpu_units ? config->cpu_units : node_cpu_units();
  st.output_dir = config->output_dir.empty() ? "outputs" : config->output_dir;
  std::error_code ec;
  std::filesystem::create_directories(st.output_dir, ec);
  self->delayed_send(self, sweep_interval, task_sweep_atom::value);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [id, flag] : self->state.cancels) flag->store(true);
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.running.find(dm.source);
    if (it == st.running.end()) return;
    std::string id = it->second;
    st.running.erase(it);
    if (auto held = st.cpu_held.find(dm.source); held != st.cpu_held.end()) {
      st.cpu_in_use -= held->second;
      st.cpu_held.erase(held);
    }
    if (st.waiting.count(id)) {  // died without reporting
      spdlog::error("task {} stopped without a result: {}", id, self->system().render(dm.reason));
      finish(self, id, to_error(fail(task_errc::task_failed, "the task stopped without a result")));
    }
    start_next(self);
  });
  return {
      [self](run_atom, stored_offer& offer, task_input& in) { return run_task(self, offer, in); },
      [self](task_done_atom, const task_record& t) {
        auto how = t.ending <= static_cast<std::uint8_t>(sandbox::ending::cancelled)
                       ? sandbox::to_string(static_cast<sandbox::ending>(t.ending))
                       : std::string("unknown");
        count_metric(self->system(), {"hearth_tasks_total", metric_label("ending", how), 1});
        if (t.wall_secs > 0) count_metric(self->system(), {"hearth_task_run_seconds_total", "", t.wall_secs});
        finish(self, t.id, t);
      },
      [self](get_atom, const std::string& id) -> caf::result<task_record> {
        auto t = find_task(self->state, id);
        if (!t) return to_error(t.error());
        return std::move(*t);
      },
      [self](get_atom, const std::string& id, const std::string& read_token) -> caf::result<task_record> {
        // Anyone but the owner learns nothing of a task without its token, not
        // even whether it exists (a deterministic offer's task id can be computed).
        auto t = find_task(self->state, id);
        if (!t || !crypto::secret_matches(read_token, t->read_token_hash))
          return to_error(fail(http_errc::unauthorized,
                               "a task is readable by the owner (host token or owner signature) and by whoever "
                               "started it (its X-Hearth-Task-Token)"));
        return std::move(*t);
      },
      [self](list_atom, const std::string& after, std::uint32_t limit) -> caf::result<std::vector<task_record>> {
        auto rows = storage::list_tasks(*self->state.db, after, std::min<std::uint32_t>(limit, 1000));
        if (!rows) return to_error(rows.error());
        for (auto& t : *rows) t.stdout_data.clear(), t.stderr_data.clear();  // listings stay small
        return std::move(*rows);
      },
      [self](health_atom) { return static_cast<std::uint64_t>(self->state.running.size()); },
      [self](task_sweep_atom) {
        auto& st = self->state;
        auto step = storage::sweep_finished_tasks(*st.db, unix_ms() - st.retention.count(), st.sweep_cursor, sweep_page);
        if (!step) spdlog::warn("task retention sweep: {}", step.error().message);
        else {
          st.sweep_cursor = step->next_cursor;
          for (const auto& id : step->spilled) std::remove(storage::task_output_file(st.output_dir, id).c_str());
          if (step->deleted > 0) spdlog::debug("task retention: deleted {} finished task(s)", step->deleted);
        }
        self->delayed_send(self, sweep_interval, task_sweep_atom::value);
      },
  };
}

}  // namespace

result<task_registry_type> spawn_task_registry(caf::actor_system& sys, storage::store& db, storage::blob_store& blobs,
                                               task_registry_config config) {
  auto interrupted = storage::fail_interrupted_tasks(db, "the node stopped while the task ran", unix_ms());
  if (!interrupted) return interrupted.error();
  if (*interrupted > 0) spdlog::warn("marked {} interrupted task(s) failed", *interrupted);
  return sys.spawn(registry_behavior, &db, &blobs, std::make_shared<task_registry_config>(std::move(config)));
}

}  // namespace hearth::actors
