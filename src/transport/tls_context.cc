#include "transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/address.h"
#include "base/openssl_error.h"
#include "transport/tls_ticket_keys.h"

namespace tg::transport {
namespace {

// Mozilla "intermediate" TLS 1.2 suites: forward secret AEAD only. TLS 1.3 suites are
// OpenSSL's defaults, all of which are modern.
constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// One context object: the version floor, ciphers and options every side shares.
TlsContextResult baseContext(const config::TlsSettings& settings, bool server) {
  TlsContextResult out;
  SSL_CTX* raw = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (raw == nullptr) {
    out.error = "cannot create a TLS context: " + base::lastOpensslError();
    return out;
  }
  auto ctx = std::make_shared<asio::ssl::context>(raw);  // takes ownership
  SSL_CTX* c = ctx->native_handle();
  const int floor =
      settings.minVersion == config::TlsVersion::k13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(c, floor);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  // No compression (CRIME), no renegotiation (a CPU lever for an attacker).
  SSL_CTX_set_options(
      c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Partial writes keep the queue's bookkeeping simple; a retried write may come from a moved
  // buffer. Read-ahead takes whole socket reads instead of a header and then a body.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(c, 1);
  const std::string& ciphers = settings.ciphers.empty() ? kDefaultCiphers : settings.ciphers;
  if (SSL_CTX_set_cipher_list(c, ciphers.c_str()) != 1) {
    out.error = "tls.ciphers '" + ciphers + "': " + base::lastOpensslError();
    return out;
  }
  out.context = std::move(ctx);
  return out;
}

bool loadPair(SSL_CTX* c, const std::string& certificate, const std::string& key,
              std::string& error) {
  if (SSL_CTX_use_certificate_chain_file(c, certificate.c_str()) != 1) {
    error = "cannot load certificate '" + certificate + "': " + base::lastOpensslError();
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(c, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load private key '" + key + "': " + base::lastOpensslError();
    return false;
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    ERR_clear_error();
    error = "private key '" + key + "' does not match certificate '" + certificate + "'";
    return false;
  }
  return true;
}

int bioWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(BIO_get_fd(bio, nullptr), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

int bioRead(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(BIO_get_fd(bio, nullptr), data, static_cast<size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(n);
}

// OpenSSL's socket BIO with send/recv in place of write/read (its write() raises SIGPIPE).
const BIO_METHOD* socketMethod() {
  static const BIO_METHOD* method = [] {
    const BIO_METHOD* base = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "trunkguard socket");
    BIO_meth_set_write(m, bioWrite);
    BIO_meth_set_read(m, bioRead);
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base));
    BIO_meth_set_create(m, BIO_meth_get_create(base));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(base));
    return m;
  }();
  return method;
}

}  // namespace

BIO* newSocketBio(int fd) {
  BIO* bio = BIO_new(socketMethod());
  if (bio != nullptr) BIO_set_fd(bio, fd, BIO_NOCLOSE);
  return bio;
}

TlsContextResult makeServerTlsContext(const config::TlsSettings& settings, TicketKeyRing* ring) {
  TlsContextResult out = baseContext(settings, true);
  if (!out.context) return out;
  SSL_CTX* c = out.context->native_handle();
  if (!loadPair(c, settings.certificate, settings.privateKey, out.error)) {
    out.context.reset();
    return out;
  }
  if (!settings.caFile.empty()) {
    // Mutual TLS on the listeners: only peers with a certificate from this CA get in.
    if (SSL_CTX_load_verify_locations(c, settings.caFile.c_str(), nullptr) != 1) {
      out.error = "cannot load tls.ca_file '" + settings.caFile + "': " + base::lastOpensslError();
      out.context.reset();
      return out;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Session tickets let a reconnecting phone or provider skip the full handshake; their keys
  // are the process's ring (every worker, every reload), rotated on a timer.
  TicketKeyRing::install(c, ring != nullptr ? *ring : TicketKeyRing::process());
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSessionId[] = "trunkguard";
  SSL_CTX_set_session_id_context(c, kSessionId, sizeof(kSessionId) - 1);
  return out;
}

TlsContextResult makeClientTlsContext(const config::TlsSettings& settings,
                                      const config::ProviderTls* peer) {
  TlsContextResult out = baseContext(settings, false);
  if (!out.context) return out;
  SSL_CTX* c = out.context->native_handle();
  const std::string& caFile = peer != nullptr ? peer->caFile : settings.caFile;
  if (!caFile.empty()) {
    if (SSL_CTX_load_verify_locations(c, caFile.c_str(), nullptr) != 1) {
      out.error = "cannot load ca_file '" + caFile + "': " + base::lastOpensslError();
      out.context.reset();
      return out;
    }
  } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
    out.error = "cannot load the system CA store: " + base::lastOpensslError();
    out.context.reset();
    return out;
  }
  const bool verify = peer == nullptr || peer->verify;
  SSL_CTX_set_verify(c, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (peer != nullptr && !peer->clientCertificate.empty() &&
      !loadPair(c, peer->clientCertificate, peer->clientPrivateKey, out.error)) {
    out.context.reset();
    return out;
  }
  return out;
}

bool prepareClientSsl(SSL* ssl, const TlsPeer& peer) {
  const std::string& name = peer.serverName;
  if (name.empty()) return true;
  const bool isIp = base::Address::parse(name, 0).has_value();
  // RFC 6066 §3: SNI carries host names only, never IP literals.
  if (!isIp && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  if (!peer.verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (isIp) return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
}

std::string handshakeFailureReason(SSL* ssl, const std::string& fallback, bool* verifyFailed) {
  const long result = SSL_get_verify_result(ssl);
  ERR_clear_error();
  if (result != X509_V_OK) {
    if (verifyFailed != nullptr) *verifyFailed = true;
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
  }
  if (verifyFailed != nullptr) *verifyFailed = false;
  return fallback;
}

}  // namespace tg::transport
