#include "actors/environment_backend.hpp"

#include <algorithm>

#include "sandbox/guest_env.hpp"

namespace hearth::actors {
namespace {

constexpr std::size_t output_cap = 4u << 20;  // per stream, in an exec's answer

sandbox::environment_spec spec_of(const guest_record& g) {
  sandbox::environment_spec s;
  s.ram_mb = std::max<std::uint64_t>(16, g.limits.max_memory_mb);
  s.cpu_cores = std::max(0.05, g.limits.max_cpu_cores);
  s.max_processes = 256;
  s.tmp_mb = 256;
  s.disk_mb = g.limits.max_disk_gb * 1024;
  s.network = g.permissions.can_access_internet;
  s.host_services = g.permissions.can_access_host_services;
  return s;
}

class local_backend final : public environment_backend {
 public:
  local_backend(std::string base, std::string rootfs) : envs_(std::move(base), std::move(rootfs)) {}
  std::string name() const override { return "local"; }

  result<std::string> create(const guest_record& g) override {
    if (auto ok = envs_.create(g.id, spec_of(g)); !ok) return ok.error();
    return std::string("/couch/guest/exec");
  }

  result<exec_result> exec(const guest_record& g, const exec_request& r, const std::atomic<bool>* cancel,
                           const exec_output& emit) override {
    sandbox::guest_exec e;
    e.argv = r.argv;
    e.stdin_data = r.stdin_data;
    e.timeout_secs = r.timeout_secs;
    e.max_output_bytes = output_cap;
    e.cancel = cancel;
    exec_result out;
    e.on_stdout = [&out, &emit](std::string_view s) {
      out.stdout_data.append(s);
      if (emit) emit(1, s);
    };
    e.on_stderr = [&out, &emit](std::string_view s) {
      s = s.substr(0, output_cap - std::min(output_cap, out.stderr_data.size()));
      out.stderr_data.append(s);
      if (emit && !s.empty()) emit(2, s);
    };
    auto report = envs_.exec(g.id, spec_of(g), std::move(e));
    if (!report) return report.error();
    out.ending = sandbox::to_string(report->how);
    out.exit_code = report->exit_code;
    out.signal = report->signal;
    out.cpu_secs = report->used.cpu_secs;
    out.wall_secs = report->used.wall_secs;
    out.peak_memory_bytes = report->used.peak_memory_bytes;
    return out;
  }

  result<std::shared_ptr<sandbox::terminal>> open_terminal(const guest_record& g, std::uint16_t cols,
                                                           std::uint16_t rows) override {
    auto t = envs_.open_terminal(g.id, spec_of(g), cols, rows);
    if (!t) return t.error();
    return std::shared_ptr<sandbox::terminal>(std::move(*t));
  }

  result<void> destroy(const std::string& guest_id) override { return envs_.destroy(guest_id); }

  environment_usage sample(const std::string& guest_id) override {
    auto s = envs_.sample(guest_id);
    return {s.cpu_secs, s.peak_memory_bytes >> 20, (s.disk_bytes + (1u << 20) - 1) >> 20, s.egress_mb};
  }

  std::vector<std::string> running() const override { return envs_.running(); }

 private:
  sandbox::local_environments envs_;
};

}  // namespace

std::shared_ptr<environment_backend> make_local_backend(std::string base_dir, std::string rootfs) {
  return std::make_shared<local_backend>(std::move(base_dir), std::move(rootfs));
}

}  // namespace hearth::actors
