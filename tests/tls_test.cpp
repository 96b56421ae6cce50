// HTTPS end to end: a node listening with --tls-cert/--tls-key, certificates
// made here with openssl (a test CA, a second unknown CA), reached by
// `hearth curl` (verified, unknown CA, wrong name: exit 60 as curl; -k
// connects) and by the system's curl; SIGHUP swaps the identity.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <regex>

#include "support/process.hpp"
#include "support/skip.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;

namespace {

const std::string hearth_bin = HEARTH_BIN;

void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto r = run(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

// A CA (key + self-signed certificate) named name in dir.
void make_ca(const temp_dir& dir, const std::string& name) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
           "-subj", "/CN=" + name, "-keyout", dir.file(name + ".key"), "-out", dir.file(name + ".pem"),
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"});
}

// A server certificate for the subjectAltName list, signed by ca.
void make_server_cert(const temp_dir& dir, const std::string& name, const std::string& ca, const std::string& san) {
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + name,
           "-keyout", dir.file(name + ".key"), "-out", dir.file(name + ".csr")});
  std::ofstream(dir.file(name + ".ext")) << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth\n";
  openssl({"x509", "-req", "-in", dir.file(name + ".csr"), "-CA", dir.file(ca + ".pem"), "-CAkey", dir.file(ca + ".key"),
           "-CAcreateserial", "-days", "2", "-extfile", dir.file(name + ".ext"), "-out", dir.file(name + ".pem")});
}

struct tls_node {
  temp_dir dir;
  std::unique_ptr<child_process> proc;
  std::string port;

  tls_node() {
    make_ca(dir, "ca");
    make_ca(dir, "stranger");
    make_server_cert(dir, "server", "ca", "DNS:localhost,IP:127.0.0.1");
    make_server_cert(dir, "elsewhere", "ca", "DNS:example.test");
    // The node reads the identity from these paths, so SIGHUP can swap it.
    run({"cp", dir.file("server.pem"), dir.file("live.pem")});
    run({"cp", dir.file("server.key"), dir.file("live.key")});
    proc = std::make_unique<child_process>(std::vector<std::string>{
        hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.file("data"), "--tls-cert",
        dir.file("live.pem"), "--tls-key", dir.file("live.key")});
    auto line = proc->wait_for_line("hearth serving", 30s);
    INFO(proc->output());
    REQUIRE(line);
    std::smatch m;
    REQUIRE(std::regex_search(*line, m, std::regex(R"(url=https://127\.0\.0\.1:(\d+))")));
    port = m[1];
  }
  std::string url(const std::string& host, const std::string& path = "/health") const {
    return "https://" + host + ":" + port + path;
  }
  run_result curl(std::vector<std::string> args) const {
    args.insert(args.begin(), {hearth_bin, "curl"});
    return run(args);
  }
};

}  // namespace

bool have_openssl() { return run({"openssl", "version"}).status == 0; }

