#pragma once

// OpenSSL contexts for tls:// listeners and outbound TLS (through asio::ssl): TLS 1.2 and 1.3
// only, AEAD cipher suites by default, and the per-peer checks of a provider's certificate.
// Built at start() and on reload; a connection keeps the context it was born with.

// A standard header before asio: asio 1.22 chooses aligned_alloc/free or operator new/delete
// from a libstdc++ macro, and translation units that see it differently mix the two
// (AddressSanitizer: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
// clang-format on
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "config/config.h"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace tg::transport {

using TlsContextPtr = std::shared_ptr<asio::ssl::context>;

// What an outbound TLS connection checks: who the peer should be and how.
struct TlsPeer {
  std::string label;       // "provider 'carrier-a'", for log lines
  std::string serverName;  // SNI (names only) and the name or IP its certificate must carry
  bool verify = true;
  TlsContextPtr context;
};

struct TlsContextResult {
  TlsContextPtr context;  // nullptr on failure
  std::string error;      // names the file and OpenSSL's reason
};

class TicketKeyRing;

// The listeners' context: certificate, key, optional client-certificate CA; session tickets
// sealed with `ring` (nullptr: TicketKeyRing::process()).
TlsContextResult makeServerTlsContext(const config::TlsSettings& settings,
                                      TicketKeyRing* ring = nullptr);
// A client context: `peer` null means the system store plus settings.caFile (the PBX, or an
// address no provider claims).
TlsContextResult makeClientTlsContext(const config::TlsSettings& settings,
                                      const config::ProviderTls* peer);

// A BIO on a non-blocking socket the caller owns (never closed by OpenSSL): recv/send with
// MSG_NOSIGNAL, so a peer that resets cannot raise SIGPIPE.
BIO* newSocketBio(int fd);

// Sets SNI and the expected host name (or IP) on a fresh client SSL; false on failure.
bool prepareClientSsl(SSL* ssl, const TlsPeer& peer);

// Why the last handshake on `ssl` failed: the certificate verification error when there was
// one (e.g. "certificate verify failed: hostname mismatch"), otherwise `fallback`.
std::string handshakeFailureReason(SSL* ssl, const std::string& fallback, bool* verifyFailed);

}  // namespace tg::transport
