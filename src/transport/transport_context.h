#pragma once

// State the manager shares with its listeners and connections. It lives in the manager and is
// used only on the io thread. A listener or connection touches it only while open: once closed
// it may outlive the manager inside handlers still queued on the io_context.

// A standard header before asio: asio 1.22 chooses aligned_alloc/free or operator new/delete
// from a libstdc++ macro, and translation units that see it differently mix the two
// (AddressSanitizer: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
// clang-format on
#include <asio/io_context.hpp>
#include <chrono>

#include "base/clock.h"
#include "sip/stream_framer.h"
#include "transport/capture_tap.h"
#include "transport/transport.h"

namespace tg::transport {

struct TransportContext {
  asio::io_context& io;
  const base::Clock& clock;
  PacketHandler onPacket;
  size_t maxMessageBytes;
  sip::FramerLimits framerLimits;
  size_t maxQueuedBytesPerConnection;
  std::chrono::milliseconds tlsHandshakeTimeout;
  // How many workers bind each UDP port (config `workers`): the size of its reuseport group.
  uint32_t udpGroupSize = 1;
  TransportStats stats;
  uint64_t tlsResumed = 0;        // inbound handshakes that resumed a session
  CaptureTap* capture = nullptr;  // SIP capture; null while off (set before start())
};

}  // namespace tg::transport
