// The Debian package as an operator installs it: built by CPack (make
// package), installed on this machine with dpkg (when it is root and has no
// hearth package of its own), its unit checked by systemd-analyze verify,
// the service's own command line run and stopped as systemd would stop it,
// then purged, leaving no user, data or config behind.
#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/skip.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;

namespace {

std::string built_package(const temp_dir& dir) {
  auto r = run({"cpack", "-G", "DEB", "-B", dir.path(), "--config", HEARTH_BUILD_DIR "/CPackConfig.cmake"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  std::string deb = dir.path() + "/hearth_" HEARTH_VERSION "_" + run({"dpkg", "--print-architecture"}).out;
  deb.pop_back();  // the newline
  return deb + ".deb";
}

// Purges the package however the test ends.
struct installed {
  ~installed() { run({"dpkg", "--purge", "hearth"}); }
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

TEST_CASE("make package builds a Debian package that installs a service, and purges clean", "[package]") {
  temp_dir dir;
  std::string deb = built_package(dir);
  auto contents = run({"dpkg-deb", "-c", deb});
  REQUIRE(contents.status == 0);
  for (const char* file : {"./usr/bin/hearth", "./usr/lib/systemd/system/hearth.service", "./usr/share/hearth/hearth.toml",
                           "./usr/share/bash-completion/completions/hearth", "./usr/share/doc/hearth/README.md"})
    CHECK(contents.out.find(file) != std::string::npos);
  auto depends = run({"dpkg-deb", "-f", deb, "Depends"}).out;
  CHECK(depends.find("slirp4netns") != std::string::npos);
  CHECK(depends.find("libcaf-core") != std::string::npos);  // from dpkg-shlibdeps
  std::string root = dir.file("root");
  REQUIRE(run({"dpkg-deb", "-x", deb, root}).status == 0);
  CHECK(run({root + "/usr/bin/hearth", "--version"}).out == "hearth " HEARTH_VERSION "\n");

  if (::geteuid() != 0) HEARTH_SKIP("installing the package needs root");
  if (run({"sh", "-c", "dpkg-query -W -f='${Status}' hearth 2>/dev/null | grep -q 'install ok'"}).status == 0)
    HEARTH_SKIP("this machine has a hearth package installed: the test leaves it alone");
  if (run({"sh", "-c", "command -v systemd-analyze"}).status != 0) HEARTH_SKIP("no systemd-analyze here");
  installed guard;
  auto install = run({"dpkg", "-i", deb});
  INFO(install.out << install.err);
  REQUIRE(install.status == 0);
  CHECK(run({"/usr/bin/hearth", "--version"}).out == "hearth " HEARTH_VERSION "\n");
  CHECK(run({"id", "-u", "hearth"}).status == 0);
  CHECK(run({"stat", "-c", "%a %U", "/var/lib/hearth"}).out == "700 root\n");
  CHECK(run({"test", "-f", "/etc/hearth/hearth.toml"}).status == 0);
  auto verify = run({"systemd-analyze", "verify", "hearth.service"});
  INFO(verify.out << verify.err);
  CHECK(verify.status == 0);
  CHECK(verify.err.empty());

  // The unit's own command line starts the node on the installed config; its
  // stop signal (SIGTERM) stops it cleanly (exit 0).
  std::ifstream unit("/usr/lib/systemd/system/hearth.service");
  std::string line, exec, kill_signal;
  while (std::getline(unit, line)) {
    if (line.rfind("ExecStart=", 0) == 0) exec = line.substr(10);
    if (line.rfind("KillSignal=", 0) == 0) kill_signal = line.substr(11);
  }
  CHECK(kill_signal == "SIGTERM");
  auto argv = words(exec);
  REQUIRE(argv.size() > 2);
  CHECK(argv[0] == "/usr/bin/hearth");
  argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  child_process node(argv);
  auto serving = node.wait_for_line("hearth serving", 30s);
  INFO(node.output());
  REQUIRE(serving);
  CHECK(serving->find("data_dir=/var/lib/hearth") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait_exit(30s) == 0);
  CHECK(run({"test", "-f", "/var/lib/hearth/node.key"}).status == 0);

  REQUIRE(run({"dpkg", "--purge", "hearth"}).status == 0);
  CHECK(run({"id", "-u", "hearth"}).status != 0);
  CHECK(run({"test", "-e", "/var/lib/hearth"}).status != 0);
  CHECK(run({"test", "-e", "/etc/hearth"}).status != 0);
  CHECK(run({"test", "-e", "/usr/bin/hearth"}).status != 0);
}
