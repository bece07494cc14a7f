#pragma once

// `public.auth.mode: pbx` (pass-through): the PBX challenges remote phones and trunkguard
// relays; this watches the answers to count failures with the same Lockout (and so the same
// locks, bans and events) as gateway mode.
//
// For each request from the public zone that carries credentials, call onRequest() before
// relaying it; when the PBX's final response to it comes back, call onFinalResponse():
//   - 401 / 407 (unless it says stale=true: the nonce aged, the password was right) or 403
//     after credentials: a failure of that username from that source;
//   - 2xx: a success (the account+source failure window is cleared).
// Requests are matched by a caller-chosen transaction key (e.g. the A leg's Call-ID, CSeq
// number and method). Pending requests are capped and time out, so requests the PBX never
// answers cost nothing lasting.
//
// Credentials whose uri= does not name the request's Request-URI (RFC 7616 §3.4.6: an answer
// captured for one request, replayed on another) are a failure at once, and onRequest() says
// kRefuseUriMismatch: answer 400, do not relay. The PBX cannot check this itself, since the
// gateway rewrites the Request-URI on the way.
//
// A locked account must answer exactly like a wrong password. trunkguard cannot build the
// PBX's challenge, so onRequest() says kStripCredentials: relay the request without its
// credentials, and the PBX answers it with a fresh challenge, as it does for a wrong password.
//
// Thread-safe.

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "auth/lockout.h"
#include "base/address.h"
#include "base/clock.h"
#include "guard/common/bounded_table.h"
#include "transport/transport.h"

namespace tg::auth {

class FailureWatcher {
 public:
  enum class Verdict : uint8_t {
    kRelay,              // relay as it is
    kStripCredentials,   // locked: relay without Authorization / Proxy-Authorization
    kRefuseUriMismatch,  // uri= names another Request-URI: answer 400 (kDigestUriMismatch)
  };

  // lockout must outlive this object. Pending requests are forgotten after `pendingLifetime`
  // (64*T1: a transaction cannot live longer) or when more than maxPending wait.
  FailureWatcher(const base::Clock& clock, Lockout& lockout, size_t maxPending = 65536,
                 std::chrono::seconds pendingLifetime = std::chrono::seconds(32));

  // `credentials`: the value of the request's Authorization or Proxy-Authorization header;
  // empty when it has none (then nothing is tracked and the verdict is kRelay).
  // `requestUri`: the request's Request-URI as written.
  Verdict onRequest(std::string_view transactionKey, std::string_view credentials,
                    const base::Address& source, std::string_view requestUri,
                    transport::Zone zone = transport::Zone::kPublic);

  // The PBX's final response to that request. `challenge`: its WWW-Authenticate or
  // Proxy-Authenticate value, if any (stale=true there is not a failure). Provisional
  // responses must not be passed.
  void onFinalResponse(std::string_view transactionKey, int status,
                       std::string_view challenge = {});

  // Drops pending requests past their lifetime (housekeeping).
  void expire();
  size_t pending() const;

 private:
  struct Pending {
    std::string username;
    base::Address source;
    transport::Zone zone = transport::Zone::kPublic;
    base::TimePoint since{};
  };
  struct KeyHash {
    size_t operator()(const std::string& s) const { return std::hash<std::string>()(s); }
  };

  const base::Clock& clock_;
  Lockout& lockout_;
  std::chrono::seconds lifetime_;
  mutable std::mutex mutex_;
  guard::BoundedTable<std::string, Pending, KeyHash> pending_;
};

}  // namespace tg::auth
