#include "sip/via.h"

#include "sip/host.h"
#include "sip/scan.h"

namespace tg::sip {
namespace {

// Reads a token preceded by optional LWS, advancing pos.
std::string_view readToken(std::string_view s, size_t& pos) {
  while (pos < s.size() && isLws(s[pos])) ++pos;
  const size_t start = pos;
  while (pos < s.size() && isTokenChar(s[pos])) ++pos;
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
  return b.size() > kBranchMagicCookie.size() && b.substr(0, kBranchMagicCookie.size()) ==
                                                     kBranchMagicCookie;
}

Result<Via> parseVia(std::string_view element) {
  Via via;
  size_t pos = 0;
  via.protocolName = readToken(element, pos);
  if (via.protocolName.empty() || !expectSlash(element, pos)) {
    return Error{"malformed Via sent-protocol"};
  }
  via.protocolVersion = readToken(element, pos);
  if (via.protocolVersion.empty() || !expectSlash(element, pos)) {
    return Error{"malformed Via sent-protocol"};
  }
  via.transport = readToken(element, pos);
  if (via.transport.empty()) return Error{"missing Via transport"};
  if (pos == element.size() || !isLws(element[pos])) return Error{"missing Via sent-by"};
  while (pos < element.size() && isLws(element[pos])) ++pos;

  // sent-by runs to the first ';' (or LWS before it); IPv6 references contain ':' but no ';'.
  const size_t sentByStart = pos;
  while (pos < element.size() && element[pos] != ';' && !isLws(element[pos])) ++pos;
  std::string_view sentBy = element.substr(sentByStart, pos - sentByStart);
  // LWS is allowed around the ':' of sent-by only in theory; nobody sends it, so we refuse it.
  auto hp = parseHostPort(sentBy);
  if (!hp) return Error{"malformed Via sent-by"};
  via.host = hp->host;
  via.hostType = hp->hostType;
  via.port = hp->port;
  via.hasPort = hp->hasPort;

  auto params = ParamList::parse(element.substr(pos));
  if (!params) return Error{"malformed Via parameters"};
  via.params = *params;
  // A branch must have a value; an empty "branch=" is already refused by ParamList.
  if (auto branch = via.params.find("branch"); branch && !branch->hasValue) {
    return Error{"Via branch without a value"};
  }
  return via;
}

}  // namespace tg::sip
