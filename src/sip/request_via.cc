#include "sip/request_via.h"

#include "sip/message.h"
#include "sip/via.h"

namespace tg::sip {

bool setTopViaTransport(std::string& request, std::string_view transport, std::string_view sentBy) {
  Message m;
  if (!m.parse(request).ok() || !m.isRequest()) return false;
  const HeaderField* field = m.find(HeaderId::kVia);
  if (field == nullptr || m.topVia() == nullptr) return false;
  // The first copy of the value after the request line (a folded Via is not found: refused).
  const size_t firstLine = request.find("\r\n");
  const std::string_view value = field->value;
  const size_t at = request.find(value, firstLine);
  if (firstLine == std::string::npos || at == std::string::npos) return false;
  size_t end = value.find_first_of(";,");
  if (end == std::string_view::npos) end = value.size();
  while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
  std::string replacement = "SIP/2.0/";
  replacement.append(transport);
  replacement.push_back(' ');
  replacement.append(sentBy);
  request.replace(at, end, replacement);
  return true;
}

}  // namespace tg::sip
