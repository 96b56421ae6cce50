#include "apps/cli_help.hpp"

#include <iostream>
#include <map>
#include <set>
#include <vector>

namespace hearth::app {
namespace {

// One example per command, by its path under `hearth`.
const std::map<std::string, std::string>& examples() {
  static const std::map<std::string, std::string> table = {
      {"serve", "hearth serve --listen 127.0.0.1:3000 --data-dir /var/lib/hearth\n"
                "  (the node's options are hearth's own: `hearth --help` lists them; they go before or after `serve`)"},
      {"config init", "hearth config init -o hearth.toml && hearth --config hearth.toml serve"},
      {"config show", "hearth --config hearth.toml --listen 0.0.0.0:3000 config show"},
      {"config schema", "hearth config schema > hearth.schema.json"},
      {"key generate", "hearth key generate -o buyer.key"},
      {"key derive", "hearth key derive --passphrase-file pass.txt -o owner.key hearth-owner"},
      {"key address", "hearth key address --key @buyer.key"},
      {"key sha256", "hearth key sha256 ./hello.cgi"},
      {"sandbox", "echo hi | hearth sandbox --ram-mb 128 --wall-secs 5 -- /bin/sh -c 'cat; id'"},
      {"offer", "hearth offer --exe ./hello.cgi --cgi --price 0.01 --name hello --key @hearth-data/node.key \\\n"
                "    --upload http://127.0.0.1:3000"},
      {"task list", "hearth task list --node http://127.0.0.1:3000 --host-token-file hearth-data/couch-host.token --json"},
      {"task status", "hearth task status TASK_ID --token TASK_TOKEN"},
      {"task stdout", "hearth task stdout TASK_ID --token TASK_TOKEN > out.bin"},
      {"task stderr", "hearth task stderr TASK_ID --token TASK_TOKEN"},
      {"task health", "hearth task health --node http://127.0.0.1:3000 --json"},
      {"run", "echo input | hearth run OFFER_HASH --node http://127.0.0.1:3000 --key @buyer.key -- arg1 arg2"},
      {"curl", "hearth curl http://127.0.0.1:3000/OFFER_HASH.cgi/ --key @buyer.key --max USDC:0.05 -i"},
      {"pay ledger", "hearth pay ledger --node http://127.0.0.1:3000 --export csv > receivables.csv"},
      {"pay status", "hearth pay status PAYMENT_ID"},
      {"mcp list", "hearth mcp list --url http://127.0.0.1:3000 --json"},
      {"mcp call", "hearth mcp call word_count --url http://127.0.0.1:3000 --key @buyer.key -a text='to be or not'"},
      {"mcp serve", "hearth mcp serve --url http://127.0.0.1:3000 --key @buyer.key --budget USDC:1.0\n"
                    "  (an MCP client's config: {\"command\": \"hearth\", \"args\": [\"mcp\", \"serve\", \"--url\", \"...\"]})"},
      {"invite create", "hearth invite create --data-dir hearth-data --label alice --memory-mb 512 --expires-in-hours 2"},
      {"invite list", "hearth invite list --data-dir hearth-data --status active"},
      {"invite revoke", "hearth invite revoke INVITE_ID --data-dir hearth-data"},
      {"guest list", "hearth guest list --data-dir hearth-data"},
      {"guest status", "hearth guest status GUEST_ID --data-dir hearth-data"},
      {"guest kill", "hearth guest kill GUEST_ID --data-dir hearth-data"},
      {"redeem", "hearth redeem CODE --name alice --node http://host:3000   # prints the guest token once"},
      {"shell", "HEARTH_GUEST_TOKEN=TOKEN hearth shell --node http://host:3000"},
      {"seller", "hearth seller --hub http://hub:3000 --jobs 4 --memory 8g --price-per-hour 0.10"},
      {"job submit", "hearth job submit --hub http://hub:3000 --ssh-key ~/.ssh/id_ed25519.pub --duration 30m"},
      {"job list", "hearth job list --hub http://hub:3000"},
      {"job status", "hearth job status JOB_ID"},
      {"job cancel", "hearth job cancel JOB_ID"},
      {"job extend", "hearth job extend JOB_ID --duration 10m"},
      {"job ssh", "hearth job ssh JOB_ID -- -L 8080:127.0.0.1:8080"},
      {"job relay", "ssh -o ProxyCommand='hearth job relay JOB_ID' user@job"},
      {"cluster ca", "hearth cluster ca --out ca/"},
      {"cluster cert", "hearth cluster cert --ca ca/ --name node-a --ip 10.0.0.5 --out node-a/"},
      {"cluster status", "hearth cluster status --node http://127.0.0.1:3000 --json"},
      {"errors", "hearth errors | grep payment_"},
      {"version", "hearth version"},
      {"completion bash", "source <(hearth completion bash)   # or: hearth completion bash > /etc/bash_completion.d/hearth"},
  };
  return table;
}

// Listing and status commands that print JSON whatever is asked.
const std::set<std::string> json_only = {"invite list", "guest list", "guest status", "job list", "job status", "pay status"};

std::string path_of(const CLI::App* cmd) {
  std::vector<std::string> names;
  for (const CLI::App* c = cmd; c && c->get_parent(); c = c->get_parent()) names.insert(names.begin(), c->get_name());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

void describe(CLI::App* cmd) {
  auto subs = cmd->get_subcommands([](CLI::App*) { return true; });
  std::string path = path_of(cmd);
  if (auto it = examples().find(path); it != examples().end()) cmd->footer("\nExample:\n  " + it->second + "\n");
  else if (!subs.empty() && cmd->get_parent()) {
    std::string list;
    for (auto* s : subs) list += "  hearth " + path + " " + s->get_name() + " --help\n";
    cmd->footer("\nEach command's help has an example:\n" + list);
  }
  if (json_only.count(path) && !cmd->get_option_no_throw("--json"))
    cmd->add_flag("--json", "Print JSON (what this command prints in any case)");
  for (auto* s : subs) describe(s);
}

std::vector<std::string> option_words(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const auto* opt : cmd->get_options([](const CLI::Option*) { return true; })) {
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
    for (const auto& s : opt->get_snames()) out.push_back("-" + s);
  }
  return out;
}

void completion_cases(CLI::App* cmd, const std::vector<std::string>& global, std::string& subs, std::string& words) {
  std::string path = path_of(cmd);
  std::string list;
  for (auto* s : cmd->get_subcommands([](CLI::App*) { return true; })) {
    list += s->get_name() + " ";
    subs += "    \"" + path + "|" + s->get_name() + "\") path=\"" + (path.empty() ? "" : path + " ") + s->get_name() + "\" ;;\n";
  }
  for (const auto& w : option_words(cmd)) list += w + " ";
  if (path.empty() || path == "serve")
    for (const auto& w : global) list += w + " ";
  words += "    \"" + path + "\") words=\"" + list + "\" ;;\n";
  for (auto* s : cmd->get_subcommands([](CLI::App*) { return true; })) completion_cases(s, global, subs, words);
}

}  // namespace

std::string exit_code_table() {
  return "| exit code | meaning |\n|---|---|\n"
         "| 0 | done |\n"
         "| 1 | the command failed: its error code is on stderr in brackets, e.g. `[offer_not_found]` (`hearth errors` lists them) |\n"
         "| 2 | `hearth serve` could not start (the reason is logged, e.g. `[data_dir_locked]`); a command missing what it needs |\n"
         "| 3, 7, 22, 28, 35, 60 | `hearth curl`, as curl's own: bad URL, cannot connect, HTTP error with `--fail`, timeout, TLS failure, certificate refused |\n"
         "| 105-114 | the command line did not parse (106 a required option is missing, 109 an unknown argument, 105 a value is invalid) |\n"
         "| other | `hearth run`, `hearth sandbox`, `hearth shell`, `hearth job ssh`: the program's own exit code; 128+N when signal N ended it |\n";
}

void describe_commands(CLI::App& app) {
  app.footer("\nExit codes: 0 done; 1 failed (the error code in brackets on stderr); 2 the node could not start;\n"
             "105-114 the command line did not parse; run/sandbox/shell: the program's own (128+N: signal N).\n"
             "Each command's --help has an example: hearth serve --help\n");
  for (auto* s : app.get_subcommands([](CLI::App*) { return true; })) describe(s);
}

std::string bash_completion(CLI::App& app) {
  std::string subs, words;
  completion_cases(&app, option_words(&app), subs, words);
  return "# bash completion for hearth (hearth completion bash)\n"
         "_hearth() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" words=\"\" i w\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    w=\"${COMP_WORDS[i]}\"\n"
         "    case \"$path|$w\" in\n" +
         subs +
         "    esac\n"
         "  done\n"
         "  case \"$path\" in\n" +
         words +
         "  esac\n"
         "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "}\n"
         "complete -o default -F _hearth hearth\n";
}

void add_completion_command(CLI::App& app) {
  auto* completion = app.add_subcommand("completion", "Print a shell completion script")->require_subcommand(1);
  completion->add_subcommand("bash", "The bash completion script (commands and their options)")->callback([&app] {
    std::cout << bash_completion(app);
  });
}

}  // namespace hearth::app
