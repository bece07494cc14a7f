#include "b2bua/pbx_caller.h"

#include <algorithm>

#include "sip/header.h"
#include "sip/identity_headers.h"
#include "sip/scan.h"

namespace tg::b2bua {
namespace {

constexpr size_t kMaxExtension = 64;

// What an account name may hold: it reaches CDRs, events, logs and store keys.
bool plainAccount(std::string_view s) {
  return !s.empty() && s.size() <= kMaxExtension && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.' || c == '+' || c == '*' || c == '#';
  });
}

const config::PbxPeer* peerOf(const config::PbxZone& pbx, const base::Address& source) {
  for (const config::PbxPeer& p : pbx.peers) {
    if (std::any_of(p.sources.begin(), p.sources.end(),
                    [&](const config::Cidr& c) { return c.contains(source); })) {
      return &p;
    }
  }
  return nullptr;
}

}  // namespace

std::string assertedExtensionOf(std::string_view value) {
  if (plainAccount(value)) return std::string(value);
  auto ids = sip::parseAssertedIdentity(value);
  if (!ids) return {};
  for (const sip::NameAddr& id : *ids) {
    if (id.uri.user.empty()) continue;
    return plainAccount(id.uri.user) ? std::string(id.uri.user) : std::string();
  }
  return {};
}

PbxCaller pbxCallerOf(const config::PbxZone& pbx, const base::Address& source,
                      const sip::Message& invite) {
  PbxCaller out;
  const config::PbxPeer* peer = peerOf(pbx, source);
  out.peer = peer != nullptr ? peer->name : "pbx:" + source.ip();
  out.account = out.peer;
  if (peer == nullptr || peer->identityHeader.empty()) return out;
  // The header by id when SIP knows it (P-Asserted-Identity), else by name; exactly once.
  const sip::HeaderId id = sip::headerIdFromName(peer->identityHeader);
  const sip::HeaderField* field = nullptr;
  int seen = 0;
  for (const sip::HeaderField& h : invite.headers()) {
    const bool match = id != sip::HeaderId::kUnknown
                           ? h.id == id
                           : h.id == sip::HeaderId::kUnknown &&
                                 sip::equalsIgnoreCase(h.name, peer->identityHeader);
    if (match && seen++ == 0) field = &h;
  }
  if (seen == 0) {
    out.problem = "no " + peer->identityHeader + " header";
  } else if (seen > 1) {
    out.problem = std::to_string(seen) + " " + peer->identityHeader + " headers";
  } else if (std::string ext = assertedExtensionOf(field->value); ext.empty()) {
    out.problem = "a " + peer->identityHeader + " header naming no extension";
  } else {
    out.account = std::move(ext);
    out.asserted = true;
  }
  return out;
}

}  // namespace tg::b2bua
