#include "auth/authenticator.h"

#include "sip/uri.h"

namespace tg::auth {

bool digestUriMatches(std::string_view digestUri, std::string_view requestUri) {
  if (digestUri.empty() || requestUri.empty()) return false;
  if (digestUri == requestUri) return true;
  sip::Uri a;
  sip::Uri b;
  if (!sip::parseUri(digestUri, a).empty() || !sip::parseUri(requestUri, b).empty()) return false;
  return a.isSipOrSips() && b.isSipOrSips() && sip::uriEquivalent(a, b);
}

GatewayAuthenticator::GatewayAuthenticator(const AccountDirectory& accounts, DigestServer& digest,
                                           Lockout& lockout, const PasswordPolicy& policy,
                                           const base::Clock& clock,
                                           AlgorithmPreferences* algorithms)
    : accounts_(accounts),
      digest_(digest),
      lockout_(lockout),
      policy_(policy),
      clock_(clock),
      algorithms_(algorithms) {}

int GatewayAuthenticator::challengeStatus(std::string_view method) {
  return method == "REGISTER" ? 401 : 407;
}

std::string_view GatewayAuthenticator::challengeHeader(std::string_view method) {
  return method == "REGISTER" ? "WWW-Authenticate" : "Proxy-Authenticate";
}

std::string_view GatewayAuthenticator::credentialsHeader(std::string_view method) {
  return method == "REGISTER" ? "Authorization" : "Proxy-Authorization";
}

AuthDecision GatewayAuthenticator::challenge(const AuthRequest& request, bool stale,
                                             DigestCheck check, bool unanswered) const {
  AuthDecision d;
  d.action = AuthDecision::Action::kChallenge;
  d.status = challengeStatus(request.method);
  d.reasonPhrase = d.status == 401 ? "Unauthorized" : "Proxy Authentication Required";
  d.challengeHeader = challengeHeader(request.method);
  d.challenges = algorithms_ == nullptr
                     ? digest_.challenges(request.source, stale)
                     : digest_.challenges(request.source, stale,
                                          algorithms_->challengeOrder(
                                              request.claimedUser, request.userAgent, unanswered));
  d.check = check;
  return d;
}

AuthDecision GatewayAuthenticator::authenticate(const AuthRequest& request) {
  // The credentials for our realm; a phone may also carry some for other realms.
  std::optional<sip::Credentials> creds;
  bool malformed = false;
  for (std::string_view value : request.credentials) {
    auto parsed = sip::parseCredentials(value);
    if (!parsed) {
      malformed = true;
      continue;
    }
    if (!creds ||
        (parsed->realm.equals(digest_.realm()) && !creds->realm.equals(digest_.realm()))) {
      creds = *parsed;
    }
  }
  if (!creds) {
    if (malformed) {
      AuthDecision d;
      d.action = AuthDecision::Action::kReject;
      d.status = 400;
      d.reasonPhrase = "Malformed Credentials";
      return d;
    }
    return challenge(request, false, DigestCheck::kMalformed, /*unanswered=*/true);
  }
  // Credentials for our realm answer a challenge, whatever their algorithm or outcome.
  if (algorithms_ != nullptr && creds->realm.equals(digest_.realm())) {
    algorithms_->answered(request.claimedUser, request.userAgent);
  }

  const DigestPrecheck pre = digest_.precheck(*creds, request.source);
  switch (pre.status) {
    case DigestCheck::kOk:
      break;
    case DigestCheck::kMalformed: {
      AuthDecision d;
      d.action = AuthDecision::Action::kReject;
      d.status = 400;
      d.reasonPhrase = "Malformed Credentials";
      d.check = pre.status;
      return d;
    }
    case DigestCheck::kWrongRealm:  // credentials for another realm only: ours went unanswered
      return challenge(request, false, pre.status, /*unanswered=*/true);
    default:  // wrong algorithm or qop, a nonce not ours: no password was tried
      return challenge(request, false, pre.status);
  }

  const std::string username = creds->username.str();
  // Checked before the account is looked up, so the answer says nothing about the user; and
  // before verify(), so a replayed answer never spends the nonce-count of the real one.
  if (!digestUriMatches(creds->uri.str(), request.requestUri)) {
    lockout_.recordFailure(username, request.source, request.zone,
                           "digest uri does not match the Request-URI");
    AuthDecision d;
    d.action = AuthDecision::Action::kReject;
    d.status = 400;
    d.reasonPhrase = kDigestUriMismatch;
    d.check = DigestCheck::kMalformed;
    return d;
  }
  // An algorithm this user's list leaves out (from the config alone, so the answer says
  // nothing about the account): no password was tried.
  if (algorithms_ != nullptr && !algorithms_->allows(username, pre.algorithm)) {
    return challenge(request, false, DigestCheck::kUnknownAlgorithm);
  }
  std::shared_ptr<const AccountDirectory::Map> keep;
  const Account* account = accounts_.find(username, keep);
  const bool locked = lockout_.isLocked(username, request.source);
  std::string_view failure;
  if (account == nullptr) {
    failure = "unknown user";
  } else if (locked) {
    failure = "account locked";
  } else if (!account->enabled) {
    failure = "account disabled";
  } else if (account->realm != digest_.realm()) {
    failure = "account belongs to another realm";
  } else if (!account->allowsSource(request.source)) {
    failure = "source not in the account's allowed networks";
  }
  // The same hashing work whatever the reason: the dummy HA1 never matches.
  const std::string& stored = failure.empty() ? account->ha1For(pre.algorithm) : std::string();
  const std::string_view ha1 = stored.empty() ? digest_.dummyHa1(pre.algorithm) : stored;
  const DigestCheck check = digest_.verify(*creds, request.method, pre, ha1);
  if (failure.empty() && check == DigestCheck::kWrongResponse) failure = "wrong password";

  if (!failure.empty()) {
    lockout_.recordFailure(username, request.source, request.zone, failure);
    return challenge(request, false, DigestCheck::kWrongResponse);
  }
  if (check == DigestCheck::kStale || check == DigestCheck::kReplay) {
    return challenge(request, true, check);
  }

  lockout_.recordSuccess(username, request.source);
  AuthDecision d;
  d.check = check;
  d.keep = std::move(keep);
  d.account = account;
  const base::SystemTime now = clock_.wallNow();
  if (policy_.refuses(account->passwordChanged, now)) {
    d.action = AuthDecision::Action::kReject;
    d.status = 403;
    d.reasonPhrase = "Password Expired";
    return d;
  }
  if (!request.callerId.empty() && !account->allowsCallerId(request.callerId)) {
    d.action = AuthDecision::Action::kReject;
    d.status = 403;
    d.reasonPhrase = "Caller ID Not Allowed";
    return d;
  }
  const PasswordAge age = policy_.age(account->passwordChanged, now);
  if (age.status == PasswordAge::Status::kWarn) d.passwordDaysLeft = age.daysLeft;
  d.action = AuthDecision::Action::kAccept;
  d.status = 200;
  d.reasonPhrase = "OK";
  return d;
}

}  // namespace tg::auth
