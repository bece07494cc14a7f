#include "audit/sip_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "audit/tls_probe.h"
#include "base/openssl_error.h"
#include "transport/tls_context.h"

namespace tg::audit {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct SipStream::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

SipStream::SipStream() = default;

SipStream::~SipStream() {
  if (tls_ && tls_->ssl != nullptr) SSL_shutdown(tls_->ssl);
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool SipStream::open(const base::Address& target, bool tls, const std::string& serverName,
                     milliseconds timeout, std::string* error) {
  fd_ = connectTcp(target, timeout, error);
  if (fd_ < 0) return false;
  sockaddr_storage self{};
  socklen_t len = sizeof self;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &len);
  local_ = base::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&self), len);
  if (!tls) return true;
  tls_ = std::make_unique<Tls>();
  tls_->ctx = SSL_CTX_new(TLS_client_method());
  if (tls_->ctx == nullptr) {
    *error = "TLS: " + base::lastOpensslError();
    return false;
  }
  SSL_CTX_set_min_proto_version(tls_->ctx, TLS1_2_VERSION);
  tls_->ssl = SSL_new(tls_->ctx);
  // recv/send with MSG_NOSIGNAL: a provider that resets the connection cannot raise SIGPIPE.
  BIO* bio = transport::newSocketBio(fd_);
  SSL_set_bio(tls_->ssl, bio, bio);
  if (!serverName.empty() && !base::Address::parse(serverName, 0)) {
    SSL_set_tlsext_host_name(tls_->ssl, serverName.c_str());
  }
  ERR_clear_error();
  if (SSL_connect(tls_->ssl) != 1) {
    *error = "TLS handshake with " + target.toString() + ": " + base::lastOpensslError();
    return false;
  }
  return true;
}

bool SipStream::send(const std::string& text, std::string* error) {
  if (closed_) {
    *error = "the connection was closed";
    return false;
  }
  const int n = tls_ ? SSL_write(tls_->ssl, text.data(), static_cast<int>(text.size()))
                     : static_cast<int>(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL));
  if (n != static_cast<int>(text.size())) {
    *error = std::string("send: ") + (tls_ ? base::lastOpensslError() : std::strerror(errno));
    closed_ = true;
    return false;
  }
  return true;
}

std::optional<std::string> SipStream::next(Clock::time_point until) {
  char buffer[16384];
  while (true) {
    for (sip::Frame f = framer_.next(); f.status != sip::FrameStatus::kNeedMore;
         f = framer_.next()) {
      if (f.status == sip::FrameStatus::kMessage) return std::move(f.message);
      if (f.status == sip::FrameStatus::kError) {
        closed_ = true;
        return std::nullopt;
      }
    }
    if (closed_) return std::nullopt;
    // Bytes OpenSSL already decrypted are not visible to poll().
    if (!tls_ || SSL_pending(tls_->ssl) == 0) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    }
    const int n = tls_ ? SSL_read(tls_->ssl, buffer, sizeof buffer)
                       : static_cast<int>(::recv(fd_, buffer, sizeof buffer, 0));
    if (n <= 0) {
      if (tls_ && SSL_get_error(tls_->ssl, n) == SSL_ERROR_WANT_READ) continue;
      closed_ = true;  // closed by the server, or broken
      continue;
    }
    framer_.append(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

}  // namespace tg::audit
