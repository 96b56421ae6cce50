#include "apps/cluster_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "client/http_client.hpp"
#include "crypto/bytes.hpp"
#include "crypto/x509_issuer.hpp"

namespace hearth::app {
namespace {

struct cluster_args {
  std::string out = ".", ca_dir, name, ca_name = "hearth cluster CA";
  std::vector<std::string> ips, dns;
  int days = 730;
};

int report(const failure& f) {
  std::cerr << "hearth: " << f.message << " [" << f.code << "]\n";
  return 1;
}

// A new file (never overwriting), mode 0600 for keys, 0644 otherwise.
result<void> write_new(const std::string& path, const std::string& text, bool secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) {
    if (errno == EEXIST) return fail(crypto_errc::key_file_exists, path + " already exists; refusing to overwrite");
    return fail(crypto_errc::key_file_unwritable, path + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return fail(crypto_errc::key_file_unwritable, path + ": write failed");
  }
  return {};
}

result<void> save(const std::string& dir, const std::string& stem, crypto::issued_certificate& issued) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string cert = dir + "/" + stem + ".pem", key = dir + "/" + stem + ".key";
  if (std::filesystem::exists(cert) || std::filesystem::exists(key))
    return fail(crypto_errc::key_file_exists, cert + " or " + key + " already exists; refusing to overwrite");
  auto wrote = write_new(key, issued.key_pem, true);
  crypto::secure_wipe(issued.key_pem.data(), issued.key_pem.size());
  if (!wrote) return wrote;
  if (auto ok = write_new(cert, issued.certificate_pem, false); !ok) return ok;
  std::cout << cert << "\n" << key << "\n";
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

void add_cluster_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<cluster_args>();
  auto node = std::make_shared<std::string>("http://127.0.0.1:3000");
  auto* cluster = app.add_subcommand("cluster", "The cluster's private CA and node certificates")->require_subcommand(1);

  auto* ca = cluster->add_subcommand("ca", "Make the cluster's CA: OUT/ca.pem and OUT/ca.key (keep the key offline)");
  ca->add_option("--out", a->out, "Directory to write to")->capture_default_str();
  ca->add_option("--name", a->ca_name, "The CA's common name")->capture_default_str();
  ca->add_option("--days", a->days, "Validity, days")->check(CLI::Range(1, 36500))->capture_default_str();
  ca->callback([a, &exit_code] {
    auto issued = crypto::make_certificate_authority(a->ca_name, a->days);
    if (!issued) return void(exit_code = report(issued.error()));
    if (auto saved = save(a->out, "ca", *issued); !saved) exit_code = report(saved.error());
  });

  auto* status = cluster->add_subcommand("status", "The members a node knows: state, address, offers held");
  status->add_option("--node", *node, "The node's URL")->envname("HEARTH_NODE")->capture_default_str();
  auto as_json = std::make_shared<bool>(false);
  status->add_flag("--json", *as_json, "Print the node's answer (GET /cluster) as JSON");
  status->callback([node, as_json, &exit_code] {
    auto res = client::send_request({"GET", *node + "/cluster", {}, {}, std::chrono::seconds(10), nullptr});
    if (!res) return void(exit_code = report(res.error()));
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200 || !j.is_object()) return void(exit_code = report(fail(client_errc::http_error, "the node answered " + std::to_string(res->status))));
    if (*as_json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    if (!j.value("clustered", false)) {
      std::cout << "not clustered\n";
      return;
    }
    for (const auto& m : j["members"])
      std::cout << m.value("name", "") << "\t" << m.value("state", "") << "\t" << m.value("cluster_address", "") << "\t"
                << m.value("http_url", "") << "\t" << m["offers"].size() << " offers\n";
  });

  auto* cert = cluster->add_subcommand("cert", "Issue a node's certificate: OUT/NAME.pem and OUT/NAME.key, signed by the CA");
  cert->add_option("--ca", a->ca_dir, "Directory holding ca.pem and ca.key")->required();
  cert->add_option("--name", a->name, "The node's name (its certificate's common name)")->required();
  cert->add_option("--ip", a->ips, "An IP address the node is reached at (repeatable)");
  cert->add_option("--dns", a->dns, "A DNS name the node is reached at (repeatable)");
  cert->add_option("--out", a->out, "Directory to write to")->capture_default_str();
  cert->add_option("--days", a->days, "Validity, days")->check(CLI::Range(1, 36500))->capture_default_str();
  cert->callback([a, &exit_code] {
    bool name_ok = !a->name.empty() && a->name.size() <= 64 && a->name[0] != '.' &&
                   a->name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == std::string::npos;
    if (!name_ok) return void(exit_code = report(fail(config_errc::bad_option, "--name is 1-64 of A-Z a-z 0-9 . _ - (a file name)")));
    std::string ca_key = read_file(a->ca_dir + "/ca.key");
    auto issued = crypto::issue_node_certificate(read_file(a->ca_dir + "/ca.pem"), ca_key, a->name, a->ips, a->dns, a->days);
    crypto::secure_wipe(ca_key.data(), ca_key.size());
    if (!issued) return void(exit_code = report(issued.error()));
    if (auto saved = save(a->out, a->name, *issued); !saved) exit_code = report(saved.error());
  });
}

}  // namespace hearth::app
