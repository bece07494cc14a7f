#pragma once

// One worker's message path (ARCHITECTURE.md): socket -> transport -> zone source check ->
// parse -> validate -> transaction layer -> B2BUA, and back out through the transport. Runs
// entirely on one io_context thread.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "b2bua/b2bua.h"
#include "base/clock.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "transaction/transaction_layer.h"
#include "transport/transport_manager.h"

namespace tg::app {

struct GatewayStats {
  uint64_t received = 0;
  uint64_t sourceDropped = 0;    // from an address not allowed in that zone
  uint64_t parseDropped = 0;     // not SIP at all
  uint64_t rejected = 0;         // answered with the validator's code
  uint64_t responsesDropped = 0; // malformed responses
  uint64_t handedOver = 0;       // passed to the worker that owns the call
};

// Which worker this gateway is among `count` (see docs/architecture.md "Threads"): every call
// lives on the worker its Call-ID hashes to, on both legs.
struct Shard {
  size_t index = 0;
  size_t count = 1;
};

// The worker that owns every message of a dialog with this Call-ID.
size_t shardOf(std::string_view callId, size_t count);

class Gateway final : public transaction::Sender {
 public:
  Gateway(asio::io_context& io, config::ConfigPtr config, db::CdrStore* cdrs,
          const base::Clock& clock = base::SystemClock::instance(), Shard shard = {});
  ~Gateway() override;

  // The other workers (indexed by shard), set once before start() when there are several.
  void setPeers(std::vector<Gateway*> peers) { peers_ = std::move(peers); }
  asio::io_context& io() { return io_; }

  // Binds every listener and starts health checks; returns an error message on failure.
  std::string start();
  void stop();
  // Applies a new configuration to what can change live (providers, PBX targets, allowed
  // sources, B2BUA settings, message limits); listener, timer and TCP changes need a restart
  // (logged).
  void reload(config::ConfigPtr config);

  b2bua::B2bua& b2bua() { return b2bua_; }
  transport::TransportManager& transport() { return *transport_; }
  const GatewayStats& stats() const { return stats_; }
  const transaction::TransactionLayer& transactions() const { return layer_; }

  void send(const transport::SendTarget& target, std::string bytes) override;

 private:
  void onPacket(transport::Packet&& packet);
  // Continues the path on the owning worker (its own thread).
  void process(std::unique_ptr<sip::Message> message, const transport::Packet& packet);
  bool sourceAllowed(const transport::Packet& packet) const;
  void respondStateless(const sip::Message& request, const transport::Packet& packet, int code,
                        std::string_view reason);
  void armTimer();

  asio::io_context& io_;
  config::ConfigPtr config_;
  base::TimerQueue timers_;
  asio::steady_timer wakeup_;
  bool armed_ = false;
  base::TimePoint armedAt_{};
  std::unique_ptr<transport::TransportManager> transport_;
  b2bua::B2bua b2bua_;
  transaction::TransactionLayer layer_;
  GatewayStats stats_;
  bool stopped_ = false;
  Shard shard_;
  std::vector<Gateway*> peers_;
};

}  // namespace tg::app
