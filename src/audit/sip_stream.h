#pragma once

// The connection `audit provider` and `audit pbx` speak SIP over when the target is a TCP or
// TLS trunk: one connection, messages cut by the StreamFramer (RFC 3261 section 18.3). For TLS
// the certificate is not enforced here: the TLS probes (tls_probe.h) judge it; this connection
// only has to carry the SIP probes to the same server.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/address.h"
#include "sip/stream_framer.h"

namespace tg::audit {

class SipStream {
 public:
  SipStream();
  ~SipStream();
  SipStream(const SipStream&) = delete;
  SipStream& operator=(const SipStream&) = delete;

  // TCP connect, then the TLS handshake when `tls` (SNI `serverName` unless it is an address).
  // false with *error. The socket's own address is in local() afterwards.
  bool open(const base::Address& target, bool tls, const std::string& serverName,
            std::chrono::milliseconds timeout, std::string* error);
  bool send(const std::string& text, std::string* error);
  // The next complete message before `until`; nullopt on timeout, close or a broken stream.
  std::optional<std::string> next(std::chrono::steady_clock::time_point until);
  const base::Address& local() const { return local_; }
  bool closed() const { return closed_; }  // by the server, or broken

 private:
  struct Tls;
  int fd_ = -1;
  std::unique_ptr<Tls> tls_;
  sip::StreamFramer framer_;
  bool closed_ = false;
  base::Address local_;
};

}  // namespace tg::audit
