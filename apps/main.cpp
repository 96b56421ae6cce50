// The hearth CLI: thin glue from subcommands to the libraries.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "apps/cli_help.hpp"
#include "apps/cluster_command.hpp"
#include "apps/couch_commands.hpp"
#include "client/http_client.hpp"
#include "messages/errors.hpp"
#include "apps/shell_command.hpp"
#include "apps/curl_command.hpp"
#include "apps/key_commands.hpp"
#include "apps/logging.hpp"
#include "apps/node_config.hpp"
#include "apps/mcp_commands.hpp"
#include "apps/offer_command.hpp"
#include "apps/pay_commands.hpp"
#include "apps/sandbox_command.hpp"
#include "apps/seller_command.hpp"
#include "apps/job_commands.hpp"
#include "apps/serve.hpp"
#include "apps/task_commands.hpp"

int main(int argc, char** argv) {
  using namespace hearth::app;
  CLI::App app{"hearth: pay-per-use sandboxed compute", "hearth"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_config("--config", default_config_file, "TOML config file (env HEARTH_CONFIG)")->envname("HEARTH_CONFIG");
  node_config config;
  add_node_options(app, config);
  int verbosity = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbosity, "More log output (-v debug, -vv trace)");
  app.add_flag("-q,--quiet", quiet, "Warnings and errors only");
  // Every outbound https (curl, facilitator, chain RPC, MCP backends) trusts these.
  app.add_option_function<std::string>(
         "--cacert", [](const std::string& file) {
           auto tls = hearth::client::default_tls();
           tls.ca_file = file;
           hearth::client::set_default_tls(tls);
         },
         "PEM CA bundle that outbound https trusts instead of the system store")
      ->envname("HEARTH_CACERT");
  app.add_flag_callback(
      "-k,--insecure",
      [] {
        auto tls = hearth::client::default_tls();
        tls.insecure = true;
        hearth::client::set_default_tls(tls);
      },
      "Outbound https without certificate or hostname checks (as curl -k; never the default)");

  int exit_code = 0;
  auto* serve = app.add_subcommand("serve", "Run the node");
  serve->callback([&] {
    setup_logging(config.log_level, verbosity, quiet);
    exit_code = run_serve(config);
  });

  auto* conf = app.add_subcommand("config", "Write, show or describe the node's configuration")->require_subcommand(1);
  auto* init = conf->add_subcommand("init", "Write a config file with every setting at its default");
  std::string init_path = default_config_file;
  bool force = false;
  init->add_option("-o,--out", init_path, "File to write")->capture_default_str();
  init->add_flag("--force", force, "Overwrite an existing file");
  init->callback([&] {
    if (!force && std::ifstream(init_path)) {
      std::cerr << "hearth: " << init_path << " exists; use --force to overwrite [config_exists]\n";
      exit_code = 1;
      return;
    }
    std::ofstream out(init_path, std::ios::trunc);
    out << render_config(app, false, true);
    if (!out) {
      std::cerr << "hearth: cannot write " << init_path << " [config_unwritable]\n";
      exit_code = 1;
      return;
    }
    std::cerr << "wrote " << init_path << "\n";
  });
  conf->add_subcommand("show", "Print the effective configuration (file, environment and flags merged)")
      ->callback([&] { std::cout << render_config(app, true, false); });
  conf->add_subcommand("schema", "Print the config file's JSON Schema")->callback([&] { std::cout << config_schema(app); });

  add_key_commands(app, exit_code);
  add_sandbox_command(app, exit_code);
  add_offer_command(app, exit_code);
  add_task_commands(app, exit_code);
  add_curl_command(app, exit_code);
  add_pay_commands(app, exit_code);
  add_mcp_commands(app, exit_code);
  add_couch_commands(app, exit_code);
  add_shell_command(app, exit_code);
  add_seller_command(app, exit_code, [&] { setup_logging(config.log_level, verbosity, quiet); });
  add_job_commands(app, exit_code);
  add_cluster_commands(app, exit_code);
  auto* errors = app.add_subcommand("errors", "Print every error code of the node: module, code, HTTP status, JSON-RPC code, meaning");
  bool exit_codes = false;
  errors->add_flag("--exit-codes", exit_codes, "Print the CLI's exit codes instead");
  errors->callback([&exit_codes] { std::cout << (exit_codes ? exit_code_table() : hearth::error_table_markdown()); });
  app.add_subcommand("version", "Print the version")->callback([] { std::cout << "hearth " HEARTH_VERSION "\n"; });
  app.set_version_flag("--version", "hearth " HEARTH_VERSION);
  add_completion_command(app);
  describe_commands(app);

  try {
    std::vector<std::string> args = environment_arguments(app);
    args.insert(args.end(), argv + 1, argv + argc);
    std::reverse(args.begin(), args.end());  // CLI11 takes its vector last-first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
