#pragma once

// Registration of trunkguard to the providers that want it (`auth: {register: true}`): one
// REGISTER dialog per provider, answered challenges (digest_client.h), refresh before expiry,
// and exponential back-off with jitter after failures, failing over across the registrar's
// addresses. The state of each provider is kept for logs and the admin API.
//
// Requests go out through the worker's transaction layer (RegistrationTransport), which owns
// their transactions and hands back their responses by the tag each request was sent with. One
// client runs per process (on worker 0).

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "sip/message.h"
#include "transport/transport.h"
#include "trunk/digest_client.h"
#include "trunk/target_resolver.h"

namespace tg::trunk {

enum class RegistrationState : uint8_t {
  kUnregistered,  // not started, or stopped
  kRegistering,   // REGISTER sent, not registered yet
  kRegistered,
  kRefreshing,  // registered; the refresh is in flight
  kFailed,      // the last attempt failed; waiting to retry
};
std::string_view registrationStateName(RegistrationState s);

struct RegistrationStatus {
  std::string provider;
  RegistrationState state = RegistrationState::kUnregistered;
  std::string lastError;        // empty when the last attempt succeeded
  base::TimePoint expiresAt{};  // while registered
  base::SystemTime expiresAtWall{};
  base::Duration granted{};  // the expiry the registrar granted
  int consecutiveFailures = 0;
  uint64_t successes = 0;
  std::string registrar;  // the address used last
};

// Where REGISTERs go: the transaction layer in the gateway, a recorder in tests.
class RegistrationTransport {
 public:
  virtual ~RegistrationTransport() = default;
  // The outcome comes back through onResponse/onFailure with `ownerTag` (never 0).
  virtual void sendRequest(std::string bytes, std::string_view branch,
                           const transport::SendTarget& target, uint64_t ownerTag) = 0;
  // The local listener for Via and Contact; nullptr when there is none.
  virtual const transport::LocalEndpoint* localEndpoint(transport::Zone zone,
                                                        config::TransportKind transport) = 0;
};

struct RegistrationTiming {
  double refreshFraction = 0.8;                           // refresh at 80% of the expiry
  base::Duration refreshFloor = std::chrono::seconds(5);  // never sooner than this
  base::Duration retryBase = std::chrono::seconds(2);     // first back-off
  base::Duration retryCap = std::chrono::seconds(300);    // back-off ceiling
};

class RegistrationClient {
 public:
  using Resolve = std::function<void(const config::PeerTarget&, TargetResolver::Callback)>;

  RegistrationClient(base::TimerQueue& timers, RegistrationTransport& transport, Resolve resolve,
                     std::function<std::string()> newCallId, uint64_t seed,
                     RegistrationTiming timing = {});
  ~RegistrationClient();

  // The providers to register (start and reload): new or changed ones start now, removed
  // ones stop, unchanged ones carry on.
  void configure(const config::ConfigPtr& config, std::string_view userAgent = "trunkguard");
  void stop();
  // Best effort at shutdown: each live binding is removed (Expires: 0, with the last
  // credentials); nothing is retried or awaited.
  void unregisterAll();

  // Responses and failures of REGISTER transactions, from the RegistrationTransport.
  void onResponse(uint64_t ownerTag, const sip::Message& response);
  void onFailure(uint64_t ownerTag, bool transportError);

  std::vector<RegistrationStatus> status() const;
  // Called on every state change (tests, admin).
  void setOnChange(std::function<void(const RegistrationStatus&)> fn) { onChange_ = std::move(fn); }

  // The delay before refreshing a registration granted for `granted`.
  base::Duration refreshDelay(base::Duration granted) const;
  // The back-off before retry number `failures` (1 = after the first failure), jittered.
  base::Duration backoff(int failures);

 private:
  struct Reg;
  Reg* find(uint64_t ownerTag);
  void attempt(Reg& r);
  void send(Reg& r, std::optional<Authorization> auth);
  void succeed(Reg& r, const sip::Message& response);
  void fail(Reg& r, std::string error, base::Duration retryAfter = {});
  void setState(Reg& r, RegistrationState s);
  void schedule(Reg& r, base::Duration after);

  base::TimerQueue& timers_;
  RegistrationTransport& transport_;
  Resolve resolve_;
  std::function<std::string()> newCallId_;
  std::mt19937_64 rng_;
  RegistrationTiming timing_;
  std::string userAgent_;
  std::vector<std::unique_ptr<Reg>> regs_;
  uint64_t nextSequence_ = 1;
  std::function<void(const RegistrationStatus&)> onChange_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tg::trunk
