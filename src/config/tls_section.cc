// The top-level `tls:` section and a provider's `tls:` (tls_config.h). Certificate, key and CA
// files are loaded here once with OpenSSL, so that a bad file is a config error with its path
// and not a failed handshake hours later.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <limits>
#include <memory>

#include "base/openssl_error.h"
#include "config/credentials.h"
#include "config/loader.h"
#include "sip/host.h"

namespace tg::config {

std::string_view tlsVersionName(TlsVersion v) { return v == TlsVersion::k13 ? "1.3" : "1.2"; }

namespace detail {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

SslCtxPtr newCtx() { return SslCtxPtr(SSL_CTX_new(TLS_method()), &SSL_CTX_free); }

// Empty when `path` names a readable regular file, otherwise what is wrong with it.
std::string fileProblem(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "'" + path + "' does not exist";
  if (!std::filesystem::is_regular_file(path, ec)) return "'" + path + "' is not a file";
  return {};
}

// Empty when `path` holds at least one PEM CA certificate.
std::string caFileProblem(const std::string& path) {
  SslCtxPtr ctx = newCtx();
  if (SSL_CTX_load_verify_locations(ctx.get(), path.c_str(), nullptr) == 1) return {};
  return "cannot load CA certificates from '" + path + "': " + base::lastOpensslError();
}

}  // namespace

bool Loader::readPemPath(const MapReader& m, std::string_view key, std::string& out) {
  if (!m.has(key)) return false;
  auto v = readString(m, key);
  if (!v) return false;
  if (v->empty()) {
    error(valueLine(m, key), m.pathOf(key), "is empty; give a PEM file name");
    return false;
  }
  std::string credentialProblem;
  if (auto credential = credentialPath(*v, &credentialProblem)) {  // credential:NAME (systemd)
    if (!credentialProblem.empty()) {
      error(valueLine(m, key), m.pathOf(key), credentialProblem);
      return false;
    }
    out = *credential;
  } else {
    out = resolvePath(*v);
  }
  if (std::string why = fileProblem(out); !why.empty()) {
    error(valueLine(m, key), m.pathOf(key), why);
    out.clear();
    return false;
  }
  return true;
}

void Loader::checkPair(const MapReader& m, std::string_view certKey, std::string& certificate,
                       std::string_view keyKey, std::string& privateKey, bool haveCert,
                       bool haveKey) {
  // Separate contexts, so that a key that does not match is told apart from one that does
  // not load.
  SslCtxPtr certCtx = newCtx();
  SslCtxPtr keyCtx = newCtx();
  if (haveCert && SSL_CTX_use_certificate_chain_file(certCtx.get(), certificate.c_str()) != 1) {
    error(valueLine(m, certKey), m.pathOf(certKey),
          "cannot load a PEM certificate from '" + certificate + "': " + base::lastOpensslError());
    certificate.clear();
  }
  if (haveKey &&
      SSL_CTX_use_PrivateKey_file(keyCtx.get(), privateKey.c_str(), SSL_FILETYPE_PEM) != 1) {
    // The reason names the format problem; the key itself never reaches a message.
    error(valueLine(m, keyKey), m.pathOf(keyKey),
          "cannot load a PEM private key from '" + privateKey + "': " + base::lastOpensslError());
    privateKey.clear();
  }
  if (!certificate.empty() && !privateKey.empty() &&
      X509_check_private_key(SSL_CTX_get0_certificate(certCtx.get()),
                             SSL_CTX_get0_privatekey(keyCtx.get())) != 1) {
    ERR_clear_error();
    error(valueLine(m, keyKey), m.pathOf(keyKey),
          "'" + privateKey + "' is not the key of the certificate in '" + certificate + "'");
  }
}

void readTls(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "tls", line,
              {"certificate", "private_key", "ca_file", "handshake_timeout_ms", "min_version",
               "ciphers", "max_handshakes_per_source_per_s", "max_handshakes_per_prefix_per_s"});
  if (!m.valid()) return;
  TlsSettings& tls = c.tls;
  tls.line = line;
  loader.setDuration(m, "handshake_timeout_ms", tls.handshakeTimeout, 100, 120000);
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  loader.setInt(m, "max_handshakes_per_source_per_s", tls.maxHandshakesPerSourcePerSecond, 0,
                kIntMax);
  loader.setInt(m, "max_handshakes_per_prefix_per_s", tls.maxHandshakesPerPrefixPerSecond, 0,
                kIntMax);
  if (m.has("min_version")) {
    // "1.2" written without quotes is a number in YAML; accept it either way.
    if (auto v = loader.readString(m, "min_version")) {
      if (*v == "1.2") {
        tls.minVersion = TlsVersion::k12;
      } else if (*v == "1.3") {
        tls.minVersion = TlsVersion::k13;
      } else {
        loader.error(
            Loader::valueLine(m, "min_version"), m.pathOf("min_version"),
            "'" + *v + "' is not supported; use \"1.2\" or \"1.3\" (older versions are unsafe)");
      }
    }
  }
  if (m.has("ciphers")) {
    if (auto v = loader.readString(m, "ciphers")) {
      SslCtxPtr ctx = newCtx();
      if (v->empty() || SSL_CTX_set_cipher_list(ctx.get(), v->c_str()) != 1) {
        ERR_clear_error();
        loader.error(
            Loader::valueLine(m, "ciphers"), m.pathOf("ciphers"),
            "'" + *v + "' names no cipher OpenSSL knows; remove it to use the modern default");
      } else {
        tls.ciphers = *v;
      }
    }
  }
  const size_t errorsBefore = loader.errorCount();
  const bool haveCert = loader.readPemPath(m, "certificate", tls.certificate);
  const bool haveKey = loader.readPemPath(m, "private_key", tls.privateKey);
  if (m.has("certificate") != m.has("private_key")) {
    const std::string_view missing = m.has("certificate") ? "private_key" : "certificate";
    loader.error(m.line(), m.pathOf(missing),
                 "missing; tls.certificate and tls.private_key go together (PEM files)");
  }
  loader.checkPair(m, "certificate", tls.certificate, "private_key", tls.privateKey, haveCert,
                   haveKey);
  loader.setTlsFilesBad(loader.errorCount() != errorsBefore);
  if (loader.readPemPath(m, "ca_file", tls.caFile)) {
    if (std::string why = caFileProblem(tls.caFile); !why.empty()) {
      loader.error(Loader::valueLine(m, "ca_file"), m.pathOf("ca_file"), why);
      tls.caFile.clear();
    }
  }
}

