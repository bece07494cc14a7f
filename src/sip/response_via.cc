#include "sip/response_via.h"

#include "sip/scan.h"
#include "sip/via.h"

namespace tg::sip {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool stampTopVia(std::string& response, const Message& request, std::string_view sourceIp,
                 uint16_t sourcePort) {
  const Via* via = request.topVia();
  const HeaderField* field = request.find(HeaderId::kVia);
  if (via == nullptr || field == nullptr || !via->hasRport() ||
      !via->params.get(KnownParam::kRport).empty()) {
    return false;
  }
  // responseTo copies the Via values verbatim: the first copy after the status line.
  const size_t firstLine = response.find("\r\n");
  if (firstLine == std::string::npos) return false;
  const size_t at = response.find(field->value, firstLine);
  if (at == std::string::npos) return false;
  std::string_view top = field->value.substr(0, field->value.find(','));
  while (!top.empty() && isBlank(top.back())) top.remove_suffix(1);
  // The rport parameter: ";rport" followed by the end, another parameter or white space.
  size_t rport = std::string_view::npos;
  for (size_t p = top.find(';'); p != std::string_view::npos; p = top.find(';', p + 1)) {
    size_t name = p + 1;
    while (name < top.size() && isBlank(top[name])) ++name;
    const size_t after = name + 5;
    if (after <= top.size() && equalsIgnoreCase(top.substr(name, 5), "rport") &&
        (after == top.size() || top[after] == ';' || isBlank(top[after]))) {
      rport = after;
      break;
    }
  }
  if (rport == std::string_view::npos) return false;
  // The end first, so that the rport offset stays valid.
  if (via->received().empty()) {
    response.insert(at + top.size(), ";received=" + std::string(sourceIp));
  }
  response.insert(at + rport, "=" + std::to_string(sourcePort));
  return true;
}

}  // namespace tg::sip
