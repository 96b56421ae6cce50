#include "apps/couch_commands.hpp"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/http_client.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

struct couch_args {
  std::string node = "http://127.0.0.1:3000";
  std::string token, token_file, data_dir = "hearth-data";
  std::string id, status, created_by, label, name, public_key;
  double expires_in_hours = 24, cpu_cores = 1;
  std::uint64_t memory_mb = 1024, disk_gb = 5, egress_gb = 1, duration_hours = 24, token_budget = 0;
  bool internet = false, sub_agents = false, host_services = false;
};

// --host-token, else the file named, else the one `hearth serve` writes in its data dir.
std::string host_token(const couch_args& a) {
  if (!a.token.empty()) return a.token;
  std::ifstream in(a.token_file.empty() ? a.data_dir + "/couch-host.token" : a.token_file);
  std::string t;
  std::getline(in, t);
  return t;
}

// Sends, prints the JSON answer (pretty) and returns 0, or the error and 1.
int exchange(const couch_args& a, const std::string& method, const std::string& path, const json& body, bool host) {
  std::string base = a.node;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client::client_request req{method, base + path, {}, body.is_null() ? "" : body.dump(), std::chrono::seconds(30), nullptr};
  if (!body.is_null()) req.headers.emplace_back("Content-Type", "application/json");
  if (host) req.headers.emplace_back("Authorization", "Bearer " + host_token(a));
  auto res = client::send_request(req);
  if (!res) {
    std::cerr << "hearth: " << res.error().message << " [" << res.error().code << "]\n";
    return 1;
  }
  auto j = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    if (j.is_object() && j.contains("error"))
      std::cerr << "hearth: " << j["error"].value("message", "") << " [" << j["error"].value("code", "") << "]\n";
    else std::cerr << "hearth: the node answered " << res->status << "\n";
    return 1;
  }
  std::cout << (j.is_discarded() ? res->body : j.dump(2)) << "\n";
  return 0;
}

void add_target(CLI::App* cmd, couch_args& a, bool host) {
  cmd->add_option("--node", a.node, "Node URL")->envname("HEARTH_NODE")->capture_default_str();
  if (host) {
    cmd->add_option("--host-token", a.token, "The couch host token")->envname("HEARTH_HOST_TOKEN");
    cmd->add_option("--host-token-file", a.token_file, "File holding it (default: DATA_DIR/couch-host.token)");
    cmd->add_option("--data-dir", a.data_dir, "The node's data dir, where it keeps the host token")
        ->envname("HEARTH_DATA_DIR")
        ->capture_default_str();
  }
}

}  // namespace

void add_couch_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<couch_args>();
  auto* invite = app.add_subcommand("invite", "Couch invites (host)")->require_subcommand(1);
  auto* create = invite->add_subcommand("create", "Create a single-use invite; prints its code once");
  add_target(create, *a, true);
  create->add_option("--created-by", a->created_by, "Who creates it");
  create->add_option("--label", a->label, "A label");
  create->add_option("--expires-in-hours", a->expires_in_hours, "Validity of the code")->capture_default_str();
  create->add_option("--cpu-cores", a->cpu_cores, "maxCpuCores")->capture_default_str();
  create->add_option("--memory-mb", a->memory_mb, "maxMemoryMB")->capture_default_str();
  create->add_option("--disk-gb", a->disk_gb, "maxDiskGB")->capture_default_str();
  create->add_option("--egress-gb", a->egress_gb, "maxNetworkEgressGB")->capture_default_str();
  create->add_option("--duration-hours", a->duration_hours, "maxDurationHours of the guest")->capture_default_str();
  create->add_option("--token-budget", a->token_budget, "maxTokenBudget (0: none)")->capture_default_str();
  create->add_flag("--internet", a->internet, "canAccessInternet");
  create->add_flag("--sub-agents", a->sub_agents, "canSpawnSubAgents");
  create->add_flag("--host-services", a->host_services, "canAccessHostServices");
  create->callback([a, &exit_code] {
    json body = {{"createdBy", a->created_by},
                 {"label", a->label},
                 {"expiresInHours", a->expires_in_hours},
                 {"resourceLimits",
                  {{"maxCpuCores", a->cpu_cores},
                   {"maxMemoryMB", a->memory_mb},
                   {"maxDiskGB", a->disk_gb},
                   {"maxNetworkEgressGB", a->egress_gb},
                   {"maxDurationHours", a->duration_hours},
                   {"maxTokenBudget", a->token_budget}}},
                 {"permissions",
                  {{"canAccessInternet", a->internet},
                   {"canSpawnSubAgents", a->sub_agents},
                   {"canAccessHostServices", a->host_services}}}};
    exit_code = exchange(*a, "POST", "/couch/invites", body, true);
  });
  auto* ls = invite->add_subcommand("list", "List invites");
  add_target(ls, *a, true);
  ls->add_option("--status", a->status, "active, redeemed, revoked or expired");
  ls->callback([a, &exit_code] {
    exit_code = exchange(*a, "GET", "/couch/invites" + (a->status.empty() ? "" : "?status=" + a->status), nullptr, true);
  });
  auto* revoke = invite->add_subcommand("revoke", "Revoke an active invite");
  add_target(revoke, *a, true);
  revoke->add_option("id", a->id, "Invite id")->required();
  revoke->callback([a, &exit_code] { exit_code = exchange(*a, "DELETE", "/couch/invites/" + a->id, nullptr, true); });

  auto* guest = app.add_subcommand("guest", "Couch guests (host)")->require_subcommand(1);
  auto* gls = guest->add_subcommand("list", "List guests");
  add_target(gls, *a, true);
  gls->callback([a, &exit_code] { exit_code = exchange(*a, "GET", "/couch/guests", nullptr, true); });
  auto* gst = guest->add_subcommand("status", "A guest's usage against its limits");
  add_target(gst, *a, true);
  gst->add_option("id", a->id, "Guest id")->required();
  gst->callback([a, &exit_code] { exit_code = exchange(*a, "GET", "/couch/guests/" + a->id + "/status", nullptr, true); });
  auto* kill = guest->add_subcommand("kill", "The kill switch: revoke the guest and stop its environment");
  add_target(kill, *a, true);
  kill->add_option("id", a->id, "Guest id")->required();
  kill->callback([a, &exit_code] { exit_code = exchange(*a, "DELETE", "/couch/guests/" + a->id, nullptr, true); });

  auto* redeem = app.add_subcommand("redeem", "Redeem a couch invite code (guest side); prints the guest token");
  add_target(redeem, *a, false);
  redeem->add_option("code", a->id, "The invite code")->required();
  redeem->add_option("--name", a->name, "Your name")->required();
  redeem->add_option("--public-key", a->public_key, "An SSH public key");
  redeem->callback([a, &exit_code] {
    json body = {{"code", a->id}, {"name", a->name}};
    if (!a->public_key.empty()) body["publicKey"] = a->public_key;
    exit_code = exchange(*a, "POST", "/couch/redeem", body, false);
  });
}

}  // namespace hearth::app
