#include "apps/task_commands.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/clock.hpp"
#include "client/http_client.hpp"
#include "net/owner_auth.hpp"
#include "net/task_routes.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

struct node_target {
  std::string url = "http://127.0.0.1:3000";
  bool json_out = false;
  // Who asks: a task's read token, or the owner (host token, or a signature by the owner key).
  std::string task_token, host_token, host_token_file = "hearth-data/couch-host.token", owner_key;
};

void add_target(CLI::App* cmd, node_target& t, bool reads_tasks = false) {
  cmd->add_option("--node", t.url, "Node URL")->envname("HEARTH_NODE")->capture_default_str();
  cmd->add_flag("--json", t.json_out, "Print JSON");
  if (!reads_tasks) return;
  cmd->add_option("--token", t.task_token, "The task's read token (X-Hearth-Task-Token of the call that ran it)")
      ->envname("HEARTH_TASK_TOKEN");
  cmd->add_option("--host-token", t.host_token, "The node's host token (the owner)")->envname("HEARTH_HOST_TOKEN");
  cmd->add_option("--host-token-file", t.host_token_file, "File holding it (when --host-token is not given)")
      ->capture_default_str();
  cmd->add_option("--key", t.owner_key, "Sign as the owner instead: the owner key (@FILE, or 0x hex in HEARTH_KEY)")
      ->envname("HEARTH_KEY");
}

std::string base_url(const node_target& t) {
  std::string base = t.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// The credentials a task read sends: the task token if given, else an
// owner signature (with --key), else the host token (given or from its file).
result<net::header_list> credentials(const node_target& t, const std::string& method, const std::string& path) {
  if (!t.task_token.empty()) return net::header_list{{net::task_token_header, t.task_token}};
  if (!t.owner_key.empty()) {
    auto key = crypto::private_key::load(t.owner_key);
    if (!key) return key.error();
    client::client_request health{"GET", base_url(t) + "/health", {{"Accept", "application/json"}}, "",
                               std::chrono::seconds(30), nullptr};
    auto res = client::send_request(health);
    if (!res) return res.error();
    auto j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("node") || !j["node"].contains("address"))
      return fail(client_errc::bad_answer, "the node's /health does not name its address");
    return net::header_list{
        {net::owner_signature_header, net::owner_signature_value(*key, j["node"]["address"], method, path, unix_secs())}};
  }
  std::string token = t.host_token;
  if (token.empty()) std::getline(std::ifstream(t.host_token_file), token);
  if (token.empty()) return net::header_list{};
  return net::header_list{{"Authorization", "Bearer " + token}};
}

// GET or POST; prints the node's error and returns 1 when the answer is not 2xx.
int fetch(const node_target& t, const std::string& method, const std::string& path, const std::string& body,
          std::string& out, bool reads_tasks = false, net::header_list* answer_headers = nullptr) {
  client::client_request req{method, base_url(t) + path, {}, body, std::chrono::seconds(3700), nullptr};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (reads_tasks) {
    auto creds = credentials(t, method, path);
    if (!creds) {
      std::cerr << "hearth: " << creds.error().message << " [" << creds.error().code << "]\n";
      return 1;
    }
    req.headers.insert(req.headers.end(), creds->begin(), creds->end());
  }
  auto res = client::send_request(req);
  if (!res) {
    std::cerr << "hearth: " << res.error().message << " [" << res.error().code << "]\n";
    return 1;
  }
  out = res->body;
  if (answer_headers) *answer_headers = res->headers;
  if (res->status >= 200 && res->status < 300) return 0;
  auto j = json::parse(res->body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object())
    std::cerr << "hearth: " << j["error"].value("message", "") << " [" << j["error"].value("code", "") << "]\n";
  else std::cerr << "hearth: the node answered " << res->status << "\n";
  return 1;
}

void print_task_line(const json& t) {
  std::cout << t.value("id", "") << "  " << t.value("state", "") << "  " << t.value("ending", "")
            << "  exit=" << t.value("exit_code", 0) << "  offer=" << t.value("offer", "").substr(0, 12) << "\n";
}

}  // namespace

