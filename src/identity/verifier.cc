#include "identity/verifier.h"

#include <cstdlib>

#include "identity/sip_date.h"
#include "identity/telephone_number.h"
#include "sip/identity_headers.h"

namespace tg::identity {
namespace {

Verification failed(Failure f, std::string detail) {
  Verification v;
  v.verstat = Verstat::kFailed;
  v.failure = f;
  v.detail = std::move(detail);
  return v;
}

Verification failedFor(const Passport& p, Failure f, std::string detail) {
  Verification v = failed(f, std::move(detail));
  v.attest = p.attest;
  v.origid = p.origid;
  v.x5u = p.x5u;
  return v;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  for (const auto& s : list) {
    if (s == value) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out.empty() ? "none" : out;
}

void addTn(std::vector<std::string>& out, const sip::Uri& uri, std::string_view cc) {
  if (auto tn = uriTn(uri, cc)) {
    if (!contains(out, *tn)) out.push_back(*tn);
  }
}

// A PASSporT's tn is already international (RFC 8225 §5.2.1): never given a country code.
std::optional<std::string> passportTn(const std::string& tn) {
  return canonicalTn(!tn.empty() && tn.front() == '+' ? tn : "+" + tn, {});
}

// The claims against the call, once one Identity header decoded.
std::optional<Verification> checkPassport(const Passport& p, const sip::IdentityHeader& header,
                                          const CallFacts& call,
                                          const config::IdentitySettings& settings) {
  if (!header.alg.empty() && header.alg != "ES256")
    return failedFor(p, Failure::kInvalid, "Identity alg parameter is not ES256");
  if (!header.ppt.empty() && header.ppt != p.ppt)
    return failedFor(p, Failure::kInvalid, "Identity ppt parameter differs from the PASSporT's");
  if (!header.info.empty() && header.info != p.x5u)
    return failedFor(p, Failure::kBadInfo, "Identity info differs from the PASSporT's x5u");
  if (p.x5u.compare(0, 8, "https://") != 0)
    return failedFor(p, Failure::kBadInfo, "x5u is not an https URL");

  const int64_t maxAge = settings.maxAge.count();
  if (std::llabs(call.now - p.iat) > maxAge) {
    return failedFor(p, Failure::kStale,
                     "iat is " + std::to_string(call.now - p.iat) + " s from the clock (max " +
                         std::to_string(maxAge) + " s)");
  }
  if (call.date && std::llabs(*call.date - p.iat) > maxAge) {
    return failedFor(p, Failure::kStale,
                     "iat is " + std::to_string(*call.date - p.iat) +
                         " s from the Date header (max " + std::to_string(maxAge) + " s)");
  }

  auto orig = passportTn(p.origTn);
  if (!orig) return failedFor(p, Failure::kInvalid, "orig tn is not a telephone number");
  if (!contains(call.callerTns, *orig)) {
    return failedFor(p, Failure::kInvalid,
                     "orig " + *orig + " is not the caller " + joined(call.callerTns));
  }
  bool destMatches = false;
  std::string dests;
  for (const std::string& tn : p.destTn) {
    auto dest = passportTn(tn);
    if (!dest) return failedFor(p, Failure::kInvalid, "dest tn is not a telephone number");
    destMatches = destMatches || contains(call.calledTns, *dest);
    dests += (dests.empty() ? "" : ",") + *dest;
  }
  if (!destMatches) {
    return failedFor(p, Failure::kInvalid,
                     "dest " + dests + " is not the called " + joined(call.calledTns));
  }
  return std::nullopt;
}

}  // namespace

CallFacts callFactsOf(const sip::Message& request, std::string_view countryCode, int64_t now) {
  CallFacts call;
  call.now = now;
  request.forEach(sip::HeaderId::kIdentity,
                  [&](const sip::HeaderField& f) { call.identityHeaders.push_back(f.value); });
  request.forEach(sip::HeaderId::kPAssertedIdentity, [&](const sip::HeaderField& f) {
    if (auto pai = sip::parseAssertedIdentity(f.value)) {
      for (const auto& na : *pai) addTn(call.callerTns, na.uri, countryCode);
    }
  });
  if (!request.has(sip::HeaderId::kPAssertedIdentity)) {
    if (const sip::NameAddr* from = request.from()) addTn(call.callerTns, from->uri, countryCode);
  }
  if (const sip::Uri* ruri = request.requestUri()) addTn(call.calledTns, *ruri, countryCode);
  if (const sip::NameAddr* to = request.to()) addTn(call.calledTns, to->uri, countryCode);
  if (request.has(sip::HeaderId::kDate))
    call.date = parseSipDate(request.value(sip::HeaderId::kDate));
  return call;
}

ClaimCheck checkClaims(const CallFacts& call, const config::IdentitySettings& settings) {
  ClaimCheck out;
  if (call.identityHeaders.empty()) {
    Verification v;
    v.detail = "no Identity header";
    out.done = v;
    return out;
  }
  // The first SHAKEN (or plain) PASSporT is the caller's; "div" ones (RFC 8946) are skipped.
  std::optional<Verification> firstFailure;
  for (std::string_view value : call.identityHeaders) {
    auto header = sip::parseIdentity(value);
    if (!header) {
      if (!firstFailure) firstFailure = failed(Failure::kInvalid, std::string(header.error()));
      continue;
    }
    if (header->ppt == "div") continue;
    auto passport = decodePassport(header->token);
    if (!passport) {
      if (!firstFailure) firstFailure = failed(Failure::kInvalid, std::string(passport.error()));
      continue;
    }
    if (passport->ppt == "div") continue;
    if (auto problem = checkPassport(*passport, *header, call, settings)) {
      out.done = std::move(*problem);
    } else {
      out.passport = std::move(*passport);
    }
    return out;
  }
  if (firstFailure) {
    out.done = std::move(*firstFailure);
  } else {
    Verification v;
    v.detail = "no SHAKEN PASSporT (only diversion ones)";
    out.done = v;
  }
  return out;
}

Verification checkSignature(const Passport& p, const sip::Result<VerifiedChain>& chain) {
  if (!chain) {
    return failedFor(p, Failure::kUntrusted,
                     "certificate not trusted: " + std::string(chain.error()));
  }
  if (!verifyEs256(chain->key.get(), p.signingInput, p.signature))
    return failedFor(p, Failure::kInvalid, "signature does not verify under the x5u certificate");
  Verification v;
  v.verstat = Verstat::kPassed;
  v.failure = Failure::kNone;
  v.detail = "signed by " + chain->subject;
  v.attest = p.attest;
  v.origid = p.origid;
  v.x5u = p.x5u;
  return v;
}

Verification badInfo(const Passport& passport, std::string why) {
  return failedFor(passport, Failure::kBadInfo, std::move(why));
}

}  // namespace tg::identity
