#include "actors/task_registry.hpp"
#include "actors/blocking_stream.hpp"
#include "actors/offer_validation.hpp"

#include <caf/all.hpp>

#include "messages/clock.hpp"
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <unordered_map>

#include "crypto/keccak.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "messages/failure_error.hpp"
#include "messages/node_messages.hpp"
#include "messages/offer.hpp"
#include "sandbox/runner.hpp"
#include "storage/blob_store.hpp"
#include "storage/task_codec.hpp"

namespace hearth::actors {
namespace {

constexpr auto sweep_interval = std::chrono::seconds(5);
constexpr std::size_t sweep_page = 1000;

void add_field(std::string& out, const std::string& field) {
  std::uint64_t n = field.size();
  for (int i = 7; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += field;
}

std::string hex_bytes(const std::string& hex) {
  auto b = crypto::from_hex(hex);
  return b ? std::string(b->begin(), b->end()) : std::string();
}

// Sends a task's stdout on to the caller's stream once it passes
// stream_threshold_bytes (a smaller output is answered whole from the
// record), a chunk at a time (see blocking_stream).
class stdout_forwarder {
 public:
  stdout_forwarder(caf::actor_system& sys, stdout_stream_type stream, std::chrono::seconds patience)
      : stream_(sys, std::move(stream), patience) {}
  void add(const std::string& task_id, std::string_view s) {
    if (!stream_) return;
    if (!streaming_) {
      held_.append(s);
      if (held_.size() <= stream_threshold_bytes) return;
      streaming_ = true;
      stream_.send(task_id, std::exchange(held_, std::string()));
      return;
    }
    stream_.send(task_id, std::string(s));
  }

 private:
  blocking_stream<stdout_stream_type> stream_;
  bool streaming_ = false;
  std::string held_;
};

// The program's stdout as it comes: forwarded, hashed, kept in the record
// up to inline_output_bytes and past that (all of it) in the task's output
// file, so a large output is never held whole.
class output_keeper {
 public:
  output_keeper(task_record& t, std::string path, stdout_forwarder& forward)
      : t_(t), path_(std::move(path)), forward_(forward) {}
  ~output_keeper() {
    if (file_) std::fclose(file_);
  }
  void add(std::string_view s) {
    t_.stdout_size += s.size();
    hash_.update(s);
    forward_.add(t_.id, s);
    if (!file_ && !failed_ && t_.stdout_data.size() + s.size() <= inline_output_bytes) {
      t_.stdout_data.append(s);
      return;
    }
    if (!file_ && !failed_) spill();
    if (file_ && std::fwrite(s.data(), 1, s.size(), file_) != s.size()) fail();
  }
  // The content hash; false when the output could not be kept whole.
  bool finish(crypto::hash256& content) {
    if (file_ && std::fflush(file_) != 0) fail();
    content = hash_.finish();
    return !failed_;
  }

 private:
  void spill() {
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) return fail();
    t_.stdout_spilled = true;
    if (std::fwrite(t_.stdout_data.data(), 1, t_.stdout_data.size(), file_) != t_.stdout_data.size()) return fail();
    std::string().swap(t_.stdout_data);
  }
  void fail() {
    if (!failed_) spdlog::error("task {}: stdout not stored in {}", t_.id, path_);
    failed_ = true;
  }
  task_record& t_;
  std::string path_;
  stdout_forwarder& forward_;
  crypto::sha256_hasher hash_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

// Everything a task actor needs; copied into it.
struct task_job {
  task_record record;
  std::string executable;
  sandbox::launch_spec spec;
  std::string stdin_data;
  std::string stdin_file;
  std::shared_ptr<std::atomic<bool>> cancel;
  std::shared_ptr<const crypto::private_key> key;
  crypto::address owner;
  storage::store* db;
  std::shared_ptr<sandbox::warm_pool> pool;  // null: every run builds its sandbox cold
  std::string output_path = {};
  stdout_stream_type stream = {};
};

// The detached task actor: blocks on its sandboxed run, then reports.
void task_actor(caf::event_based_actor* self, task_registry_type registry, std::shared_ptr<task_job> job) {
  auto& t = job->record;
  t.state = task_state::running;
  if (auto saved = storage::save_task(*job->db, t, storage::store::sync::no); !saved)
    spdlog::error("task {}: record not saved: {}", t.id, saved.error().message);
  sandbox::run_io io;
  io.stdin_data = std::move(job->stdin_data);
  io.stdin_file = job->stdin_file;
  stdout_forwarder forward(self->system(), std::move(job->stream), std::chrono::seconds(job->spec.lim.wall_secs + 30));
  output_keeper out(t, job->output_path, forward);
  io.on_stdout = [&out](std::string_view s) { out.add(s); };
  io.on_stderr = [&t](std::string_view s) { t.stderr_data.append(s); };
  io.cancel = job->cancel.get();
  auto report = sandbox::run(job->spec, std::move(io), job->pool.get());
  t.finished_at_ms = unix_ms();
  if (!report) {
    t.state = task_state::failed;
    t.ending = static_cast<std::uint8_t>(sandbox::ending::setup_failed);
    t.error = report.error().message;
    t.error_code = std::string(code_name(report.error().code));
  } else {
    t.state = report->how == sandbox::ending::cancelled ? task_state::failed : task_state::completed;
    t.ending = static_cast<std::uint8_t>(report->how);
    t.exit_code = report->exit_code;
    t.signal = report->signal;
    t.cpu_secs = report->used.cpu_secs;
    t.wall_secs = report->used.wall_secs;
    t.peak_memory_bytes = report->used.peak_memory_bytes;
    if (report->how == sandbox::ending::cancelled) t.error = "the node stopped the task";
  }
  crypto::hash256 content{};
  if (!out.finish(content)) {
    t.state = task_state::failed;
    t.error = "the node could not store the task's output";
  }
  auto sig = job->key->sign_digest(task_output_digest(job->owner, t.id, content)).to_bytes();
  t.output_signature.assign(sig.begin(), sig.end());
  if (auto saved = storage::save_task(*job->db, t); !saved) {
    spdlog::error("task {}: final record not saved: {}", t.id, saved.error().message);
    t.error = "the task's record could not be stored";
  }
  self->send(registry, task_done_atom::value, t);
}

struct registry_state {
  storage::store* db = nullptr;
  storage::blob_store* blobs = nullptr;
  std::shared_ptr<const crypto::private_key> key;
  crypto::address owner;
  unsigned max_running = 4;
  unsigned max_queued = 256;
  std::chrono::milliseconds retention{0};
  std::shared_ptr<sandbox::warm_pool> pool;
  std::string output_dir;
  std::string sweep_cursor;
  std::unordered_map<std::string, std::vector<caf::response_promise>> waiting;  // by task id
  std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> cancels;  // running tasks
  std::unordered_map<caf::actor_addr, std::string> running;                      // task actor -> id
  std::deque<std::shared_ptr<task_job>> queue;
  // Tasks queued or started, as they were then: what a lookup answers
  // until the task's own record is final (the queue is not stored).
  std::unordered_map<std::string, task_record> unfinished;
  static inline const char* name = "task_registry";
};

using registry = task_registry_type::stateful_pointer<registry_state>;

void start_next(registry self) {
  auto& st = self->state;
  while (st.running.size() < st.max_running && !st.queue.empty()) {
    auto job = st.queue.front();
    st.queue.pop_front();
    st.cancels[job->record.id] = job->cancel;
    st.unfinished[job->record.id].state = task_state::running;
    auto a = self->spawn<caf::detached + caf::monitored>(task_actor, caf::actor_cast<task_registry_type>(self), job);
    st.running.emplace(a.address(), job->record.id);
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

caf::result<task_record> run_task(registry self, stored_offer& offer, task_input& in) {
  auto& st = self->state;
  if (is_expired(offer.body, static_cast<std::int64_t>(unix_secs())))
    return to_error(fail(offer_errc::offer_expired, "offer " + offer.hash + " has expired"));
  std::string input_hash = task_input_hash(in);
  std::string material = hex_bytes(offer.hash) + hex_bytes(input_hash);
  if (!offer.body.deterministic) {
    unsigned char salt[16];
    if (auto drawn = crypto::random_fill(salt, sizeof salt); !drawn) return to_error(drawn.error());
    material.append(reinterpret_cast<const char*>(salt), sizeof salt);
  }
  std::string id = crypto::to_hex(crypto::sha256(material));
  if (offer.body.deterministic) {
    if (auto it = st.waiting.find(id); it != st.waiting.end()) {
      it->second.push_back(self->make_response_promise());
      return it->second.back();
    }
    auto cached = storage::load_task(*st.db, id);
    if (!cached) return to_error(cached.error());
    if (*cached && (*cached)->state == task_state::completed) {
      (*cached)->cache_hit = true;
      return std::move(**cached);
    }
  }
  if (st.queue.size() >= st.max_queued)
    return to_error(fail(task_errc::node_busy, "too many tasks are waiting; try again later"));
  std::string sha = crypto::to_hex(std::string_view(offer.body.executable_sha256));
  if (!st.blobs->contains(sha)) return to_error(fail(offer_errc::executable_missing, "the offer's executable is not on this node"));

  auto job = std::make_shared<task_job>(task_job{{}, {}, {}, {}, {}, std::make_shared<std::atomic<bool>>(false), st.key,
                                                  st.owner, st.db, st.pool});
  job->record.id = id;
  job->record.offer_hash = offer.hash;
  job->record.input_hash = input_hash;
  job->record.created_at_ms = unix_ms();
  job->record.read_token_hash = in.read_token_hash;
  const auto& l = offer.body.limits;
  job->spec.executable = st.blobs->path(sha);
  job->spec.args = offer.body.args;
  job->spec.args.insert(job->spec.args.end(), in.args.begin(), in.args.end());
  job->spec.env = in.env;
  job->spec.env.insert(job->spec.env.end(), in.private_env.begin(), in.private_env.end());
  job->spec.lim.ram_mb = l.ram_mb;
  job->spec.lim.cpu_secs = l.cpu_secs;
  job->spec.lim.wall_secs = l.wall_secs;
  job->spec.lim.network = l.network;
  job->spec.lim.max_output_bytes = l.max_output_bytes;
  job->stdin_data = std::move(in.stdin_data);
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
    if (st.waiting.count(id)) {  // died without reporting
      spdlog::error("task {} stopped without a result: {}", id, self->system().render(dm.reason));
      finish(self, id, to_error(fail(task_errc::task_failed, "the task stopped without a result")));
    }
    start_next(self);
  });
  return {
      [self](run_atom, stored_offer& offer, task_input& in) { return run_task(self, offer, in); },
      [self](task_done_atom, const task_record& t) { finish(self, t.id, t); },
      [self](get_atom, const std::string& id) -> caf::result<task_record> {
        if (!crypto::is_hash_hex(id))
          return to_error(fail(task_errc::task_not_found, "a task id is 64 lowercase hex digits"));
        if (auto it = self->state.unfinished.find(id); it != self->state.unfinished.end()) return it->second;
        auto t = storage::load_task(*self->state.db, id);
        if (!t) return to_error(t.error());
        if (!*t) return to_error(fail(task_errc::task_not_found, "no task " + id));
        return std::move(**t);
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

std::string task_input_hash(const task_input& in) {
  std::string material;
  add_field(material, std::to_string(in.args.size()));
  for (const auto& a : in.args) add_field(material, a);
  std::vector<std::string> env = in.env;
  std::sort(env.begin(), env.end());
  add_field(material, std::to_string(env.size()));
  for (const auto& e : env) add_field(material, e);
  // A spooled body comes with its digest (taken by the edge, off the
  // registry's thread); the same bytes give the same id either way.
  crypto::hash256 stdin_hash = crypto::sha256(in.stdin_data);
  if (!in.stdin_file.empty()) {
    auto spooled = crypto::from_hex(in.stdin_sha256);
    if (spooled && spooled->size() == stdin_hash.size()) std::copy(spooled->begin(), spooled->end(), stdin_hash.begin());
  }
  material.append(reinterpret_cast<const char*>(stdin_hash.data()), stdin_hash.size());
  return crypto::to_hex(crypto::sha256(material));
}

crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const std::string& stdout_data) {
  return task_output_digest(owner, task_id_hex, crypto::sha256(stdout_data));
}

crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const crypto::hash256& stdout_sha256) {
  crypto::keccak256_hasher h;
  h.update("\x19hearth task output v1\n");
  h.update(owner.bytes.data(), owner.bytes.size());
  h.update(hex_bytes(task_id_hex));
  h.update(stdout_sha256.data(), stdout_sha256.size());
  return h.finish();
}

result<task_registry_type> spawn_task_registry(caf::actor_system& sys, storage::store& db, storage::blob_store& blobs,
                                       task_registry_config config) {
  auto interrupted = storage::fail_interrupted_tasks(db, "the node stopped while the task ran", unix_ms());
  if (!interrupted) return interrupted.error();
  if (*interrupted > 0) spdlog::warn("marked {} interrupted task(s) failed", *interrupted);
  return sys.spawn(registry_behavior, &db, &blobs, std::make_shared<task_registry_config>(std::move(config)));
}

}  // namespace hearth::actors
