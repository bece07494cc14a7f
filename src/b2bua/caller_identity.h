#pragma once

// The caller's privacy (RFC 3323) and identity (RFC 3325) on a new INVITE, and what the B leg
// says about the caller.
//
// Anonymity hides the identity from the far end; it never replaces checking it. So a
// `Privacy: id` on an INVITE with a real From user leaves that From user the identity the call
// carries (the call policy checks it against the own numbers); only a From that names nobody
// (RFC 3323 §4.1.1.3 "Anonymous" <sip:anonymous@anonymous.invalid>) carries no identity of
// its own, and then the P-Asserted-Identity is the one checked. Toward a provider (a trusted
// peer in the RFC 3325 sense) an anonymous call leaves with the anonymous From, Privacy: id
// and the checked identity in P-Asserted-Identity, for the provider to use and withhold.
// A Privacy header that does not parse is the sender's error (400), not a wish for anonymity.

#include <string>
#include <string_view>

#include "sip/message.h"

namespace tg::b2bua {

struct CallerPrivacy {
  bool malformed = false;      // a Privacy header that does not parse: answer 400
  bool hideIdentity = false;   // Privacy: id, or an anonymous From
  bool anonymousFrom = false;  // the From names nobody: it carries no identity to check
};
CallerPrivacy callerPrivacyOf(const sip::Message& invite);

// The first user of a P-Asserted-Identity (sip or tel URI); empty when absent or malformed.
std::string assertedUserOf(const sip::Message& invite);

// From, and for an anonymous call toward a provider P-Asserted-Identity and Privacy, of the B
// leg's INVITE.
struct OutgoingIdentity {
  std::string from;      // without tag
  std::string asserted;  // P-Asserted-Identity value; empty: none
  std::string privacy;   // Privacy value; empty: none
};
// `assertedUser`: the user of the INVITE's P-Asserted-Identity (empty when none).
// `callerIdRewrite`: the call policy's replacement caller ID (empty when none). `localHost`:
// the host of our URIs on the B leg. `towardProvider`: the B leg goes to a provider.
OutgoingIdentity outgoingIdentity(const sip::Message& invite, std::string_view assertedUser,
                                  std::string_view callerIdRewrite, std::string_view localHost,
                                  bool towardProvider);

// Toward the PBX, what STIR/SHAKEN verification found (identity filter): `;verstat=` on the
// From's user part, as carriers send it ("sip:+12155551212;verstat=TN-Validation-Passed@..."),
// and `tag` (e.g. "SPAM? ") in front of the display name. Empty values change nothing.
void markVerification(OutgoingIdentity& identity, std::string_view verstat, std::string_view tag);

}  // namespace tg::b2bua
