#pragma once

// TLS: the certificate trunkguard presents on tls:// listeners, and the checks it makes of
// providers' certificates. Read by tls_section.cc; used by transport/tls_context.cc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tg::config {

enum class TlsVersion : uint8_t { k12, k13 };
std::string_view tlsVersionName(TlsVersion v);  // "1.2", "1.3"

// The top-level `tls:` section. Paths are absolute once loaded (relative to the config file).
struct TlsSettings {
  std::string certificate;  // PEM chain presented on tls:// listeners
  std::string privateKey;   // never logged: only its path appears in messages
  std::string caFile;       // when set, tls:// listeners require client certificates it signed
  std::chrono::milliseconds handshakeTimeout{5000};
  TlsVersion minVersion = TlsVersion::k12;  // TLS 1.0/1.1 are never offered
  std::string ciphers;  // TLS 1.2 cipher list (OpenSSL syntax); empty: modern AEAD only
  int line = 0;         // where `tls:` was written, for messages
  // tls:// connections (each a handshake to come) admitted per second from one IP address and
  // from one /24 or /64, over all workers, before any handshake work; 0: no limit. Off too
  // when tcp.max_accepts_per_source_per_s is 0.
  size_t maxHandshakesPerSourcePerSecond = 20;
  size_t maxHandshakesPerPrefixPerSecond = 200;
};

// A provider's `tls:`: how its certificate is checked and what we present to it.
struct ProviderTls {
  std::string caFile;             // empty: the system CA store
  std::string serverName;         // SNI and the name checked; empty: the provider's host
  bool verify = true;             // false only with a warning on every start
  std::string clientCertificate;  // mutual TLS (optional, with clientPrivateKey)
  std::string clientPrivateKey;
};

// The name a provider's certificate must carry and the one sent as SNI.
inline const std::string& expectedServerName(const ProviderTls& tls, const std::string& host) {
  return tls.serverName.empty() ? host : tls.serverName;
}

}  // namespace tg::config
