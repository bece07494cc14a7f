#include "audit/tls_probe.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/openssl_error.h"

namespace tg::audit {
namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

}  // namespace

int connectTcp(const base::Address& a, std::chrono::milliseconds timeout, std::string* error) {
  const int fd = ::socket(a.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, a.sockaddrPtr(), a.sockaddrLen());
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
    int soError = rc == 0 ? 0 : ETIMEDOUT;
    socklen_t len = sizeof soError;
    if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError != 0) {
      errno = soError;
      rc = -1;
    }
  }
  if (rc != 0) {
    *error = "connect to " + a.toString() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, flags);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

namespace {

std::unique_ptr<SSL_CTX, CtxFree> contextFor(TlsProbeKind kind, const TlsProbeSettings& s) {
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  switch (kind) {
    case TlsProbeKind::kModern:
      SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // result read, not enforced
      if (s.caFile.empty()) {
        SSL_CTX_set_default_verify_paths(ctx.get());
      } else {
        SSL_CTX_load_verify_locations(ctx.get(), s.caFile.c_str(), nullptr);
      }
      break;
    case TlsProbeKind::kTls12:
      SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
      break;
    case TlsProbeKind::kTls10:
    case TlsProbeKind::kTls11: {
      const int v = kind == TlsProbeKind::kTls10 ? TLS1_VERSION : TLS1_1_VERSION;
      SSL_CTX_set_security_level(ctx.get(), 0);  // else OpenSSL 3 refuses to offer them
      SSL_CTX_set_min_proto_version(ctx.get(), v);
      SSL_CTX_set_max_proto_version(ctx.get(), v);
      SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
      break;
    }
    case TlsProbeKind::kWeakCipher:
      SSL_CTX_set_security_level(ctx.get(), 0);
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
      // Only weak suites are offered: a completed handshake means the server took one.
      if (SSL_CTX_set_cipher_list(ctx.get(),
                                  "eNULL:aNULL:RC4:DES:3DES:EXPORT:LOW:MD5:@SECLEVEL=0") != 1) {
        ctx.reset();
      }
      break;
  }
  return ctx;
}

}  // namespace

TlsProbeResult probeTls(const base::Address& address, TlsProbeKind kind,
                        const TlsProbeSettings& settings) {
  TlsProbeResult r;
  auto ctx = contextFor(kind, settings);
  if (!ctx) {
    r.error = "this OpenSSL cannot offer the ciphers of this probe";
    return r;
  }
  const int fd = connectTcp(address, settings.timeout, &r.error);
  if (fd < 0) return r;
  r.connected = true;
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  if (!settings.serverName.empty()) {
    // An IP literal is checked against the certificate's IP entries and never sent as SNI
    // (RFC 6066 section 3); a name is both.
    const bool literal = base::Address::parse(settings.serverName, 0).has_value();
    if (!literal) SSL_set_tlsext_host_name(ssl.get(), settings.serverName.c_str());
    if (kind == TlsProbeKind::kModern) {
      if (literal) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), settings.serverName.c_str());
      } else {
        SSL_set1_host(ssl.get(), settings.serverName.c_str());
      }
    }
  }
  ERR_clear_error();
  if (SSL_connect(ssl.get()) == 1) {
    r.handshake = true;
    r.protocol = SSL_get_version(ssl.get());
    r.cipher = SSL_get_cipher_name(ssl.get());
    if (kind == TlsProbeKind::kModern) {
      const long verify = SSL_get_verify_result(ssl.get());
      if (verify != X509_V_OK) r.verifyError = X509_verify_cert_error_string(verify);
      if (X509* cert = SSL_get1_peer_certificate(ssl.get())) {
        int days = 0;
        int seconds = 0;
        if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1) {
          r.certificateDaysLeft = days;
        }
        X509_free(cert);
      }
    }
    SSL_shutdown(ssl.get());
  } else {
    r.error = base::lastOpensslError();
    if (r.error.empty()) r.error = "handshake failed (connection closed)";
  }
  ssl.reset();
  ::close(fd);
  return r;
}

}  // namespace tg::audit
