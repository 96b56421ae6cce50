#include "apps/job_commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/http_client.hpp"
#include "client/websocket_client.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct job_args {
  std::string hub = "http://127.0.0.1:3000", host_token, jobs_dir, ssh_key, image, memory, duration = "10m", state;
  double cpus = 0;
  bool relay = false;
  std::string id;
  std::vector<std::string> ssh_args;
};

std::string default_jobs_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.hearth/jobs";
}

std::string jobs_dir(const job_args& a) { return a.jobs_dir.empty() ? default_jobs_dir() : a.jobs_dir; }

int say_error(const std::string& message, const std::string& code) {
  std::cerr << "hearth: " << message << " [" << code << "]\n";
  return 1;
}

// "90", "90s", "10m", "2h", "1d" -> seconds; 0 when malformed.
std::uint64_t parse_duration(const std::string& text) {
  if (text.empty()) return 0;
  std::string digits = text;
  std::uint64_t scale = 1;
  switch (text.back()) {
    case 's': scale = 1; digits.pop_back(); break;
    case 'm': scale = 60; digits.pop_back(); break;
    case 'h': scale = 3600; digits.pop_back(); break;
    case 'd': scale = 86400; digits.pop_back(); break;
    default: break;
  }
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits) * scale;
}

struct saved_job {
  std::string hub, token;
};

std::optional<saved_job> load_saved(const job_args& a, const std::string& id) {
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  std::ifstream in(jobs_dir(a) + "/" + id + ".json");
  auto j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return saved_job{j.value("hub", ""), j.value("job_token", "")};
}

bool save(const job_args& a, const json& job) {
  std::error_code ec;
  fs::create_directories(jobs_dir(a), ec);
  ::chmod(jobs_dir(a).c_str(), 0700);
  std::string path = jobs_dir(a) + "/" + job.value("job_id", "") + ".json";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  json keep = {{"hub", a.hub}, {"job_id", job["job_id"]}, {"job_token", job["job_token"]}};
  std::string text = keep.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// One request to the hub; the parsed answer, or nullopt after saying what went wrong.
std::optional<json> exchange(const std::string& hub, const std::string& method, const std::string& path,
                             const json& body, const std::string& bearer) {
  std::string base = hub;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client::client_request req{method, base + path, {}, body.is_null() ? "" : body.dump(), std::chrono::seconds(60), nullptr};
  if (!body.is_null()) req.headers.emplace_back("Content-Type", "application/json");
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  auto res = client::send_request(req);
  if (!res) {
    say_error(res.error().message, std::string(code_name(res.error().code)));
    return std::nullopt;
  }
  auto j = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    if (j.is_object() && j.contains("error"))
      say_error(j["error"].value("message", ""), j["error"].value("code", ""));
    else say_error("the hub answered " + std::to_string(res->status), "bad_answer");
    return std::nullopt;
  }
  if (j.is_discarded()) {
    say_error("the hub's answer is not JSON", "bad_answer");
    return std::nullopt;
  }
  return j;
}

// The job's hub and credential: the saved token, else the host token.
std::pair<std::string, std::string> credentials(const job_args& a) {
  auto saved = load_saved(a, a.id);
  if (!a.host_token.empty()) return {saved && !saved->hub.empty() ? saved->hub : a.hub, a.host_token};
  if (saved) return {saved->hub.empty() ? a.hub : saved->hub, saved->token};
  return {a.hub, ""};
}

int submit(const job_args& a) {
  std::string key_path = a.ssh_key;
  if (key_path.empty()) {
    const char* home = std::getenv("HOME");
    key_path = std::string(home ? home : ".") + "/.ssh/id_ed25519.pub";
  }
  std::ifstream in(key_path);
  std::string key;
  std::getline(in, key);
  if (key.empty()) return say_error("cannot read the public key " + key_path + " (--ssh-key)", "bad_ssh_key");
  json body = {{"ssh_pubkey", key}};
  if (!a.image.empty()) body["preferred_image"] = a.image;
  if (a.cpus > 0) body["cpus"] = a.cpus;
  if (!a.memory.empty()) body["mem_limit"] = a.memory;
  std::uint64_t secs = parse_duration(a.duration);
  if (secs == 0) return say_error("--duration is like 600, 10m, 2h", "bad_job_limit");
  body["duration_secs"] = secs;
  auto j = exchange(a.hub, "POST", "/jobs/submit", body, a.host_token);
  if (!j) return 1;
  if (!save(a, *j)) std::cerr << "hearth: the job's token could not be saved in " << jobs_dir(a) << "\n";
  std::cout << j->dump(2) << "\n";
  return 0;
}

