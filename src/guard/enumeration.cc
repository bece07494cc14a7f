#include "guard/enumeration.h"

#include "sip/builder.h"

namespace tg::guard {
namespace {

// "No such destination" in its many spellings, for an authenticated requester.
bool saysNoSuchDestination(int code) {
  switch (code) {
    case 404:
    case 410:
    case 480:
    case 484:
    case 485:
    case 604:
      return true;
    default:
      return code >= 300 && code < 400;  // a redirect names where the user is
  }
}

// Answers that differ between "no such user" and "wrong password" on common PBXs: the
// challenges and refusals as well as every "no such destination".
bool tellsUsersApart(int code) {
  return code == 401 || code == 403 || code == 407 || saysNoSuchDestination(code);
}

EdgeAnswer relay(int code) {
  return {EdgeAnswer::Action::kRelay, code, sip::defaultReasonPhrase(code)};
}

}  // namespace

EdgeAnswer normaliseForEdge(sip::Method method, int code, bool authenticated) {
  if (code < 300) return relay(code);
  const int challengeCode = method == sip::Method::kRegister ? 401 : 407;
  if (!authenticated) {
    if (tellsUsersApart(code)) {
      return {EdgeAnswer::Action::kChallenge, challengeCode,
              sip::defaultReasonPhrase(challengeCode)};
    }
    return relay(code);
  }
  if (code == 401 || code == 407) {
    // The PBX wants credentials of its own as well (it normally trusts the gateway).
    return {EdgeAnswer::Action::kChallenge, code, sip::defaultReasonPhrase(code)};
  }
  if (saysNoSuchDestination(code)) return relay(480);
  return relay(code);
}

}  // namespace tg::guard
