#pragma once

// No extension enumeration at the edge: what an untrusted (public-zone) requester may learn from
// the PBX's final answer. svwar tells extensions apart by the answer a PBX gives an unknown user
// (404, 484, 485, 480, 403) next to a known one (401/407 challenge); svcrack by anything but a
// challenge after a wrong password. So for a requester that has not authenticated, every "no"
// becomes the same challenge, and for one that has, every "no such destination" becomes one
// code. Reason phrases are always the standard ones (a PBX's own text can name the user).
//
// A pure function: the B2BUA asks it for each final response it relays to a public-zone A leg.

#include <string_view>

#include "sip/method.h"

namespace tg::guard {

struct EdgeAnswer {
  enum class Action : uint8_t {
    kRelay,      // relay `code` with `reason` (the allowlisted headers and body as usual)
    kChallenge,  // answer `code` with a digest challenge (the PBX's, or one that looks like it)
  };
  Action action = Action::kRelay;
  int code = 0;
  std::string_view reason;  // the standard phrase for `code`
};

// `code`: the PBX's final status to `method`. `authenticated`: the requester proved who it is
// (trunkguard checked its digest, or the PBX accepted its registration from that source).
EdgeAnswer normaliseForEdge(sip::Method method, int code, bool authenticated);

}  // namespace tg::guard
