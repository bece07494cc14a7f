#pragma once

// One worker's message path (ARCHITECTURE.md): socket -> transport -> zone source check ->
// parse -> validate -> transaction layer -> B2BUA, and back out through the transport. Runs
// entirely on one io_context thread.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "auth/auth_service.h"
#include "b2bua/b2bua.h"
#include "b2bua/bindings.h"
#include "base/clock.h"
#include "base/counters.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "guard/common/report_throttle.h"
#include "guard/guard.h"
#include "sip/validator.h"
#include "transaction/transaction_layer.h"
#include "transport/transport_manager.h"
#include "trunk/trunk_services.h"

namespace tg::app {

#define TG_GATEWAY_COUNTERS(X)                                                             \
  X(received, "messages read from the sockets")                                          \
  X(sourceDropped, "banned, or not allowed in that zone (guard stats say which)")        \
  X(parseDropped, "not SIP at all (nor a STUN keep-alive)")                              \
  X(stunKeepAlives, "STUN Binding requests answered (RFC 5626 keep-alives)")             \
  X(stunDropped, "STUN Binding requests over the rate limit")                            \
  X(rejected, "answered with the validator's code")                                      \
  X(responsesDropped, "malformed responses")                                             \
  X(handedOver, "passed to the worker that owns the call")                               \
  X(guardBlocked, "dropped or answered by the guard chain")

struct GatewayStats {
  TG_GATEWAY_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(GatewayStats, TG_GATEWAY_COUNTERS)
};

// What the workers' guards share (owned by run_command). Null members make private ones,
// built from the config (tests).
struct GuardDeps {
  guard::BanList* bans = nullptr;
  guard::EventSink* events = nullptr;
  std::shared_ptr<const guard::acl::ZoneAcl> acl;
  // Remote phones (public zone): accounts and where registered phones are. Null: no public
  // REGISTER or INVITE is accepted (auth), a private table (bindings).
  auth::AuthService* auth = nullptr;
  b2bua::Bindings* bindings = nullptr;
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
          const base::Clock& clock = base::SystemClock::instance(), Shard shard = {},
          GuardDeps guard = {});
  ~Gateway() override;

  // The other workers (indexed by shard), set once before start() when there are several.
  // The workers then share the first one's connection directory, so each finds and reuses the
  // others' TCP/TLS connections.
  void setPeers(std::vector<Gateway*> peers);
  asio::io_context& io() { return io_; }

  // Binds every listener and starts health checks; returns an error message on failure.
  std::string start();
  void stop();
  // Applies a new configuration to what can change live (providers, PBX targets, allowed
  // sources, B2BUA settings, message limits); listener, timer and TCP changes need a restart
  // (logged).
  // `acl` is the new config's ACL (shared by the workers); null builds one.
  void reload(config::ConfigPtr config, std::shared_ptr<const guard::acl::ZoneAcl> acl = nullptr);

  b2bua::B2bua& b2bua() { return b2bua_; }
  // The worker's timers (its thread only, or before it runs).
  base::TimerQueue& timers() { return timers_; }
  transport::TransportManager& transport() { return *transport_; }
  const GatewayStats& stats() const { return stats_; }
  const guard::Guard& guard() const { return guard_; }
  const transaction::TransactionLayer& transactions() const { return layer_; }
  // Provider DNS and (on worker 0) registration: src/trunk/.
  trunk::TrunkServices& trunk() { return *trunk_; }
  // The configuration this worker runs (reload() replaces it on the worker's thread).
  const config::ConfigPtr& config() const { return config_; }

  void send(const transport::SendTarget& target, std::string bytes) override;

 private:
  void onPacket(transport::Packet&& packet);
  // Continues the path on the owning worker (its own thread).
  void process(std::unique_ptr<sip::Message> message, const transport::Packet& packet);
  void answerStunKeepAlive(const transport::Packet& packet);
  // Runs `verdict` of the guard chain: false when it blocked (answered or dropped).
  bool passedGuard(const guard::Verdict& verdict, const sip::Message& request,
                   const transport::Packet& packet);
  // A request the validator refused: through the guard chain, then answered with its code.
  void rejectMalformed(const sip::Message& request, const transport::Packet& packet,
                       const sip::Verdict& verdict);
  void respondStateless(const sip::Message& request, const transport::Packet& packet, int code,
                        std::string_view reason, uint32_t retryAfterS = 0);
  void armTimer();
  // Once a second: the guard's housekeeping and its load sample for overload shedding.
  void scheduleHousekeeping();

  asio::io_context& io_;
  config::ConfigPtr config_;
  const base::Clock& clock_;
  base::TimerQueue timers_;
  asio::steady_timer wakeup_;
  bool armed_ = false;
  base::TimePoint armedAt_{};
  bool duePosted_ = false;  // a run of already-due timers is posted
  // Handlers posted by this gateway hold a weak reference: they do nothing once it is gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  std::unique_ptr<transport::TransportManager> transport_;
  b2bua::B2bua b2bua_;
  transaction::TransactionLayer layer_;
  std::unique_ptr<guard::BanList> ownBans_;  // when GuardDeps gave none
  guard::Guard guard_;
  base::Duration busy_{};                    // time spent on packets since the last sample
  base::Duration trustedZonesBusy_{};        // of which on the pbx and trunk zones
  base::TimePoint lastSample_{};
  GatewayStats stats_;
  guard::ReportThrottle rejectReports_;  // one log line per source per events.repeat_interval
  bool stopped_ = false;
  Shard shard_;
  std::vector<Gateway*> peers_;
  std::unique_ptr<trunk::TrunkServices> trunk_;  // after layer_: it sends through it
};

}  // namespace tg::app
