#pragma once

// REGISTER from remote phones (public zone) relayed to the PBX (docs/accounts.md "Remote
// phones"). One per worker, owned by the B2BUA, on its thread.
//
//   phone --REGISTER--> trunkguard --REGISTER (Contact <sip:KEY@gateway>)--> PBX
//   phone <--200 (Contact: the phone's own)-- trunkguard <--200 (Contact KEY)-- PBX
//
// public.auth.mode gateway: the phone answers trunkguard's challenge first (auth::AuthService);
// only an authenticated REGISTER reaches the PBX. Mode pbx: the REGISTER goes on with its
// Authorization (the one header that crosses, and only public -> PBX), the PBX challenges, and
// auth::FailureWatcher counts its refusals; a locked account's credentials are stripped so the
// PBX challenges again, as for a wrong password.
//
// Every final answer to the phone goes through guard::normaliseForEdge: an unknown user and a
// wrong password look the same (a challenge), whatever the PBX said.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/bindings.h"
#include "base/clock.h"
#include "config/config.h"
#include "sip/message.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth

namespace tg::b2bua {

struct RegistrationStats {
  uint64_t challenged = 0;  // answered with trunkguard's own challenge (gateway mode)
  uint64_t relayed = 0;     // REGISTERs sent to the PBX
  uint64_t accepted = 0;    // 2xx relayed back
  uint64_t refused = 0;     // other finals sent to the phone
  uint64_t tooMany = 0;     // over the account's max registrations
};

// Gateway mode, and the PBX challenged a request trunkguard had authenticated: a
// misconfiguration (the PBX should trust the gateway) that costs phones a second round trip.
// Logged at most once a minute per caller, tracked in `lastWarning`.
void warnPbxChallengesInGatewayMode(std::string_view method, std::string_view account,
                                    base::TimePoint now, base::TimePoint& lastWarning);

// Owns the REGISTER transactions it relays, both sides (ownerId: the pending relay).
class RegistrationRelay final : public transaction::TransactionOwner {
 public:
  using LocalEndpointLookup =
      std::function<const transport::LocalEndpoint*(transport::Zone, config::TransportKind)>;

  RegistrationRelay(const base::Clock& clock, LocalEndpointLookup endpoints);

  void attach(transaction::TransactionLayer& layer) { layer_ = &layer; }
  // Both must outlive this object; auth null answers every REGISTER 403 (no accounts).
  void setServices(auth::AuthService* auth, Bindings* bindings) {
    auth_ = auth;
    bindings_ = bindings;
  }
  void setCallIdGenerator(std::function<std::string()> generate) {
    newCallId_ = std::move(generate);
  }
  void updateConfig(config::ConfigPtr config, std::vector<transport::SendTarget> pbxTargets);

  // A REGISTER (out of dialog) from the public zone.
  void onRegister(transaction::ServerTransaction& st);
  // TransactionOwner
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onTerminated(transaction::Transaction& t) override;

  // A challenge that looks like the PBX's last one (fresh nonce), for answers that must not
  // differ from a wrong password. `header` is "WWW-Authenticate" or "Proxy-Authenticate".
  std::string decoyChallenge() const;
  // Remembers the PBX's challenge format (pbx mode), from any response that carries one.
  void notePbxChallenge(const sip::Message& response);

  size_t pending() const { return pending_.size(); }
  const RegistrationStats& stats() const { return stats_; }

 private:
  struct Pending {
    transaction::ServerTransaction* server = nullptr;
    transaction::ClientTransaction* client = nullptr;
    std::string key;  // the binding
    std::string account;
    std::string watcherKey;  // pbx mode: the FailureWatcher's key; "" when not watched
    uint32_t requested = 0;  // expires asked for (0: removal)
  };

  void answer(transaction::ServerTransaction& st, int code, std::string_view reason,
              const std::vector<std::pair<std::string_view, std::string>>& extra = {});
  void relayFinal(Pending& p, const sip::Message& response);
  std::string pbxHost(const transport::SendTarget& target) const;

  const base::Clock& clock_;
  LocalEndpointLookup endpoints_;
  transaction::TransactionLayer* layer_ = nullptr;
  auth::AuthService* auth_ = nullptr;
  Bindings* bindings_ = nullptr;
  config::ConfigPtr config_;
  std::vector<transport::SendTarget> pbxTargets_;
  base::TimePoint lastPbxChallengeWarning_{};  // see warnPbxChallengesInGatewayMode
  std::function<std::string()> newCallId_;
  std::unordered_map<uint64_t, Pending> pending_;
  uint64_t nextId_ = 1;
  std::string pbxChallenge_;  // the PBX's last WWW-Authenticate value (pbx mode)
  RegistrationStats stats_;
};

// The expiry a REGISTER asks for its first Contact: its expires parameter, else the Expires
// header, else 3600 (RFC 3261 §10.2.1.1).
uint32_t requestedExpires(const sip::Message& request);

// `challenge` with a fresh random nonce (and opaque) of the same length: a decoy that looks like
// the PBX's own challenge.
std::string freshChallenge(std::string_view challenge);

// The values of every `id` header (Authorization, Proxy-Authorization, ...), in wire order.
std::vector<std::string_view> headerValues(const sip::Message& m, sip::HeaderId id);

}  // namespace tg::b2bua
