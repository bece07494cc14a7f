#pragma once

// Owns every listener of one worker (UDP sockets with SO_REUSEPORT and recvmmsg batches; TCP
// acceptors and connections with the stream framer) and routes outbound bytes.

#include <asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "transport/transport.h"

namespace tg::transport {

class TransportManager {
 public:
  TransportManager(asio::io_context& io, const config::Config& config, PacketHandler onPacket,
                   SendErrorHandler onSendError);
  ~TransportManager();

  // Binds every listener of every zone. Returns an error naming the listener on failure
  // (e.g. "trunk listener udp://127.0.0.1:5060: address already in use").
  std::string start();
  // Closes listeners and connections; pending sends are dropped.
  void stop();

  void send(const SendTarget& target, std::string bytes);

  // The listener used to send into `zone` with `transport` (first configured one), or nullptr.
  const LocalEndpoint* localEndpoint(Zone zone, config::TransportKind transport) const;
  std::vector<LocalEndpoint> endpoints() const;

  const TransportStats& stats() const;
  size_t openConnections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tg::transport
