// Parses the input as credentials and as a challenge: neither may crash or read outside the
// input, every view must point into it, and whatever parses must format to text that parses
// again to the same fields (and formats to the same text: formatting is a fixed point).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/auth_header.h"

namespace {

using tg::sip::AuthValue;
using tg::sip::Challenge;
using tg::sip::Credentials;
using tg::sip::UnknownAuthParams;

void check(bool condition) {
  if (!condition) std::abort();
}

void checkInside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  check(part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void checkValue(const AuthValue& v, std::string_view input) {
  checkInside(v.text, input);
  check(v.present || v.text.empty());
  check(v.text.size() <= tg::sip::kMaxAuthValueSize);
  check(v.equals(v.str()));
}

void checkUnknown(const UnknownAuthParams& params, std::string_view input) {
  check(params.size() <= tg::sip::kMaxUnknownAuthParams);
  for (const auto& p : params) {
    checkInside(p.name, input);
    checkValue(p.value, input);
    check(params.find(p.name) != nullptr);
  }
}

void checkSame(const AuthValue& a, const AuthValue& b) {
  check(a.present == b.present);
  check(a.str() == b.str());
}

void checkSame(const UnknownAuthParams& a, const UnknownAuthParams& b) {
  check(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    check(a[i].name == b[i].name);
    checkSame(a[i].value, b[i].value);
  }
}

void checkCredentials(const Credentials& c, std::string_view input) {
  checkInside(c.scheme, input);
  checkInside(c.rawParams, input);
  for (const AuthValue* v : {&c.username, &c.realm, &c.nonce, &c.uri, &c.response, &c.algorithm,
                             &c.cnonce, &c.opaque, &c.qop, &c.nc}) {
    checkValue(*v, input);
  }
  check(!c.nc.present || c.nc.text.size() == 8);
  checkUnknown(c.unknown, input);
  (void)c.missingRequired();

  const std::string formatted = tg::sip::formatCredentials(c);
  auto again = tg::sip::parseCredentials(std::string_view(formatted));
  check(again.ok());
  check(again->scheme == c.scheme);
  check(again->isDigest() == c.isDigest());
  if (!c.isDigest()) {
    check(again->rawParams == c.rawParams);
  }
  checkSame(c.username, again->username);
  checkSame(c.realm, again->realm);
  checkSame(c.nonce, again->nonce);
  checkSame(c.uri, again->uri);
  checkSame(c.response, again->response);
  checkSame(c.algorithm, again->algorithm);
  checkSame(c.cnonce, again->cnonce);
  checkSame(c.opaque, again->opaque);
  checkSame(c.qop, again->qop);
  checkSame(c.nc, again->nc);
  check(c.userhash == again->userhash);
  checkSame(c.unknown, again->unknown);
  check(tg::sip::formatCredentials(*again) == formatted);
}

void checkChallenge(const Challenge& ch, std::string_view input) {
  checkInside(ch.scheme, input);
  checkInside(ch.rawParams, input);
  for (const AuthValue* v :
       {&ch.realm, &ch.domain, &ch.nonce, &ch.opaque, &ch.algorithm, &ch.qop}) {
    checkValue(*v, input);
  }
  checkUnknown(ch.unknown, input);
  (void)ch.missingRequired();
  (void)ch.offersQop("auth");
  (void)ch.offersQop("auth-int");

  const std::string formatted = tg::sip::formatChallenge(ch);
  auto again = tg::sip::parseChallenge(std::string_view(formatted));
  check(again.ok());
  check(again->scheme == ch.scheme);
  check(again->isDigest() == ch.isDigest());
  if (!ch.isDigest()) {
    check(again->rawParams == ch.rawParams);
  }
  checkSame(ch.realm, again->realm);
  checkSame(ch.domain, again->domain);
  checkSame(ch.nonce, again->nonce);
  checkSame(ch.opaque, again->opaque);
  checkSame(ch.algorithm, again->algorithm);
  checkSame(ch.qop, again->qop);
  check(ch.stale == again->stale);
  check(ch.userhash == again->userhash);
  checkSame(ch.unknown, again->unknown);
  check(again->offersQop("auth") == ch.offersQop("auth"));
  check(tg::sip::formatChallenge(*again) == formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto credentials = tg::sip::parseCredentials(input);
  if (credentials) {
    checkCredentials(*credentials, input);
  } else {
    check(!credentials.error().empty());
  }
  auto challenge = tg::sip::parseChallenge(input);
  if (challenge) {
    checkChallenge(*challenge, input);
  } else {
    check(!challenge.error().empty());
  }
  (void)tg::sip::unquote(input);
  return 0;
}
