// The hearth CLI's key, config, cluster certificate and sandbox commands,
// run as a user would.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/process.hpp"

using namespace hearth::test;
using nlohmann::json;

namespace {
const std::string hearth_bin = HEARTH_BIN;
const std::string hardhat0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

std::string line(const run_result& r) { return r.out.substr(0, r.out.find('\n')); }
}  // namespace

TEST_CASE("key generate writes a 0600 file and refuses to overwrite it", "[cli][key]") {
  temp_dir dir;
  auto path = dir.file("k.key");
  auto gen = run({hearth_bin, "key", "generate", "-o", path});
  REQUIRE(gen.status == 0);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto addr = run({hearth_bin, "key", "address", "--key", "@" + path});
  CHECK(line(addr) == line(gen));
  CHECK(line(gen).size() == 42);

  auto again = run({hearth_bin, "key", "generate", "-o", path});
  CHECK(again.status == 1);
  CHECK(again.err.find("refusing to overwrite") != std::string::npos);
  CHECK(line(run({hearth_bin, "key", "address", "--key", "@" + path})) == line(gen));
}

TEST_CASE("key address of the well-known hardhat key", "[cli][key]") {
  auto r = run({hearth_bin, "key", "address", "--key", hardhat0});
  CHECK(r.status == 0);
  CHECK(line(r) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  auto env = run({hearth_bin, "key", "address"}, {"HEARTH_KEY=" + hardhat0});
  CHECK(line(env) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  auto bad = run({hearth_bin, "key", "address", "--key", "0x1234"});
  CHECK(bad.status == 1);
  CHECK(bad.err.find("bad_key") != std::string::npos);
  CHECK(bad.err.find("0x1234") == std::string::npos);  // key material is never echoed
}

TEST_CASE("key derive is deterministic per namespace and source", "[cli][key]") {
  auto a = run({hearth_bin, "key", "derive", "payments", "--key", hardhat0});
  auto b = run({hearth_bin, "key", "derive", "payments", "--key", hardhat0});
  auto c = run({hearth_bin, "key", "derive", "other", "--key", hardhat0});
  REQUIRE(a.status == 0);
  CHECK(line(a) == line(b));
  CHECK(line(a) != line(c));
  CHECK(line(a).size() == 66);

  temp_dir dir;
  std::ofstream(dir.file("pass")) << "correct horse battery staple\n";
  auto p1 = run({hearth_bin, "key", "derive", "--passphrase-file", dir.file("pass"), "-o", dir.file("d.key")});
  REQUIRE(p1.status == 0);
  auto p2 = run({hearth_bin, "key", "derive", "--passphrase-env", "PASS"}, {"PASS=correct horse battery staple"});
  REQUIRE(p2.status == 0);
  auto from_file = run({hearth_bin, "key", "address", "--key", "@" + dir.file("d.key")});
  auto from_env = run({hearth_bin, "key", "address", "--key", line(p2)});
  CHECK(line(from_file) == line(from_env));
  CHECK(line(p1) == line(from_file));

  auto none = run({hearth_bin, "key", "derive"});
  CHECK(none.status == 1);
  CHECK(none.err.find("derive_source_missing") != std::string::npos);
}

TEST_CASE("key sha256 matches coreutils", "[cli][key]") {
  temp_dir dir;
  std::ofstream(dir.file("f"), std::ios::binary) << std::string(200000, 'q');
  auto ours = run({hearth_bin, "key", "sha256", dir.file("f")});
  auto theirs = run({"sha256sum", dir.file("f")});
  CHECK(line(ours) == theirs.out.substr(0, 64));
  CHECK(run({hearth_bin, "key", "sha256", dir.file("missing")}).status == 1);
}

TEST_CASE("config: file, environment and flags, flags winning", "[cli][config]") {
  temp_dir dir;
  auto cfg = dir.file("hearth.toml");
  REQUIRE(run({hearth_bin, "config", "init", "-o", cfg}).status == 0);
  CHECK(run({hearth_bin, "config", "init", "-o", cfg}).status == 1);  // no silent overwrite

  auto defaults = run({hearth_bin, "--config", cfg, "config", "show"});
  REQUIRE(defaults.status == 0);
  CHECK(defaults.out.find("listen = \"127.0.0.1:3000\"") != std::string::npos);

  std::ofstream(cfg, std::ios::trunc) << "listen = \"127.0.0.1:4100\"\nhttp-max-connections = 7\n";
  auto from_file = run({hearth_bin, "--config", cfg, "config", "show"});
  CHECK(from_file.out.find("listen = \"127.0.0.1:4100\"") != std::string::npos);
  CHECK(from_file.out.find("http-max-connections = 7") != std::string::npos);

  auto from_env = run({hearth_bin, "--config", cfg, "config", "show"}, {"HEARTH_LISTEN=127.0.0.1:4200"});
  CHECK(from_env.out.find("listen = \"127.0.0.1:4200\"") != std::string::npos);

  auto from_flag =
      run({hearth_bin, "--config", cfg, "config", "show", "--listen", "127.0.0.1:4300"}, {"HEARTH_LISTEN=127.0.0.1:4200"});
  CHECK(from_flag.out.find("listen = \"127.0.0.1:4300\"") != std::string::npos);

  auto schema = run({hearth_bin, "config", "schema"});
  REQUIRE(schema.status == 0);
  json s = json::parse(schema.out);
  CHECK(s["properties"]["listen"]["type"] == "string");
  CHECK(s["properties"]["http-max-connections"]["type"] == "integer");

  std::ofstream(cfg, std::ios::trunc) << "http-max-connections = \"lots\"\n";
  auto invalid = run({hearth_bin, "--config", cfg, "config", "show"});
  CHECK(invalid.status != 0);
  CHECK(invalid.err.find("http-max-connections") != std::string::npos);
}

TEST_CASE("cluster ca and cert: a private CA and node certificates openssl verifies", "[cli][cluster]") {
  temp_dir dir;
  auto ca = run({hearth_bin, "cluster", "ca", "--out", dir.file("ca")});
  INFO(ca.err);
  REQUIRE(ca.status == 0);
  struct stat st {};
  REQUIRE(::stat(dir.file("ca/ca.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto node = run({hearth_bin, "cluster", "cert", "--ca", dir.file("ca"), "--name", "node-a", "--ip", "127.0.0.2", "--dns",
                   "a.cluster.test", "--out", dir.file("a")});
  INFO(node.err);
  REQUIRE(node.status == 0);
  auto verified = run({"openssl", "verify", "-CAfile", dir.file("ca/ca.pem"), "-purpose", "sslclient", dir.file("a/node-a.pem")});
  CHECK(verified.out.find(": OK") != std::string::npos);
  CHECK(run({"openssl", "verify", "-CAfile", dir.file("ca/ca.pem"), "-purpose", "sslserver", dir.file("a/node-a.pem")}).status == 0);
  auto text = run({"openssl", "x509", "-in", dir.file("a/node-a.pem"), "-noout", "-text"}).out;
  CHECK(text.find("IP Address:127.0.0.2") != std::string::npos);
  CHECK(text.find("DNS:a.cluster.test") != std::string::npos);
  // The key matches its certificate; the CA's certificate cannot be mistaken for a node's.
  auto pub_of_key = run({"openssl", "pkey", "-in", dir.file("a/node-a.key"), "-pubout"}).out;
  auto pub_of_cert = run({"openssl", "x509", "-in", dir.file("a/node-a.pem"), "-noout", "-pubkey"}).out;
  CHECK(pub_of_key == pub_of_cert);
  // Another CA's certificate does not verify; nothing is overwritten; names are file names.
  REQUIRE(run({hearth_bin, "cluster", "ca", "--out", dir.file("other")}).status == 0);
  CHECK(run({"openssl", "verify", "-CAfile", dir.file("other/ca.pem"), dir.file("a/node-a.pem")}).status != 0);
  auto again = run({hearth_bin, "cluster", "ca", "--out", dir.file("ca")});
  CHECK(again.err.find("key_file_exists") != std::string::npos);
  auto sneaky = run({hearth_bin, "cluster", "cert", "--ca", dir.file("ca"), "--name", "../x", "--ip", "127.0.0.3"});
  CHECK(sneaky.err.find("bad_option") != std::string::npos);
  auto nameless = run({hearth_bin, "cluster", "cert", "--ca", dir.file("ca"), "--name", "b", "--out", dir.file("b")});
  CHECK(nameless.err.find("at least one IP address") != std::string::npos);
}

TEST_CASE("hearth sandbox passes stdin through as it comes, like bwrap", "[cli][sandbox]") {
  temp_dir dir;
  std::string fifo = dir.file("in"), out = dir.file("out");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  child_process p({"/bin/sh", "-c", "exec " + hearth_bin + " sandbox -- /bin/sh -c 'read l; echo got $l' < " + fifo +
                                        " > " + out});
  int writer = ::open(fifo.c_str(), O_WRONLY);  // once the shell opens it to read
  REQUIRE(writer >= 0);
  REQUIRE(::write(writer, "first\n", 6) == 6);
  // The program answers and ends while its input is still open: nothing
  // waits for the end of stdin before the program starts.
  auto status = p.wait_exit(std::chrono::seconds(20));
  ::close(writer);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(read_text(out) == "got first\n");
  // All of a large input arrives, and its end is the program's.
  auto counted = run({hearth_bin, "sandbox", "--", "/usr/bin/wc", "-c"}, {}, std::string(300000, 'x'));
  CHECK(counted.status == 0);
  CHECK(counted.out == "300000\n");
  auto none = run({hearth_bin, "sandbox", "--", "/bin/cat"});  // stdin /dev/null
  CHECK(none.status == 0);
  CHECK(none.out.empty());
}

#include <regex>
#include <set>

namespace {

// Every command path the completion script knows ("invite create", ...).
std::set<std::string> command_paths(const std::string& script) {
  std::set<std::string> out;
  std::regex step(R"re("[^"|]*\|[^"]*"\) path="([^"]+)")re");
  for (std::sregex_iterator it(script.begin(), script.end(), step), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

// What bash's completion offers for a command line ending in the word being typed.
std::set<std::string> complete(const std::string& script_file, const std::string& words) {
  auto r = run({"bash", "-c",
                "source " + script_file + "; COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                "[[ \"" + words + "\" == *' ' ]] && COMP_WORDS+=('') && COMP_CWORD=${#COMP_WORDS[@]}-1; "
                "_hearth; printf '%s\\n' \"${COMPREPLY[@]}\""});
  std::set<std::string> out;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) out.insert(l);
  return out;
}

}  // namespace

TEST_CASE("every command's --help shows an example; the top level shows the exit codes", "[cli][help]") {
  auto script = run({hearth_bin, "completion", "bash"});
  REQUIRE(script.status == 0);
  auto paths = command_paths(script.out);
  REQUIRE(paths.size() > 40);
  for (const auto& path : paths) {
    bool leaf = std::none_of(paths.begin(), paths.end(), [&](const std::string& p) { return p.rfind(path + " ", 0) == 0; });
    std::vector<std::string> argv{hearth_bin};
    std::istringstream words(path);
    for (std::string w; words >> w;) argv.push_back(w);
    argv.push_back("--help");
    auto help = run(argv);
    INFO("hearth " << path << " --help");
    CHECK(help.status == 0);
    auto example = help.out.find("Example:\n  ");
    if (leaf) {
      REQUIRE(example != std::string::npos);
      auto shown = help.out.substr(example + 11, help.out.find('\n', example + 11) - example - 11);
      CHECK(shown.find("hearth ") != std::string::npos);
      CHECK(shown.find(" " + path.substr(path.rfind(' ') + 1)) != std::string::npos);
    }
    else CHECK(help.out.find("has an example") != std::string::npos);
  }
  auto top = run({hearth_bin, "--help"});
  CHECK(top.out.find("Exit codes:") != std::string::npos);
  CHECK(run({hearth_bin, "--version"}).out == "hearth " HEARTH_VERSION "\n");
  // The exit codes are what the commands give.
  CHECK(run({hearth_bin, "key", "address", "--key", "@/nonexistent/key"}).status == 1);
  CHECK(run({hearth_bin, "key", "address"}).status == 106);  // a required option missing
  CHECK(run({hearth_bin, "version", "--no-such-flag"}).status == 109);
  CHECK(run({hearth_bin, "curl", "http://127.0.0.1:1/"}).status == 7);
  CHECK(run({hearth_bin, "sandbox", "--", "/bin/sh", "-c", "exit 5"}).status == 5);
}

TEST_CASE("hearth completion bash completes commands and each command's options", "[cli][completion]") {
  temp_dir dir;
  std::string file = dir.file("hearth.bash");
  auto script = run({hearth_bin, "completion", "bash"});
  REQUIRE(script.status == 0);
  std::ofstream(file) << script.out;
  CHECK(run({"bash", "-n", file}).status == 0);  // it parses
  auto top = complete(file, "hearth inv");
  CHECK(top == std::set<std::string>{"invite"});
  CHECK(complete(file, "hearth invite c").count("create") == 1);
  CHECK(complete(file, "hearth invite create --mem").count("--memory-mb") == 1);
  CHECK(complete(file, "hearth serve --li").count("--listen") == 1);  // the node's options, for serve
  CHECK(complete(file, "hearth --data-dir d invite create --exp").count("--expires-in-hours") == 1);
  CHECK(complete(file, "hearth job ").count("submit") == 1);
  CHECK(complete(file, "hearth job ").count("invite") == 0);
}

TEST_CASE("the README's exit code table is the one the CLI prints", "[cli][help]") {
  std::ifstream in(HEARTH_SOURCE_DIR "/README.md");
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- exit codes: begin (hearth errors --exit-codes) -->\n", end = "<!-- exit codes: end -->";
  auto b = readme.find(begin), e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  CHECK(readme.substr(b + begin.size(), e - b - begin.size()) == run({hearth_bin, "errors", "--exit-codes"}).out);
}
