#include "crypto/x509_issuer.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace hearth::crypto {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

failure openssl_failure(const std::string& what) { return fail(crypto_errc::crypto_error, what + " failed (OpenSSL)"); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A new certificate for key, named common_name, valid from now for days,
// with a random 128-bit serial; issuer and signature are set by the caller.
x509_ptr new_certificate(EVP_PKEY* key, const std::string& common_name, int days) {
  x509_ptr cert(X509_new());
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_set_version(cert.get(), 2);
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) return nullptr;
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("hearth cluster"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return cert;
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

result<issued_certificate> finish(X509* cert, EVP_PKEY* issuer_key, EVP_PKEY* key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) return openssl_failure("signing the certificate");
  bio_ptr cert_bio(BIO_new(BIO_s_mem())), key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_failure("writing PEM");
  return issued_certificate{bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

}  // namespace

result<issued_certificate> make_certificate_authority(const std::string& common_name, int days) {
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("making a P-256 key");
  auto cert = new_certificate(key.get(), common_name, days);
  if (!cert) return openssl_failure("making the certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  if (!add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"))
    return openssl_failure("adding the CA's extensions");
  return finish(cert.get(), key.get(), key.get());
}

result<issued_certificate> issue_node_certificate(const std::string& ca_certificate_pem, const std::string& ca_key_pem,
                                                  const std::string& node_name, const std::vector<std::string>& ips,
                                                  const std::vector<std::string>& dns_names, int days) {
  if (ips.empty() && dns_names.empty())
    return fail(config_errc::bad_option, "a node certificate names at least one IP address or DNS name");
  bio_ptr ca_cert_bio(BIO_new_mem_buf(ca_certificate_pem.data(), static_cast<int>(ca_certificate_pem.size())));
  bio_ptr ca_key_bio(BIO_new_mem_buf(ca_key_pem.data(), static_cast<int>(ca_key_pem.size())));
  x509_ptr ca(ca_cert_bio ? PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  pkey_ptr ca_key(ca_key_bio ? PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!ca || !ca_key) return fail(config_errc::bad_option, "the CA's certificate or key is not PEM");
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1)
    return fail(config_errc::bad_option, "the CA key is not the CA certificate's");
  std::string san;
  for (const auto& ip : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  if (san.find_first_of("\r\n") != std::string::npos) return fail(config_errc::bad_option, "a name holds a line break");
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("making a P-256 key");
  auto cert = new_certificate(key.get(), node_name, days);
  if (!cert) return openssl_failure("making the certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  if (!add_extension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_extension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always"))
    return openssl_failure("adding the node certificate's extensions");
  if (!add_extension(cert.get(), ca.get(), NID_subject_alt_name, san))
    return fail(config_errc::bad_option, "subjectAltName " + san + " is not valid (IP addresses and DNS names)");
  return finish(cert.get(), ca_key.get(), key.get());
}

}  // namespace hearth::crypto