int single(const job_args& a, const std::string& method, const std::string& suffix, const json& body) {
  auto [hub, bearer] = credentials(a);
  if (bearer.empty()) return say_error("no token for job " + a.id + " in " + jobs_dir(a) + " (or --host-token)", "unauthorized");
  auto j = exchange(hub, method, "/jobs/" + a.id + suffix, body, bearer);
  if (!j) return 1;
  std::cout << j->dump(2) << "\n";
  return 0;
}

int list(const job_args& a) {
  if (!a.host_token.empty()) {
    auto j = exchange(a.hub, "GET", "/jobs" + (a.state.empty() ? std::string() : "?state=" + a.state), nullptr, a.host_token);
    if (!j) return 1;
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  json out = json::array();  // the jobs this user submitted from here
  std::error_code ec;
  for (fs::directory_iterator it(jobs_dir(a), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    job_args one = a;
    one.id = it->path().stem().string();
    auto [hub, bearer] = credentials(one);
    auto j = exchange(hub, "GET", "/jobs/" + one.id, nullptr, bearer);
    if (j && (a.state.empty() || j->value("state", "") == a.state)) out.push_back(*j);
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

// stdin/stdout <-> the hub's relay WebSocket for the job: ssh's ProxyCommand.
int relay(const job_args& a) {
  auto [hub, bearer] = credentials(a);
  if (bearer.empty()) return say_error("no token for job " + a.id + " in " + jobs_dir(a) + " (or --host-token)", "unauthorized");
  std::string base = hub;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto ws = client::websocket_client::connect(base + "/jobs/" + a.id + "/ssh", {{"Authorization", "Bearer " + bearer}},
                                              std::chrono::seconds(15));
  if (!ws) return say_error(ws.error().message, std::string(code_name(ws.error().code)));
  std::shared_ptr<client::websocket_client> link = std::move(*ws);
  std::thread up([link] {
    char buf[32 * 1024];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      link->send(std::string(buf, static_cast<std::size_t>(n)), true);
    }
    link->close();
  });
  for (;;) {
    auto m = link->receive(std::chrono::seconds(1));
    if (!m) {
      if (link->closed()) break;
      continue;
    }
    if (!m->binary) continue;
    std::string_view out = m->data;
    while (!out.empty()) {
      ssize_t n = ::write(1, out.data(), out.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        out = {};
        link->close();
        break;
      }
      out.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  ::close(1);
  up.detach();  // it ends with stdin, which ssh closes
  return 0;
}

int ssh(const job_args& a) {
  auto [hub, bearer] = credentials(a);
  if (bearer.empty()) return say_error("no token for job " + a.id + " in " + jobs_dir(a) + " (or --host-token)", "unauthorized");
  auto j = exchange(hub, "GET", "/jobs/" + a.id, nullptr, bearer);
  if (!j) return 1;
  if (j->value("state", "") != "running")
    return say_error("job " + a.id + " is " + j->value("state", "") + ": " + j->value("reason", ""), "job_over");
  std::string known = jobs_dir(a) + "/" + a.id + ".known_hosts";
  std::error_code ec;
  fs::create_directories(jobs_dir(a), ec);
  std::ofstream(known, std::ios::trunc) << (*j)["ssh_host_key"].get<std::string>() << "\n";
  std::vector<std::string> argv = {"ssh", "-o", "UserKnownHostsFile=" + known, "-o", "StrictHostKeyChecking=yes",
                                   "-p", std::to_string((*j)["ssh_port"].get<unsigned>())};
  if (a.relay) {  // through the hub, for a seller this machine cannot reach
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return say_error("cannot find this program for the relay", "relay_failed");
    std::string proxy = std::string(self, static_cast<std::size_t>(n)) + " job relay " + a.id + " --hub " + hub +
                        " --jobs-dir " + jobs_dir(a) + (a.host_token.empty() ? "" : " --host-token " + a.host_token);
    argv.insert(argv.begin() + 1, {"-o", "ProxyCommand=" + proxy});
  }
  argv.insert(argv.end(), a.ssh_args.begin(), a.ssh_args.end());
  // Options first, then the destination; anything after "--" beyond options is the remote command.
  std::string dest = (*j)["ssh_user"].get<std::string>() + "@" + (*j)["seller_ip"].get<std::string>();
  std::vector<std::string> full = {argv[0]};
  std::size_t i = 1;
  for (; i < argv.size() && !argv[i].empty() && argv[i][0] == '-'; ++i) {
    full.push_back(argv[i]);
    bool takes_value = argv[i].size() == 2 && std::string("bcDEeFIiJLlmOoPpQRSWw").find(argv[i][1]) != std::string::npos;
    if (takes_value && i + 1 < argv.size()) full.push_back(argv[++i]);
  }
  full.push_back(dest);
  for (; i < argv.size(); ++i) full.push_back(argv[i]);
  std::vector<char*> c;
  for (auto& s : full) c.push_back(s.data());
  c.push_back(nullptr);
  ::execvp("ssh", c.data());
  return say_error("cannot run ssh: " + std::string(std::strerror(errno)), "ssh_missing");
}

}  // namespace

void add_job_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<job_args>();
  auto* job = app.add_subcommand("job", "Marketplace jobs (a buyer): submit, list, status, cancel, extend, ssh")
                  ->require_subcommand(1);
  auto common = [a](CLI::App* c) {
    c->add_option("--hub", a->hub, "The hub's base URL")->envname("HEARTH_HUB")->capture_default_str();
    c->add_option("--host-token", a->host_token, "The hub's host token (sees every job)")->envname("HEARTH_HOST_TOKEN");
    c->add_option("--jobs-dir", a->jobs_dir, "Where job tokens are kept (default ~/.hearth/jobs)");
  };
  auto* submit_cmd = job->add_subcommand("submit", "Submit a job; prints job_id, seller_ip, ssh_port, ssh_user");
  common(submit_cmd);
  submit_cmd->add_option("--ssh-key", a->ssh_key, "Your public key (default ~/.ssh/id_ed25519.pub)");
  submit_cmd->add_option("--image", a->image, "preferred_image (default: host)");
  submit_cmd->add_option("--cpus", a->cpus, "CPU cores (default 1)");
  submit_cmd->add_option("--memory", a->memory, "mem_limit, like 512m (default 512m)");
  submit_cmd->add_option("--duration", a->duration, "How long: 600, 10m, 2h")->capture_default_str();
  submit_cmd->callback([a, &exit_code] { exit_code = submit(*a); });

  auto* list_cmd = job->add_subcommand("list", "Your jobs (with --host-token: every job of the hub)");
  common(list_cmd);
  list_cmd->add_option("--state", a->state, "Only jobs in this state");
  list_cmd->callback([a, &exit_code] { exit_code = list(*a); });

  auto* status_cmd = job->add_subcommand("status", "A job's state, access and history");
  common(status_cmd);
  status_cmd->add_option("id", a->id, "Job id")->required();
  status_cmd->callback([a, &exit_code] { exit_code = single(*a, "GET", "", nullptr); });

  auto* cancel_cmd = job->add_subcommand("cancel", "Destroy a job's environment now");
  common(cancel_cmd);
  cancel_cmd->add_option("id", a->id, "Job id")->required();
  cancel_cmd->callback([a, &exit_code] { exit_code = single(*a, "DELETE", "", nullptr); });

  auto* extend_cmd = job->add_subcommand("extend", "Give a running job more time");
  common(extend_cmd);
  extend_cmd->add_option("id", a->id, "Job id")->required();
  extend_cmd->add_option("--duration", a->duration, "How much more: 600, 10m, 2h")->capture_default_str();
  extend_cmd->callback([a, &exit_code] {
    std::uint64_t secs = parse_duration(a->duration);
    exit_code = secs ? single(*a, "POST", "/extend", json{{"duration_secs", secs}})
                     : say_error("--duration is like 600, 10m, 2h", "bad_job_limit");
  });

  auto* ssh_cmd = job->add_subcommand("ssh", "Log into a running job (ssh with its host key pinned): hearth job ssh ID [-- ssh args]");
  common(ssh_cmd);
  ssh_cmd->add_option("id", a->id, "Job id")->required();
  ssh_cmd->add_flag("--relay", a->relay, "Through the hub (GET /jobs/ID/ssh), for a seller this machine cannot reach");
  ssh_cmd->add_option("ssh_args", a->ssh_args, "Arguments for ssh (after --)");
  ssh_cmd->callback([a, &exit_code] { exit_code = ssh(*a); });

  auto* relay_cmd = job->add_subcommand("relay", "The job's SSH connection on stdin/stdout through the hub (ssh's ProxyCommand)");
  common(relay_cmd);
  relay_cmd->add_option("id", a->id, "Job id")->required();
  relay_cmd->callback([a, &exit_code] { exit_code = relay(*a); });
}

}  // namespace hearth::app
