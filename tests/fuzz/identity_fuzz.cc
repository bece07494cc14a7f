// The Identity header and the PASSporT in it, as a provider (or an attacker behind one) sends
// them: parsing and decoding may refuse, never crash, and what decodes must be consistent.
// Also base64url (canonical: decode then encode gives the input back), telephone numbers and
// the Date header, which verification reads from the same request.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "identity/base64url.h"
#include "identity/passport.h"
#include "identity/sip_date.h"
#include "identity/telephone_number.h"
#include "sip/identity_headers.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void checkPassport(std::string_view token) {
  auto p = tg::identity::decodePassport(token);
  if (!p) {
    check(!p.error().empty());
    return;
  }
  check(p->alg == "ES256");
  check(p->signature.size() == 64);
  check(token.substr(0, p->signingInput.size()) == p->signingInput);
  check(token.size() > p->signingInput.size() && token[p->signingInput.size()] == '.');
  check(!p->x5u.empty() && !p->origTn.empty() && !p->destTn.empty() && p->iat > 0);
  check((p->ppt == "shaken") == (p->attest != tg::identity::Attestation::kNone));
  check(p->ppt != "shaken" || p->origid.size() == 36);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto header = tg::sip::parseIdentity(input);
  if (header) checkPassport(header->token);
  checkPassport(input);

  if (auto bytes = tg::identity::decodeBase64Url(input)) {
    check(tg::identity::encodeBase64Url(*bytes) == input);
  }
  if (auto tn = tg::identity::canonicalTn(input, "1")) {
    check(tn->size() >= 3 && tn->size() <= 15);
    check(tn->find_first_not_of("0123456789") == std::string::npos);
    check(tg::identity::canonicalTn("+" + *tn, "1") == tn);  // canonical form is a fixed point
  }
  (void)tg::identity::parseSipDate(input);
  return 0;
}
