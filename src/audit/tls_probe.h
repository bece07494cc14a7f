#pragma once

// TLS handshakes against one server for `audit provider`: what it accepts (old protocol
// versions, weak ciphers) and the certificate it presents (chain, name, expiry). Each probe is
// one connection, closed right after the handshake.

#include <chrono>
#include <optional>
#include <string>

#include "base/address.h"

namespace tg::audit {

struct TlsProbeResult {
  bool connected = false;  // TCP connected
  bool handshake = false;  // the handshake completed
  std::string error;       // why not (connect or handshake)
  std::string protocol;    // "TLSv1.3"
  std::string cipher;      // "TLS_AES_256_GCM_SHA384"
  // With verification asked for: X509 verification result (empty when it passed).
  std::string verifyError;
  std::optional<int> certificateDaysLeft;  // of the leaf the server presented
};

enum class TlsProbeKind : uint8_t {
  kModern,      // TLS 1.2+, default ciphers, certificate and name verified
  kTls10,       // only TLS 1.0, every cipher (security level 0)
  kTls11,       // only TLS 1.1, every cipher
  kTls12,       // only TLS 1.2, default ciphers: which one the server picks
  kWeakCipher,  // TLS 1.2 and below with only NULL/RC4/DES/3DES/EXPORT/LOW/MD5 suites
};

struct TlsProbeSettings {
  std::string serverName;  // SNI and the name checked (kModern)
  std::string caFile;      // empty: the system store
  std::chrono::milliseconds timeout{3000};
};

// A connected TCP socket, or -1 with *error: the connect bounded by `timeout`, then blocking I/O
// with the same timeout per operation (SO_RCVTIMEO/SO_SNDTIMEO).
int connectTcp(const base::Address& address, std::chrono::milliseconds timeout, std::string* error);

TlsProbeResult probeTls(const base::Address& address, TlsProbeKind kind,
                        const TlsProbeSettings& settings);

}  // namespace tg::audit
