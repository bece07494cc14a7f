#pragma once

// One worker: its transport, transaction layer, B2BUA, guard and trunk services, wired to the
// inbound path (inbound_path.h: the stages a packet meets, in order) and to the other workers
// (worker_plumbing.h). Outgoing bytes leave through send()/sendResponse(): the guard hears the
// code of every final response, then a TCP or TLS write hops to the worker owning the
// connection. Runs entirely on one io_context thread.

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/inbound_path.h"
#include "app/worker_plumbing.h"
#include "auth/auth_service.h"
#include "b2bua/b2bua.h"
#include "b2bua/bindings.h"
#include "b2bua/live_call_checks.h"
#include "base/clock.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "guard/guard.h"
#include "transaction/transaction_layer.h"
#include "transport/transport_manager.h"
#include "trunk/trunk_services.h"

namespace tg::app {

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

class Gateway final : public transaction::Sender, public Worker {
 public:
  Gateway(asio::io_context& io, config::ConfigPtr config, db::CdrStore* cdrs,
          const base::Clock& clock = base::SystemClock::instance(), Shard shard = {},
          GuardDeps guard = {});
  ~Gateway() override;

  // The other workers (indexed by shard), set once before start() when there are several.
  // The workers then share the first one's connection directory, so each finds and reuses the
  // others' TCP/TLS connections.
  void setPeers(std::vector<Gateway*> peers);
  asio::io_context& io() override { return io_; }

  // Binds every listener and starts health checks; returns an error message on failure.
  std::string start();
  void stop();
  // Applies a new configuration to what can change live (providers, PBX targets, allowed
  // sources, B2BUA settings, message limits); listener, timer and TCP changes need a restart
  // (logged). Live calls with a peer the new zone ACL no longer allows are ended.
  // `acl` is the new config's ACL (shared by the workers); null builds one.
  void reload(config::ConfigPtr config, std::shared_ptr<const guard::acl::ZoneAcl> acl = nullptr);

  b2bua::B2bua& b2bua() { return b2bua_; }
  // The worker's timers (its thread only, or before it runs).
  base::TimerQueue& timers() { return timers_; }
  transport::TransportManager& transport() { return *transport_; }
  const GatewayStats& stats() const { return path_.stats(); }
  const guard::Guard& guard() const { return guard_; }
  guard::Guard& guard() { return guard_; }
  // Where the transport hands each packet (tests feed it directly).
  InboundPath& inbound() { return path_; }
  const transaction::TransactionLayer& transactions() const { return layer_; }
  const transaction::LargeRequestStats& largeRequestStats() const { return largeRequests_.stats(); }
  // Provider DNS and (on worker 0) registration: src/trunk/.
  trunk::TrunkServices& trunk() { return *trunk_; }
  // The configuration this worker runs (reload() replaces it on the worker's thread).
  const config::ConfigPtr& config() const { return config_; }

  // transaction::Sender: every outgoing message of this worker.
  void send(const transport::SendTarget& target, std::string bytes) override;
  void sendResponse(const transport::SendTarget& target, int status, std::string bytes) override;

  // Worker: what the other workers (and this worker's inbound path) call on its thread.
  void receive(std::unique_ptr<sip::Message> message, const transport::Packet& packet,
               bool handedOver) override;
  bool knowsDialog(transport::Zone zone, std::string_view callId,
                   std::string_view tag) const override;
  void sendOnOwnConnection(const transport::SendTarget& target, std::string bytes) override;
  void onSendError(const transport::SendTarget& target) override;

  // Runs `task` posted to this worker from elsewhere (a shared store's answer), then arms the
  // timers it may have scheduled (a resumed call's INVITE). On this worker's thread.
  void runPosted(const std::function<void()>& task) {
    task();
    timerBridge_.arm();
  }

 private:
  // Once a second: the guard's housekeeping and its load sample for overload shedding, and the
  // live calls of banned peers and locked accounts ended.
  void scheduleHousekeeping();

  asio::io_context& io_;
  config::ConfigPtr config_;
  const base::Clock& clock_;
  base::TimerQueue timers_;
  TimerBridge timerBridge_;
  WorkerPeers peers_;
  std::unique_ptr<transport::TransportManager> transport_;
  b2bua::B2bua b2bua_;
  transaction::LargeRequests largeRequests_;  // RFC 3261 §18.1.1, for layer_
  transaction::TransactionLayer layer_;
  std::unique_ptr<guard::BanList> ownBans_;  // when GuardDeps gave none
  guard::Guard guard_;
  InboundPath path_;
  b2bua::LiveCallChecks liveCalls_;  // calls of banned peers, locked accounts, reloads
  base::TimePoint lastSample_{};
  bool stopped_ = false;
  bool handedOverNow_ = false;                   // receive() runs a message another worker received
  std::unique_ptr<trunk::TrunkServices> trunk_;  // after layer_: it sends through it
};

}  // namespace tg::app
