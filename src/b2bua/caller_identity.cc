#include "b2bua/caller_identity.h"

#include "sip/identity_headers.h"
#include "sip/scan.h"

namespace tg::b2bua {

using sip::HeaderId;

CallerPrivacy callerPrivacyOf(const sip::Message& invite) {
  CallerPrivacy out;
  const sip::NameAddr* from = invite.from();
  out.anonymousFrom =
      from != nullptr && (sip::equalsIgnoreCase(from->uri.user, "anonymous") ||
                          sip::equalsIgnoreCase(from->uri.host, "anonymous.invalid"));
  out.hideIdentity = out.anonymousFrom;
  if (invite.has(HeaderId::kPrivacy)) {
    const auto flags = sip::parsePrivacy(invite.value(HeaderId::kPrivacy));
    if (!flags) {
      out.malformed = true;
    } else if ((*flags & sip::kPrivacyId) != 0) {
      out.hideIdentity = true;
    }
  }
  return out;
}

std::string assertedUserOf(const sip::Message& invite) {
  if (!invite.has(HeaderId::kPAssertedIdentity)) return {};
  auto ids = sip::parseAssertedIdentity(invite.value(HeaderId::kPAssertedIdentity));
  if (!ids) return {};
  for (const sip::NameAddr& id : *ids) {
    if (!id.uri.user.empty()) return std::string(id.uri.user);
  }
  return {};
}

OutgoingIdentity outgoingIdentity(const sip::Message& invite, std::string_view assertedUser,
                                  std::string_view callerIdRewrite, std::string_view localHost,
                                  bool towardProvider) {
  const sip::NameAddr* from = invite.from();
  const CallerPrivacy privacy = callerPrivacyOf(invite);
  OutgoingIdentity out;
  if (towardProvider && privacy.hideIdentity) {
    // The identity the policy checked: its rewrite, the From user, or (anonymous From) the
    // asserted one.
    std::string_view identity = callerIdRewrite;
    if (identity.empty()) identity = privacy.anonymousFrom ? assertedUser : from->uri.user;
    out.from = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";
    if (!identity.empty()) {
      out.asserted = "<sip:" + std::string(identity) + "@" + std::string(localHost) + ">";
    }
    // The caller's Privacy as sent when it asks for id; an anonymous From alone asks for it
    // implicitly, and the provider must withhold the asserted identity from the callee.
    const std::string_view asked = invite.value(HeaderId::kPrivacy);
    const auto flags = sip::parsePrivacy(asked);
    out.privacy = flags && (*flags & sip::kPrivacyId) != 0 ? std::string(asked) : "id";
    return out;
  }
  // A rewritten caller ID takes no display name: the one sent with the spoofed number is not
  // ours to vouch for either.
  if (!from->displayName.empty() && callerIdRewrite.empty()) {
    out.from.append(from->displayName);
    out.from.push_back(' ');
  }
  out.from.append("<sip:");
  out.from.append(callerIdRewrite.empty() ? from->uri.user : callerIdRewrite);
  out.from.append("@");
  out.from.append(localHost);
  out.from.append(">");
  return out;
}

void markVerification(OutgoingIdentity& identity, std::string_view verstat, std::string_view tag) {
  std::string& from = identity.from;
  const size_t open = from.find('<');
  if (open == std::string::npos) return;
  if (!verstat.empty()) {
    const size_t at = from.find('@', open);
    if (at != std::string::npos) from.insert(at, ";verstat=" + std::string(verstat));
  }
  if (tag.empty()) return;
  std::string name = from.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  // The tag goes into the quoted string with its own quotes and backslashes escaped (RFC 3261
  // §25.1); a quoted name is already escaped, a token name has neither.
  std::string quoted = "\"";
  for (char ch : tag) {
    if (ch == '"' || ch == '\\') quoted.push_back('\\');
    quoted.push_back(ch);
  }
  quoted += name;
  quoted += "\" ";
  from = quoted + from.substr(open);
}

}  // namespace tg::b2bua
