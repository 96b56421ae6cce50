#include "apps/sandbox_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "sandbox/runner.hpp"

namespace hearth::app {
namespace {

// A command without a slash is looked up in PATH, as a shell would.
std::string resolve(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) return cmd;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto end = dirs.find(':', start);
    std::string candidate = dirs.substr(start, end - start) + "/" + cmd;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return cmd;
}

}  // namespace

void add_sandbox_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sandbox", "Run a local command under the sandbox offers run in");
  auto lim = std::make_shared<sandbox::limits>();
  auto argv = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("--ram-mb", lim->ram_mb, "Memory limit, MB")->capture_default_str();
  cmd->add_option("--cpu-secs", lim->cpu_secs, "CPU time limit, seconds")->capture_default_str();
  cmd->add_option("--wall-secs", lim->wall_secs, "Wall-clock limit, seconds")->capture_default_str();
  cmd->add_option("--max-output", lim->max_output_bytes, "Largest stdout, bytes")->capture_default_str();
  cmd->add_option("--max-procs", lim->max_processes, "Processes at most")->capture_default_str();
  cmd->add_option("--tmp-mb", lim->tmp_mb, "Size of the private /tmp, MB")->capture_default_str();
  cmd->add_flag("--network", lim->network, "Share the host's network (default: none)");
  cmd->add_flag("--json", *as_json, "Print the run report as JSON on stderr");
  cmd->add_option("command", *argv, "-- CMD ARGS...")->required();
  cmd->callback([=, &exit_code] {
    sandbox::launch_spec spec;
    spec.executable = resolve(argv->front());
    spec.args.assign(argv->begin() + 1, argv->end());
    spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"};
    spec.lim = *lim;
    sandbox::run_io io;
    io.stdin_source = 0;  // passed through as it comes, as bwrap does
    io.on_stdout = [](std::string_view s) { std::cout.write(s.data(), static_cast<std::streamsize>(s.size())).flush(); };
    io.on_stderr = [](std::string_view s) { std::cerr.write(s.data(), static_cast<std::streamsize>(s.size())).flush(); };
    auto report = sandbox::run(spec, std::move(io));
    if (!report) {
      std::cerr << "hearth: " << report.error().message << " [" << report.error().code << "]\n";
      exit_code = 125;
      return;
    }
    const auto& r = *report;
    if (*as_json) {
      nlohmann::json j = {{"ending", to_string(r.how)}, {"exit_code", r.exit_code}, {"signal", r.signal},
                          {"cpu_secs", r.used.cpu_secs}, {"wall_secs", r.used.wall_secs},
                          {"peak_memory_bytes", r.used.peak_memory_bytes}, {"stdout_bytes", r.used.stdout_bytes},
                          {"stderr_bytes", r.used.stderr_bytes}, {"enforcement", r.enforcement}};
      std::cerr << j.dump() << "\n";
    } else {
      std::cerr << "sandbox: ending=" << to_string(r.how) << " exit_code=" << r.exit_code << " signal=" << r.signal
                << " cpu_secs=" << r.used.cpu_secs << " wall_secs=" << r.used.wall_secs
                << " peak_memory_bytes=" << r.used.peak_memory_bytes << " enforcement=" << r.enforcement << "\n";
    }
    if (r.how == sandbox::ending::exited) exit_code = r.exit_code;
    else exit_code = r.signal ? 128 + r.signal : 137;
  });
}

}  // namespace hearth::app
