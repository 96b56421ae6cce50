#include "apps/key_commands.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "crypto/key_derive.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"

namespace hearth::app {
namespace {

using crypto::private_key;

int report(const failure& f) {
  std::cerr << "hearth: " << f.message << " [" << f.code << "]\n";
  return 1;
}

// Writes the key to a new 0600 file, or prints its hex when no file is named.
int emit_key(const private_key& key, const std::string& out) {
  if (out.empty()) {
    std::cout << "0x" << crypto::to_hex(key.secret()) << "\n";
    return 0;
  }
  if (auto saved = key.save_new(out); !saved) return report(saved.error());
  std::cerr << "wrote " << out << " (mode 0600)\n";
  std::cout << key.to_address().checksummed() << "\n";
  return 0;
}

result<std::string> read_passphrase(const std::string& file, const std::string& env) {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (!v) return fail(config_errc::passphrase_missing, "environment variable " + env + " is not set");
    return std::string(v);
  }
  std::ifstream in(file);
  if (!in) return fail(config_errc::passphrase_unreadable, "cannot read " + file);
  std::string line;
  std::getline(in, line);  // the first line, without its newline
  return line;
}

}  // namespace

void add_key_commands(CLI::App& app, int& exit_code) {
  auto* key = app.add_subcommand("key", "Generate, derive and inspect secp256k1 keys")->require_subcommand(1);

  auto* gen = key->add_subcommand("generate", "Generate a random key into a new file (mode 0600)");
  auto gen_out = std::make_shared<std::string>();
  gen->add_option("-o,--out", *gen_out, "Key file to create (refuses to overwrite)")->required();
  gen->callback([&exit_code, gen_out] {
    auto k = private_key::generate();
    exit_code = k ? emit_key(*k, *gen_out) : report(k.error());
  });

  auto* derive = key->add_subcommand(
      "derive", "Derive a key deterministically from a key or a passphrase, within a namespace");
  struct derive_args {
    std::string ns = "hearth", key, passphrase_file, passphrase_env, out;
  };
  auto d = std::make_shared<derive_args>();
  derive->add_option("namespace", d->ns, "Namespace (derivations in different namespaces are unrelated)")
      ->capture_default_str();
  auto* from_key = derive->add_option("--key", d->key, "Parent key: 0xHEX or @FILE")->envname("HEARTH_KEY");
  auto* from_file = derive->add_option("--passphrase-file", d->passphrase_file, "Read the passphrase's first line from FILE");
  auto* from_env = derive->add_option("--passphrase-env", d->passphrase_env, "Read the passphrase from env variable VAR");
  from_key->excludes(from_file)->excludes(from_env);
  from_file->excludes(from_env);
  derive->add_option("-o,--out", d->out, "Key file to create (mode 0600); default: print the key");
  derive->callback([&exit_code, d] {
    result<private_key> k = fail(config_errc::derive_source_missing, "give --key, --passphrase-file or --passphrase-env");
    if (!d->key.empty()) {
      auto parent = private_key::load(d->key);
      k = parent ? crypto::derive_from_key(*parent, d->ns) : result<private_key>(parent.error());
    } else if (!d->passphrase_file.empty() || !d->passphrase_env.empty()) {
      auto pass = read_passphrase(d->passphrase_file, d->passphrase_env);
      k = pass ? crypto::derive_from_passphrase(*pass, d->ns) : result<private_key>(pass.error());
      if (pass) crypto::secure_wipe(pass->data(), pass->size());
    }
    exit_code = k ? emit_key(*k, d->out) : report(k.error());
  });

  auto* addr = key->add_subcommand("address", "Print a key's EIP-55 checksummed Ethereum address");
  auto addr_key = std::make_shared<std::string>();
  addr->add_option("--key", *addr_key, "Key: 0xHEX or @FILE")->envname("HEARTH_KEY")->required();
  addr->callback([&exit_code, addr_key] {
    auto k = private_key::load(*addr_key);
    if (!k) return void(exit_code = report(k.error()));
    std::cout << k->to_address().checksummed() << "\n";
    exit_code = 0;
  });

  auto* sha = key->add_subcommand("sha256", "Print a file's SHA-256 (hex)");
  auto sha_file = std::make_shared<std::string>();
  sha->add_option("file", *sha_file, "File to hash")->required();
  sha->callback([&exit_code, sha_file] {
    auto h = crypto::sha256_file(*sha_file);
    if (!h) return void(exit_code = report(h.error()));
    std::cout << crypto::to_hex(*h) << "\n";
    exit_code = 0;
  });
}

}  // namespace hearth::app
