// Parses the input as a URI and as a name-addr: neither may crash or read outside the input,
// every view must point into it, and a parsed URI must be equivalent to itself.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/name_addr.h"
#include "sip/uri.h"

namespace {

using tg::sip::Uri;

void check(bool condition) {
  if (!condition) std::abort();
}

void checkInside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  check(part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void checkUri(const Uri& uri, std::string_view input) {
  for (std::string_view part : {uri.schemeText, uri.user, uri.password, uri.host, uri.headers,
                                uri.text, uri.opaque, uri.params.text()}) {
    checkInside(part, input);
  }
  check(tg::sip::uriEquivalent(uri, uri));
  // Exercise the lookups on whatever the parser accepted.
  uri.params.forEach([](const tg::sip::Param& p) { check(!p.name.empty()); });
  (void)uri.hostAddress();
  std::string decoded;
  if (uri.isSipOrSips()) check(tg::sip::unescape(uri.user, decoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto uri = tg::sip::parseUri(input);
  if (uri) {
    check(uri->text == input);
    checkUri(*uri, input);
    // Re-parsing the accepted text gives the same URI.
    auto again = tg::sip::parseUri(uri->text);
    check(again.ok() && tg::sip::uriEquivalent(*uri, *again));
  }
  auto na = tg::sip::parseNameAddr(input);
  if (na) {
    checkUri(na->uri, input);
    checkInside(na->displayName, input);
    checkInside(na->params.text(), input);
    (void)tg::sip::unquoteDisplayName(na->displayName);
    (void)na->tag();
  }
  // Without parameters a bare addr-spec is the URI itself.
  if (uri && na && input.find(';') == std::string_view::npos) {
    check(!na->angleBrackets);
    check(tg::sip::uriEquivalent(*uri, na->uri) && tg::sip::uriEquivalent(na->uri, *uri));
  }
  return 0;
}
