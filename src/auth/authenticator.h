#pragma once

// `public.auth.mode: gateway`: trunkguard itself authenticates every request from the public
// zone before anything reaches the PBX. One call per request; the answer says what to do.
//
// Every way of failing (unknown user, wrong password, disabled account, source outside the
// account's networks, locked account) produces the same answer: a fresh challenge, built the
// same way, after the same hashing work (an unknown user is checked against a dummy HA1). So
// neither svwar (which looks for user-dependent answers) nor svcrack (which looks for the
// password that gets a 200) learns anything once an account is locked.
//
// Thread-safe (DigestServer, Lockout and AccountDirectory are).

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account.h"
#include "auth/algorithm_preferences.h"
#include "auth/digest_server.h"
#include "auth/lockout.h"
#include "auth/password_policy.h"
#include "base/address.h"
#include "transport/transport.h"

namespace tg::auth {

struct AuthRequest {
  std::string_view method;  // "REGISTER", "INVITE", ...
  // The values of the request's Authorization headers (REGISTER) or Proxy-Authorization
  // headers (everything else; see credentialsHeader()). Empty: none sent.
  std::span<const std::string_view> credentials;
  base::Address source;
  transport::Zone zone = transport::Zone::kPublic;
  // The Request-URI as written in the request line. The credentials' uri= must name the same
  // URI (RFC 7616 §3.4.6), so an answer captured for one request cannot be replayed on another.
  std::string_view requestUri;
  // The caller ID the request asserts (the From user of an INVITE), checked against the
  // account's allowed caller IDs; empty: not checked (REGISTER).
  std::string_view callerId;
  // Who the request says it is before any credentials (the To user of a REGISTER, the From
  // user otherwise) and its User-Agent: the key under which the challenge order is learned.
  std::string_view claimedUser;
  std::string_view userAgent;
};

struct AuthDecision {
  enum class Action : uint8_t {
    kAccept,     // authenticated: relay it as `account`
    kChallenge,  // answer `status` with one `challengeHeader` per entry of `challenges`
    kReject,     // answer `status` `reasonPhrase`, no challenge
  };
  Action action = Action::kChallenge;
  int status = 401;
  std::string_view reasonPhrase = "Unauthorized";
  std::string_view challengeHeader = "WWW-Authenticate";
  std::vector<std::string> challenges;
  DigestCheck check = DigestCheck::kMalformed;  // what the digest check found (logs, metrics)
  // kAccept: the account (valid while `keep` is held), and the days until its password expires
  // when inside the warning period (add a Warning header or log it).
  const Account* account = nullptr;
  std::shared_ptr<const AccountDirectory::Map> keep;
  std::optional<int> passwordDaysLeft;
};

// Whether a digest uri= names the Request-URI: the same text, or an equivalent SIP URI
// (RFC 3261 §19.1.4), since a phone may write its uri= with other case or escaping.
bool digestUriMatches(std::string_view digestUri, std::string_view requestUri);
// The reason phrase of the 400 for a mismatch.
inline constexpr std::string_view kDigestUriMismatch = "Digest URI Does Not Match Request-URI";

class GatewayAuthenticator {
 public:
  // Everything must outlive this object. Without `algorithms` every challenge offers the
  // digest server's list in its order.
  GatewayAuthenticator(const AccountDirectory& accounts, DigestServer& digest, Lockout& lockout,
                       const PasswordPolicy& policy, const base::Clock& clock,
                       AlgorithmPreferences* algorithms = nullptr);

  AuthDecision authenticate(const AuthRequest& request);

  // 401 + WWW-Authenticate / Authorization for REGISTER (a registrar), 407 +
  // Proxy-Authenticate / Proxy-Authorization for everything else (a proxy's position).
  static int challengeStatus(std::string_view method);
  static std::string_view challengeHeader(std::string_view method);
  static std::string_view credentialsHeader(std::string_view method);

 private:
  // `unanswered`: the request carried no credentials for our realm (see AlgorithmPreferences).
  AuthDecision challenge(const AuthRequest& request, bool stale, DigestCheck check,
                         bool unanswered = false) const;

  const AccountDirectory& accounts_;
  DigestServer& digest_;
  Lockout& lockout_;
  const PasswordPolicy& policy_;
  const base::Clock& clock_;
  AlgorithmPreferences* algorithms_;
};

}  // namespace tg::auth
