#include "sip/via.h"

#include "sip/host.h"
#include "sip/scan.h"

namespace tg::sip {
namespace {

inline constexpr CharTable kSentByChars = CharTable::allBut("; \t\r\n");

// Reads a token preceded by optional LWS, advancing pos.
std::string_view readToken(std::string_view s, size_t& pos) {
  while (pos < s.size() && isLws(s[pos])) ++pos;
  const size_t start = pos;
  pos = skipWhile(s, pos, kTokenChars);
  return s.substr(start, pos - start);
}

bool expectSlash(std::string_view s, size_t& pos) {
  while (pos < s.size() && isLws(s[pos])) ++pos;
  if (pos == s.size() || s[pos] != '/') return false;
  ++pos;
  return true;
}

}  // namespace

bool Via::hasMagicCookie() const {
  const std::string_view b = branch();
  return b.size() > kBranchMagicCookie.size() &&
         b.substr(0, kBranchMagicCookie.size()) == kBranchMagicCookie;
}

std::string_view parseVia(std::string_view element, Via& via) {
  via = Via{};
  size_t pos = 0;
  via.protocolName = readToken(element, pos);
  if (via.protocolName.empty() || !expectSlash(element, pos)) return "malformed Via sent-protocol";
  via.protocolVersion = readToken(element, pos);
  if (via.protocolVersion.empty() || !expectSlash(element, pos)) {
    return "malformed Via sent-protocol";
  }
  via.transport = readToken(element, pos);
  if (via.transport.empty()) return "missing Via transport";
  if (pos == element.size() || !isLws(element[pos])) return "missing Via sent-by";
  while (pos < element.size() && isLws(element[pos])) ++pos;

  // sent-by runs to the first ';' (or LWS before it); IPv6 references contain ':' but no ';'.
  const size_t sentByStart = pos;
  pos = skipWhile(element, pos, kSentByChars);
  std::string_view sentBy = element.substr(sentByStart, pos - sentByStart);
  // LWS is allowed around the ':' of sent-by only in theory; nobody sends it, so we refuse it.
  auto hp = parseHostPort(sentBy);
  if (!hp) return "malformed Via sent-by";
  via.host = hp->host;
  via.hostType = hp->hostType;
  via.port = hp->port;
  via.hasPort = hp->hasPort;

  if (!ParamList::parse(element.substr(pos), true, via.params).empty()) {
    return "malformed Via parameters";
  }
  // A branch must have a value; an empty "branch=" is already refused by ParamList.
  if (via.params.has(KnownParam::kBranch) && via.branch().empty()) {
    return "Via branch without a value";
  }
  return {};
}

Result<Via> parseVia(std::string_view element) {
  Via via;
  if (std::string_view err = parseVia(element, via); !err.empty()) return Error{err};
  return via;
}

}  // namespace tg::sip