void add_task_commands(CLI::App& app, int& exit_code) {
  auto* task = app.add_subcommand("task", "Inspect tasks on a node")->require_subcommand(1);
  auto t = std::make_shared<node_target>();
  auto id = std::make_shared<std::string>();

  auto* list = task->add_subcommand("list", "List tasks (the owner's: host token or --key)");
  add_target(list, *t, true);
  list->callback([t, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/tasks?limit=100", "", body, true)) != 0) return;
    if (t->json_out) return void(std::cout << body);
    json listing = json::parse(body);
    for (const auto& item : listing["tasks"]) print_task_line(item);
  });

  auto* status = task->add_subcommand("status", "A task's state, ending and usage");
  status->add_option("id", *id, "Task id")->required();
  add_target(status, *t, true);
  status->callback([t, id, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/tasks/" + *id, "", body, true)) != 0) return;
    if (t->json_out) return void(std::cout << body);
    std::cout << json::parse(body).dump(2) << "\n";
  });

  for (const char* stream : {"stdout", "stderr"}) {
    auto* cmd = task->add_subcommand(stream, std::string("A task's ") + stream);
    cmd->add_option("id", *id, "Task id")->required();
    add_target(cmd, *t, true);
    cmd->callback([t, id, stream, &exit_code] {
      std::string body;
      if ((exit_code = fetch(*t, "GET", "/tasks/" + *id + "/" + stream, "", body, true)) == 0) std::cout << body;
    });
  }

  auto* health = task->add_subcommand("health", "The node's health");
  add_target(health, *t);
  health->callback([t, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/health", "", body)) == 0) std::cout << body;
  });

  auto* run = app.add_subcommand("run", "Run a batch offer: arguments and stdin in, its output out");
  auto offer = std::make_shared<std::string>();
  auto args = std::make_shared<std::vector<std::string>>();
  auto r = std::make_shared<node_target>();
  run->add_option("offer", *offer, "Offer hash")->required();
  auto env = std::make_shared<std::vector<std::string>>();
  auto duration = std::make_shared<std::uint64_t>(0);
  run->add_option("--duration", *duration, "Seconds of a per-second offer's run to pay for, if it sells a choice")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{999999999}));
  run->add_option("args", *args, "Arguments for the program (after --), if the offer takes any");
  run->add_option("--env", *env, "NAME=VALUE for the program, if the offer takes any (repeatable)");
  add_target(run, *r);
  run->callback([r, offer, args, env, duration, &exit_code] {
    json req = {{"offer", *offer}, {"args", *args}};
    if (*duration) req["duration_secs"] = *duration;
    for (const auto& kv : *env) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "hearth: --env takes NAME=VALUE, not " << kv << "\n";
        return void(exit_code = 2);
      }
      req["env"][kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!::isatty(0)) req["stdin_base64"] = crypto::base64_encode(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    std::string body;
    net::header_list headers;
    int rc = fetch(*r, "POST", "/tasks", req.dump(), body, false, &headers);
    auto j = json::parse(body, nullptr, false);
    if (rc != 0 && !j.contains("id")) return void(exit_code = rc);
    std::string token(net::find_header(headers, net::task_token_header));
    if (!token.empty()) j["read_token"] = token;
    if (r->json_out) {
      std::cout << j.dump() << "\n";
    } else {
      std::cout << *crypto::base64_decode(j.value("stdout_base64", ""));
      std::cerr << *crypto::base64_decode(j.value("stderr_base64", ""));
      std::cerr << "task " << j.value("id", "") << " " << j.value("ending", "") << " exit=" << j.value("exit_code", 0)
                << (token.empty() ? "" : " token=" + token) << "\n";
    }
    exit_code = j.value("ending", "") == "exited" ? j.value("exit_code", 0) : 1;
  });
}

}  // namespace hearth::app
