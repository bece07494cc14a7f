#pragma once

// A copy of every SIP message the transport reads or writes, for SIP capture (HEP export,
// app/capture/). Messages are seen after framing and after TLS: a TLS leg is captured in the
// clear. The tap runs on the worker's io thread, inside the receive or send path, so it must
// only hand the message on (copy into a bounded queue) and never block.

#include <string_view>

#include "base/address.h"
#include "base/clock.h"
#include "config/config.h"

namespace tg::transport {

struct CapturedMessage {
  config::TransportKind transport = config::TransportKind::kUdp;
  base::Address source;
  base::Address destination;
  base::SystemTime when{};
  std::string_view bytes;  // valid only during the call
};

class CaptureTap {
 public:
  virtual ~CaptureTap() = default;
  virtual void capture(const CapturedMessage& message) noexcept = 0;
};

// One call site per direction and transport; nothing to do while capture is off.
inline void tapMessage(CaptureTap* tap, config::TransportKind transport,
                       const base::Address& source, const base::Address& destination,
                       const base::Clock& clock, std::string_view bytes) {
  if (tap == nullptr) return;  // capture off: nothing else per message, not even the time
  tap->capture(CapturedMessage{.transport = transport,
                               .source = source,
                               .destination = destination,
                               .when = clock.wallNow(),
                               .bytes = bytes});
}

}  // namespace tg::transport
