// Test support: the real `hearth serve` on a free loopback port, and offers
// uploaded to it with the real `hearth offer`. Header-only (uses Catch2).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <regex>

#include "support/process.hpp"
#include "support/raw_http.hpp"

namespace hearth::test {

using namespace std::chrono_literals;
using nlohmann::json;

inline const std::string hearth_bin = HEARTH_BIN;

struct node {
  std::unique_ptr<child_process> proc;
  std::uint16_t port = 0;
  std::string data_dir;

  explicit node(const std::string& data_dir, std::vector<std::string> extra = {}, const std::string& bin = hearth_bin) {
    this->data_dir = data_dir;
    std::vector<std::string> argv{bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<child_process>(argv);
    auto line = proc->wait_for_line("hearth serving", 30s);
    INFO(proc->output());
    REQUIRE(line);
    std::smatch m;
    REQUIRE(std::regex_search(*line, m, std::regex(R"(url=http://127\.0\.0\.1:(\d+))")));
    port = static_cast<std::uint16_t>(std::stoi(m[1]));
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }

  // The owner's credential (the host token the node generated) as a header line.
  std::string host_token() const {
    std::string token;
    std::getline(std::ifstream(data_dir + "/couch-host.token"), token);
    return token;
  }
  std::string owner_header() const { return "Authorization: Bearer " + host_token(); }

  json health() const {
    auto r = run({"curl", "-sS", "--max-time", "10", "-H", "Accept: application/json", url("/health")});
    REQUIRE(r.status == 0);
    return json::parse(r.out);
  }

  int stop(int sig) {
    proc->signal(sig);
    auto status = proc->wait_exit(30s);
    INFO(proc->output());
    REQUIRE(status);
    if (*status != 0) WARN("the node exited " << *status << "; its output:\n" << proc->output());
    return *status;
  }
};


// One request on a fresh connection, its response within 60 s (required).
// A loopback port free now (for a node that must come back on the same one).
inline std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Whether marketplace jobs (sshd in a user-namespace sandbox) can run here; why not.
inline bool can_run_jobs(std::string& why) {
  if (::geteuid() != 0) return why = "job environments need root here (user namespaces with a mapped uid)", false;
  if (::access("/usr/sbin/sshd", X_OK) != 0) return why = "no /usr/sbin/sshd (scripts/install-deps.sh installs it)", false;
  if (::access("/usr/bin/ssh", X_OK) != 0) return why = "no OpenSSH client", false;
  return true;
}

inline response request(const node& n, const std::string& method, const std::string& path, const std::string& body = "",
                        const std::vector<std::string>& headers = {}) {
  raw_connection c(n.port);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  c.send(req + "\r\n" + body);
  auto r = c.read_response(60s);
  INFO(method << " " << path << " on port " << n.port);
  REQUIRE(r);
  return *r;
}

inline std::string write_script(const temp_dir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
  return path;
}

inline std::string offer_script(const node& n, const std::string& key, const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{hearth_bin, "offer", "--exe", path, "--cgi", "--key", key, "--upload", n.url("")};
  bool priced = std::find(extra.begin(), extra.end(), "--price") != extra.end() ||
                std::find(extra.begin(), extra.end(), "--price-per-second") != extra.end();
  if (!priced) extra.insert(extra.end(), {"--price", "0"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = run(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}


}  // namespace hearth::test