void Loader::readProviderTls(const YAML::Node& node, int line, const std::string& path,
                             Provider& provider) {
  MapReader m(*this, node, path, line,
              {"ca_file", "server_name", "verify", "client_certificate", "client_private_key"});
  if (!m.valid()) return;
  ProviderTls& tls = provider.tls;
  const std::string label = "provider '" + provider.name + "'";
  if (provider.target.transport != TransportKind::kTls) {
    warn(line, path, label + " does not use transport tls; its tls settings are ignored");
  }
  setBool(m, "verify", tls.verify);
  if (!tls.verify) {
    warn(valueLine(m, "verify"), m.pathOf("verify"),
         label +
             ": certificate verification is OFF; anyone on the path can impersonate the "
             "provider and read the calls' signalling. Configure ca_file instead");
  }
  if (m.has("server_name")) {
    if (auto v = readString(m, "server_name")) {
      std::string_view h = *v;
      if (!base::Address::parse(h, 0) && !sip::isHostname(h)) {
        error(valueLine(m, "server_name"), m.pathOf("server_name"),
              "'" + *v +
                  "' is not a host name; give the name in the provider's certificate, "
                  "e.g. sip.carrier.example");
      } else {
        tls.serverName = *v;
      }
    }
  }
  if (readPemPath(m, "ca_file", tls.caFile)) {
    if (std::string why = caFileProblem(tls.caFile); !why.empty()) {
      error(valueLine(m, "ca_file"), m.pathOf("ca_file"), why);
      tls.caFile.clear();
    }
  }
  const bool haveCert = readPemPath(m, "client_certificate", tls.clientCertificate);
  const bool haveKey = readPemPath(m, "client_private_key", tls.clientPrivateKey);
  if (m.has("client_certificate") != m.has("client_private_key")) {
    const std::string_view missing =
        m.has("client_certificate") ? "client_private_key" : "client_certificate";
    error(m.line(), m.pathOf(missing),
          "missing; client_certificate and client_private_key go together (PEM files)");
  }
  checkPair(m, "client_certificate", tls.clientCertificate, "client_private_key",
            tls.clientPrivateKey, haveCert, haveKey);
}

void Loader::checkTls(const Config& c) {
  bool trunkTlsListener = false;
  for (const auto& l : listeners_) {
    if (l.value.transport != TransportKind::kTls) continue;
    if (l.path.rfind("trunk.", 0) == 0) trunkTlsListener = true;
    if (c.tls.certificate.empty() || c.tls.privateKey.empty()) {
      // Only when tls: did not already explain what is wrong with the files.
      if (!tlsFilesBad_) {
        error(l.line, l.path,
              "'" + l.value.text +
                  "' needs a certificate; add a top-level section tls: { certificate: "
                  "/etc/trunkguard/tls/cert.pem, private_key: /etc/trunkguard/tls/key.pem }");
      }
    }
  }
  for (size_t i = 0; i < c.trunk.providers.size(); ++i) {
    const Provider& p = c.trunk.providers[i];
    if (p.target.transport != TransportKind::kTls || trunkTlsListener) continue;
    warn(0, "trunk.listen",
         "provider '" + p.name +
             "' uses tls but the trunk zone has no tls:// listener: requests the provider "
             "starts (incoming calls, BYE) can only arrive on connections trunkguard opened; "
             "add e.g. \"tls://0.0.0.0:5061\"");
    break;
  }
}

}  // namespace detail
}  // namespace tg::config
