#include "identity/passport.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "identity/base64url.h"

namespace tg::identity {
namespace {

using nlohmann::json;
using sip::Error;

// A JSON object decoded from base64url, or the reason it is not one.
std::optional<json> decodeObject(std::string_view part) {
  auto bytes = decodeBase64Url(part);
  if (!bytes) return std::nullopt;
  json j = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// The member `key` when it is a string; nullopt when absent or of another type.
const std::string* stringMember(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// RFC 8588 §4: origid is a UUID (8-4-4-4-12 hex digits).
bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::optional<Error> readHeader(const json& h, Passport& p) {
  const std::string* alg = stringMember(h, "alg");
  if (!alg) return Error{"PASSporT header without alg"};
  if (*alg != "ES256") return Error{"PASSporT alg is not ES256"};
  p.alg = *alg;
  if (h.contains("typ")) {
    const std::string* typ = stringMember(h, "typ");
    if (!typ || *typ != "passport") return Error{"PASSporT typ is not passport"};
    p.typ = *typ;
  }
  if (h.contains("ppt")) {
    const std::string* ppt = stringMember(h, "ppt");
    if (!ppt) return Error{"PASSporT ppt is not a string"};
    p.ppt = *ppt;
  }
  const std::string* x5u = stringMember(h, "x5u");
  if (!x5u || x5u->empty()) return Error{"PASSporT header without x5u"};
  p.x5u = *x5u;
  return std::nullopt;
}

std::optional<Error> readClaims(const json& c, Passport& p) {
  auto orig = c.find("orig");
  if (orig == c.end() || !orig->is_object()) return Error{"PASSporT without orig"};
  const std::string* origTn = stringMember(*orig, "tn");
  if (!origTn || origTn->empty()) return Error{"PASSporT orig without tn"};
  p.origTn = *origTn;

  auto dest = c.find("dest");
  if (dest == c.end() || !dest->is_object()) return Error{"PASSporT without dest"};
  auto tns = dest->find("tn");
  if (tns == dest->end() || !tns->is_array() || tns->empty())
    return Error{"PASSporT dest without tn"};
  for (const json& tn : *tns) {
    if (!tn.is_string() || tn.get_ref<const std::string&>().empty())
      return Error{"PASSporT dest tn is not a string"};
    p.destTn.push_back(tn.get<std::string>());
  }

  auto iat = c.find("iat");
  if (iat == c.end() || !iat->is_number_integer()) return Error{"PASSporT without integer iat"};
  p.iat = iat->get<int64_t>();
  if (p.iat <= 0) return Error{"PASSporT iat is not a time"};

  if (p.ppt != "shaken") return std::nullopt;
  const std::string* attest = stringMember(c, "attest");
  if (!attest) return Error{"SHAKEN PASSporT without attest"};
  if (*attest == "A")
    p.attest = Attestation::kA;
  else if (*attest == "B")
    p.attest = Attestation::kB;
  else if (*attest == "C")
    p.attest = Attestation::kC;
  else
    return Error{"SHAKEN attest is not A, B or C"};
  const std::string* origid = stringMember(c, "origid");
  if (!origid) return Error{"SHAKEN PASSporT without origid"};
  if (!isUuid(*origid)) return Error{"SHAKEN origid is not a UUID"};
  p.origid = *origid;
  return std::nullopt;
}

}  // namespace

std::string_view attestationName(Attestation a) {
  switch (a) {
    case Attestation::kA:
      return "A";
    case Attestation::kB:
      return "B";
    case Attestation::kC:
      return "C";
    case Attestation::kNone:
      break;
  }
  return "";
}

sip::Result<Passport> decodePassport(std::string_view compact) {
  if (compact.size() > kMaxPassportSize) return Error{"PASSporT too large"};
  const size_t dot1 = compact.find('.');
  if (dot1 == std::string_view::npos) return Error{"PASSporT is not header.payload.signature"};
  const size_t dot2 = compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos)
    return Error{"PASSporT is not header.payload.signature"};
  const std::string_view headerPart = compact.substr(0, dot1);
  const std::string_view payloadPart = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signaturePart = compact.substr(dot2 + 1);
  // RFC 8224 §4.1.2 (compact form) sends the payload empty: it is rebuilt from the SIP request.
  if (payloadPart.empty()) return Error{"PASSporT compact form (no claims) is not supported"};

  Passport p;
  auto header = decodeObject(headerPart);
  if (!header) return Error{"PASSporT header is not base64url JSON"};
  if (auto e = readHeader(*header, p)) return *e;
  auto claims = decodeObject(payloadPart);
  if (!claims) return Error{"PASSporT claims are not base64url JSON"};
  if (auto e = readClaims(*claims, p)) return *e;
  auto signature = decodeBase64Url(signaturePart);
  if (!signature) return Error{"PASSporT signature is not base64url"};
  // ES256 (RFC 7518 §3.4): R and S, 32 bytes each.
  if (signature->size() != 64) return Error{"ES256 signature is not 64 bytes"};
  p.signature = std::move(*signature);
  p.signingInput = std::string(compact.substr(0, dot2));
  return p;
}

}  // namespace tg::identity
