#include "apps/offer_command.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "apps/node_settings.hpp"
#include "client/http_client.hpp"
#include "client/offer_builder.hpp"
#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"

namespace hearth::app {
namespace {

// Progress of a large upload on stderr: one updating line on a terminal,
// a line per tenth otherwise (logs, CI).
std::function<void(std::uint64_t, std::uint64_t)> upload_progress(bool terminal) {
  auto last_tenth = std::make_shared<int>(-1);
  return [terminal, last_tenth](std::uint64_t sent, std::uint64_t total) {
    if (total == 0) return;
    int tenth = static_cast<int>(sent * 10 / total);
    if (!terminal && tenth == *last_tenth) return;
    *last_tenth = tenth;
    char line[96];
    std::snprintf(line, sizeof line, "  %.1f / %.1f MiB (%d%%)", static_cast<double>(sent) / (1 << 20),
                  static_cast<double>(total) / (1 << 20), static_cast<int>(sent * 100 / total));
    std::cerr << (terminal ? "\r" : "") << line << (terminal && sent < total ? "" : "\n") << std::flush;
  };
}


struct offer_args {
  client::offer_draft draft;
  std::string key, upload;
  std::uint32_t replicas = 1;
  bool cgi = false, mcp = false, batch = false, json = false;
};

int report(error_code code, const std::string& message) {
  std::cerr << "hearth: " << message << " [" << code << "]\n";
  return 1;
}

// The cluster members (as the first node sees them) an offer is
// replicated to besides the nodes given (the first among them): up, ranked
// by sha256(hash, name) so one offer's replicas spread over the cluster.
result<std::vector<std::string>> replica_nodes(const std::string& first, const std::string& hash,
                                               const std::vector<std::string>& given, std::size_t wanted) {
  auto res = client::send_request({"GET", first + "/cluster", {}, {}, std::chrono::seconds(10), nullptr});
  if (!res) return res.error();
  auto view = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || !view.is_object()) return fail(client_errc::http_error, first + "/cluster answered " + std::to_string(res->status));
  if (!view.value("clustered", false)) return fail(config_errc::bad_option, "--replicas: " + first + " is not in a cluster");
  std::vector<std::pair<crypto::hash256, std::string>> ranked;
  for (const auto& m : view["members"]) {
    std::string url = m.value("http_url", ""), state = m.value("state", "");
    if (url.empty() || state != "up" || std::find(given.begin(), given.end(), url) != given.end()) continue;
    ranked.emplace_back(crypto::sha256(hash + '\n' + m.value("name", "")), url);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  if (ranked.size() < wanted)
    return fail(config_errc::bad_option, "--replicas " + std::to_string(given.size() + wanted) + ": the cluster has " +
                                             std::to_string(given.size() + ranked.size()) + " members up");
  std::vector<std::string> picked;
  for (std::size_t i = 0; i < wanted; ++i) picked.push_back(ranked[i].second);
  return picked;
}

int run_offer(const offer_args& a) {
  auto key = crypto::private_key::load(a.key);
  if (!key) return report(key.error().code, key.error().message);
  auto built = client::build_offer(a.draft, *key);
  if (!built) return report(built.error().code, built.error().message);
  if (a.upload.empty() && (!built->private_env.empty() || !built->private_stdin.empty()))
    return report(config_errc::bad_option, "--env-private/--stdin-private values go to the nodes with the offer: give --upload");
  if (a.upload.empty()) {
    std::cout << nlohmann::json{{"hash", built->hash},
                                {"canonical", crypto::base64_encode(built->canonical)},
                                {"signature", built->signature}}.dump(2)
              << "\n";
    return 0;
  }
  // Each node in turn; one that refuses does not stop the others.
  auto nodes = split_list(a.upload);
  if (a.replicas > nodes.size()) {
    auto more = replica_nodes(nodes.front(), built->hash, nodes, a.replicas - nodes.size());
    if (!more) return report(more.error().code, more.error().message);
    nodes.insert(nodes.end(), more->begin(), more->end());
  }
  int rc = 0;
  bool hash_printed = false;
  for (const auto& node : nodes) {
    if (nodes.size() > 1) std::cerr << "uploading to " << node << "\n";
    auto answer = client::upload_offer(node, *built, upload_progress(isatty(STDERR_FILENO) == 1));
    if (!answer) {
      rc = report(answer.error().code, node + ": " + answer.error().message);
      continue;
    }
    std::string base = node;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (a.json) {
      std::cout << *answer;
      continue;
    }
    if (!hash_printed) std::cout << built->hash << "\n";
    hash_printed = true;
    if (built->body.mode == offer_mode::cgi) std::cout << base << "/" << built->hash << ".cgi/\n";
    if (built->body.mode == offer_mode::mcp) std::cout << "tool " << built->body.name << " at " << base << "/mcp\n";
  }
  return rc;
}

}  // namespace

void add_offer_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<offer_args>();
  auto* cmd = app.add_subcommand("offer", "Sign an offer of an executable and upload it to a node");
  cmd->add_option("--exe", a->draft.exes, "The executable: [ARCH:]PATH (ELF, or a #! script), or "
                                          "ARCH:https://URL#SHA256 the node fetches; repeat once per architecture")
      ->required();
  auto* cgi = cmd->add_flag("--cgi", a->cgi, "Run it CGI-style for HTTP requests at /{hash}.cgi/*");
  auto* mcp = cmd->add_flag("--mcp", a->mcp, "An MCP tool");
  auto* batch = cmd->add_flag("--batch", a->batch, "A batch program for `hearth run`");
  cgi->excludes(mcp)->excludes(batch);
  mcp->excludes(batch);
  auto* price = cmd->add_option("-P,--price", a->draft.price,
                                "USDC per call (0 for a free offer), or JSON {\"token\",\"network\",\"amount\"[,\"payTo\"]} "
                                "entries (repeatable), one x402 requirement each");
  auto* pps = cmd->add_option("--price-per-second", a->draft.price_per_second,
                              "USDC per second of wall time, or JSON entries as for --price");
  price->excludes(pps);
  cmd->add_flag("--testnet", a->draft.testnet, "Price on test networks (base-sepolia): a decimal --price and entries "
                                               "without \"network\" become one option per test network");
  cmd->add_option("--ram-mb", a->draft.limits.ram_mb, "Memory limit, MB")->capture_default_str();
  cmd->add_option("--cpu-secs", a->draft.limits.cpu_secs, "CPU limit, seconds")->capture_default_str();
  cmd->add_option("--wall-secs", a->draft.limits.wall_secs, "Wall-clock limit, seconds")->capture_default_str();
  cmd->add_option("--max-output", a->draft.limits.max_output_bytes, "Largest output, bytes")->capture_default_str();
  cmd->add_flag("--network", a->draft.limits.network, "Allow network access");
  cmd->add_option("--tcp-bind", a->draft.tcp_bind, "With --network: the only TCP ports a run may bind, PORT[,PORT]");
  cmd->add_option("--tcp-connect", a->draft.tcp_connect, "With --network: the only TCP ports a run may connect to, PORT[,PORT]");
  cmd->add_option("--cpu-units", a->draft.limits.cpu_units, "CPU reserved per run, thousandths of a core "
                                                            "(default 1000: one core's bandwidth)")
      ->check(CLI::Range(1u, 100000000u));
  cmd->add_option("--pool", a->draft.pool, "The node's free-tier pool: calls are free while it has room");
  cmd->add_flag("--deterministic", a->draft.deterministic, "Identical requests may be answered from the stored result");
  cmd->add_option("--pay-to", a->draft.pay_to, "Address payments go to (default: the key's)");
  cmd->add_option("--name", a->draft.name, "Name shown in listings");
  cmd->add_option("--description", a->draft.description, "Description shown in listings");
  cmd->add_option("--arg", a->draft.args, "A fixed leading argument (repeatable)");
  cmd->add_flag("--args-extendable", a->draft.args_extendable, "Callers may add arguments after the fixed ones");
  cmd->add_option("--env", a->draft.env, "NAME=VALUE set in every run (repeatable)");
  cmd->add_flag("--env-extendable", a->draft.env_extendable, "Callers may add variables or override --env's");
  cmd->add_option("--stdin", a->draft.stdin_text, "Bytes written to stdin before the caller's: TEXT or @FILE");
  cmd->add_flag("--stdin-appendable", a->draft.stdin_appendable, "Callers may send stdin (a body) after --stdin's");
  cmd->add_option("--env-private", a->draft.env_private, "NAME=VALUE kept secret: only its (salted) sha256 is in the "
                                                         "offer; the value goes to each --upload node, sealed there");
  cmd->add_option("--stdin-private", a->draft.stdin_private, "Secret bytes written to stdin first: TEXT or @FILE, "
                                                             "kept like --env-private");
  cmd->add_option("--expires-in-hours", a->draft.expires_in_hours, "Validity (default: no expiry)");
  cmd->add_option("--valid-for", a->draft.valid_for, "Validity as a duration: 90d, 12h, 30m, 45s (default: no expiry)");
  cmd->add_option("--min-duration", a->draft.min_duration, "Per-second offers: the shortest run a buyer may pay for "
                                                         "(seconds or 1m, 1h; default 1 s with --max-duration)");
  cmd->add_option("--max-duration", a->draft.max_duration, "Per-second offers: the longest (default: --wall-secs); "
                                                         "a buyer picks with X-Hearth-Duration, hearth curl/run --duration");
  cmd->add_option("--retain", a->draft.retain, "How long the node keeps a task's output at most: seconds or 1h, 7d "
                                               "(default: the node's retention)");
  cmd->add_option("--key", a->key, "Owner key: 0xHEX or @FILE")->envname("HEARTH_KEY")->required();
  cmd->add_option("--upload", a->upload, "Node URL, e.g. http://127.0.0.1:3000, or several, comma-separated "
                                         "(without: print the signed offer)");
  cmd->add_option("--replicas", a->replicas, "Nodes to hold the offer: the --upload nodes, then members of the first "
                                             "one's cluster that are up, so calls keep being served when one dies")
      ->check(CLI::Range(1u, 64u));
  cmd->add_flag("--json", a->json, "Print the node's JSON answer");
  cmd->callback([a, cmd, &exit_code] {
    if (!a->cgi && !a->mcp && !a->batch) {
      exit_code = report(config_errc::mode_missing, "choose --cgi, --mcp or --batch");
      return;
    }
    if (cmd->count("--price") == 0 && cmd->count("--price-per-second") == 0) {
      exit_code = report(config_errc::price_missing, "give --price (per call; 0 for free) or --price-per-second");
      return;
    }
    for (const char* flag : {"--ram-mb", "--cpu-secs", "--wall-secs", "--network"})
      if (cmd->count(flag) > 0) a->draft.explicit_limits.insert(flag);
    a->draft.mode = a->mcp ? offer_mode::mcp : a->batch ? offer_mode::batch : offer_mode::cgi;
    exit_code = run_offer(*a);
  });
}

}  // namespace hearth::app
