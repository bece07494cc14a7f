#pragma once

// What an inbound stream connection did wrong. Each one counts toward its source's ban
// (Guard::streamOffence): a source that keeps failing TLS handshakes or sending garbage costs
// CPU and connection slots, and is banned like a scanner.

#include <cstdint>
#include <string_view>

namespace tg::transport {

enum class StreamOffence : uint8_t {
  kTlsHandshakeFailed,   // garbage, no shared version or cipher, closed mid-handshake
  kTlsHandshakeTimeout,  // stalled past tls.handshake_timeout_ms
  kFramingError,         // bad Content-Length, oversize header, not SIP
  kOversizeMessage,      // over limits.max_message_bytes
};

constexpr std::string_view offenceName(StreamOffence offence) {
  switch (offence) {
    case StreamOffence::kTlsHandshakeFailed:
      return "tls-handshake-failed";
    case StreamOffence::kTlsHandshakeTimeout:
      return "tls-handshake-timeout";
    case StreamOffence::kFramingError:
      return "framing-error";
    case StreamOffence::kOversizeMessage:
      return "oversize-message";
  }
  return "offence";
}

}  // namespace tg::transport