TEST_CASE("hearth curl verifies the node's certificate and name, as curl does", "[tls]") {
  if (!have_openssl()) HEARTH_SKIP("the openssl command is not installed (scripts/install-deps.sh installs it)");
  tls_node n;
  auto ok = n.curl({"--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(nlohmann::json::parse(ok.out, nullptr, false).value("status", "") == "ok");
  CHECK(n.curl({"--cacert", n.dir.file("ca.pem"), n.url("localhost")}).status == 0);

  auto unknown = n.curl({"--cacert", n.dir.file("stranger.pem"), n.url("127.0.0.1")});
  CHECK(unknown.status == 60);
  CHECK(unknown.err.find("certificate_invalid") != std::string::npos);
  CHECK(n.curl({n.url("127.0.0.1")}).status == 60);  // the system store knows no test CA

  auto insecure = n.curl({"-k", n.url("127.0.0.1")});
  CHECK(insecure.status == 0);

  // An independent client: the system's curl with the same CA.
  auto system_curl = run({"curl", "-sS", "--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")});
  INFO(system_curl.err);
  CHECK(system_curl.status == 0);
  CHECK(system_curl.out.find("\"status\"") != std::string::npos);

  // Plain HTTP to the TLS port gets no HTTP answer.
  CHECK(n.curl({"--max-time", "5", "http://127.0.0.1:" + n.port + "/health"}).status != 0);
}

TEST_CASE("SIGHUP reloads the certificate; a broken one leaves the working identity", "[tls]") {
  if (!have_openssl()) HEARTH_SKIP("the openssl command is not installed (scripts/install-deps.sh installs it)");
  tls_node n;
  REQUIRE(n.curl({"--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")}).status == 0);

  // A certificate that names another host: after the reload the name check fails.
  run({"cp", n.dir.file("elsewhere.pem"), n.dir.file("live.pem")});
  run({"cp", n.dir.file("elsewhere.key"), n.dir.file("live.key")});
  n.proc->signal(SIGHUP);
  REQUIRE(n.proc->wait_for_line("tls identity reloaded", 10s));
  auto mismatch = n.curl({"--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")});
  CHECK(mismatch.status == 60);
  CHECK(mismatch.err.find("not trusted") != std::string::npos);
  CHECK(n.curl({"-k", n.url("127.0.0.1")}).status == 0);

  // A key that is not the certificate's: refused, the last identity stays.
  run({"cp", n.dir.file("server.pem"), n.dir.file("live.pem")});
  n.proc->signal(SIGHUP);
  REQUIRE(n.proc->wait_for_line("tls identity not reloaded", 10s));
  CHECK(n.curl({"--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")}).status == 60);

  run({"cp", n.dir.file("server.key"), n.dir.file("live.key")});
  n.proc->signal(SIGHUP);
  REQUIRE(n.proc->wait_for_line("tls identity reloaded", 10s));
  CHECK(n.curl({"--cacert", n.dir.file("ca.pem"), n.url("127.0.0.1")}).status == 0);

  n.proc->signal(SIGTERM);
  CHECK(n.proc->wait_exit(30s) == 0);
}

TEST_CASE("a node refuses to start with a TLS key that is not its certificate's", "[tls]") {
  if (!have_openssl()) HEARTH_SKIP("the openssl command is not installed (scripts/install-deps.sh installs it)");
  temp_dir dir;
  make_ca(dir, "ca");
  make_server_cert(dir, "a", "ca", "IP:127.0.0.1");
  make_server_cert(dir, "b", "ca", "IP:127.0.0.1");
  auto r = run({hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.file("data"), "--tls-cert",
                dir.file("a.pem"), "--tls-key", dir.file("b.key")});
  CHECK(r.status != 0);
  CHECK(r.err.find("tls_identity_unusable") != std::string::npos);
}

TEST_CASE("a seller reaches a TLS hub over wss, verifying it with --cacert", "[tls]") {
  if (!have_openssl()) HEARTH_SKIP("the openssl command is not installed (scripts/install-deps.sh installs it)");
  tls_node hub;
  temp_dir seller_dir;
  // An unknown CA: the seller does not connect (it retries, logging why).
  child_process refused({hearth_bin, "-v", "seller", "--hub", hub.url("127.0.0.1", ""), "--data-dir", seller_dir.file("a"),
                         "--id", "refused", "--ssh-listen", "127.0.0.1:0", "--cacert", hub.dir.file("stranger.pem")});
  auto why = refused.wait_for_line("not trusted", 30s);
  INFO(refused.output());
  CHECK(why);

  child_process seller({hearth_bin, "seller", "--hub", hub.url("127.0.0.1", ""), "--data-dir", seller_dir.file("b"),
                        "--id", "over-tls", "--ssh-listen", "127.0.0.1:0", "--cacert", hub.dir.file("ca.pem")});
  auto up = seller.wait_for_line("seller connected", 30s);
  INFO(seller.output());
  REQUIRE(up);
  auto online = hub.curl({"--cacert", hub.dir.file("ca.pem"), hub.url("127.0.0.1", "/sellers/online")});
  REQUIRE(online.status == 0);
  CHECK(online.out.find("over-tls") != std::string::npos);
}
