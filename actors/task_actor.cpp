#include "actors/task_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "actors/task_identity.hpp"
#include "actors/task_output.hpp"
#include "messages/clock.hpp"
#include "storage/task_codec.hpp"

namespace hearth::actors {
namespace {

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
  if (job->retain_secs) t.retain_until_ms = t.finished_at_ms + static_cast<std::int64_t>(job->retain_secs) * 1000;
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
  auto durability = job->paid ? storage::store::sync::yes : storage::store::sync::no;
  if (auto saved = storage::save_task(*job->db, t, durability); !saved) {
    spdlog::error("task {}: final record not saved: {}", t.id, saved.error().message);
    t.error = "the task's record could not be stored";
  }
  self->send(registry, task_done_atom::value, t);
  if (!job->paid)
    if (auto synced = job->db->sync_log(); !synced) spdlog::error("task {}: record not synced: {}", t.id, synced.error().message);
}

}  // namespace

sandbox::launch_spec launch_spec_for(const stored_offer& offer, const task_input& in, const std::string& executable_path,
                                     const std::vector<std::string>& secret_env) {
  sandbox::launch_spec spec;
  const auto& l = offer.body.limits;
  spec.executable = executable_path;
  spec.args = offer.body.args;
  spec.args.insert(spec.args.end(), in.args.begin(), in.args.end());
  // The node's variables, then the owner's presets, which callers may
  // override only when the offer says so; the node's private ones last.
  const auto& o = offer.body;
  std::vector<std::string> env = in.env;
  auto put = [&env](const std::string& kv) {
    auto name = kv.substr(0, kv.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(name, 0) == 0; }), env.end());
    env.push_back(kv);
  };
  for (const auto& kv : o.env_extendable ? o.env : std::vector<std::string>{}) put(kv);
  for (const auto& kv : in.caller_env) put(kv);
  for (const auto& kv : o.env_extendable ? std::vector<std::string>{} : o.env) put(kv);
  if (!o.stdin_prefix.empty())  // CGI: the program reads the owner's bytes, then the body
    for (auto& e : env)
      if (e.rfind("CONTENT_LENGTH=", 0) == 0)
        e = "CONTENT_LENGTH=" + std::to_string(std::strtoull(e.c_str() + 15, nullptr, 10) + o.stdin_prefix.size());
  for (const auto& kv : in.private_env) put(kv);
  for (const auto& kv : secret_env) put(kv);  // the owner's secrets: no caller overrides them
  spec.env = std::move(env);
  spec.lim.ram_mb = l.ram_mb;
  spec.lim.cpu_secs = l.cpu_secs;
  spec.lim.wall_secs = in.duration_secs ? std::min(in.duration_secs, l.wall_secs) : l.wall_secs;  // what was paid for
  spec.lim.network = l.network;
  spec.lim.max_output_bytes = l.max_output_bytes;
  spec.lim.tcp_bind = l.tcp_bind;
  spec.lim.tcp_connect = l.tcp_connect;
  spec.lim.cpu_cores = (l.cpu_units ? l.cpu_units : 1000) / 1000.0;
  return spec;
}

caf::actor spawn_task_actor(caf::local_actor* registry_self, task_registry_type registry, std::shared_ptr<task_job> job) {
  return registry_self->spawn<caf::detached + caf::monitored>(task_actor, std::move(registry), std::move(job));
}

}  // namespace hearth::actors
