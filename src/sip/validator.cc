#include "sip/validator.h"

#include "sip/scan.h"

namespace tg::sip {
namespace {

bool isSip20(std::string_view version) { return equalsIgnoreCase(version, "SIP/2.0"); }

// Requests get a response code; responses can only be dropped.
Verdict fail(const Message& m, int code, std::string_view reason) {
  return m.isRequest() ? Verdict::reject(code, reason) : Verdict::drop(reason);
}

std::string_view checkLimits(const Message& m, const Limits& limits, int& code) {
  code = 400;
  if (m.text().size() > limits.maxMessageBytes) {
    code = 513;
    return "message too large";
  }
  if (m.headers().size() > limits.maxHeaders) return "too many header fields";
  for (const HeaderField& f : m.headers()) {
    if (f.value.size() > limits.maxHeaderValueBytes) return "header value too long";
  }
  return {};
}

std::string_view checkRequired(const Message& m) {
  if (!m.has(HeaderId::kVia)) return "missing Via header";
  if (!m.has(HeaderId::kFrom)) return "missing From header";
  if (!m.has(HeaderId::kTo)) return "missing To header";
  if (!m.has(HeaderId::kCallId)) return "missing Call-ID header";
  if (!m.has(HeaderId::kCSeq)) return "missing CSeq header";
  return {};
}

std::string_view checkSingleValues(const Message& m) {
  for (const HeaderId id : kSingleValueHeaders) {
    if (m.count(id) > 1) {
      switch (id) {
        case HeaderId::kCallId:
          return "multiple Call-ID headers";
        case HeaderId::kCSeq:
          return "multiple CSeq headers";
        case HeaderId::kFrom:
          return "multiple From headers";
        case HeaderId::kTo:
          return "multiple To headers";
        case HeaderId::kMaxForwards:
          return "multiple Max-Forwards headers";
        case HeaderId::kContentLength:
          return "multiple Content-Length headers";
        case HeaderId::kContentType:
          return "multiple Content-Type headers";
        case HeaderId::kExpires:
          return "multiple Expires headers";
        default:
          return "a single-value header appears more than once";
      }
    }
  }
  return {};
}

bool allNameAddrs(const Message& m, HeaderId id) {
  if (!m.has(id)) return true;
  bool ok = true;
  NameAddr na;
  m.forEachElement(id, [&](std::string_view e) {
    if (ok && !parseNameAddr(e, na).empty()) ok = false;
  });
  return ok;
}

bool allTokens(const Message& m, HeaderId id) {
  bool ok = true;
  m.forEach(id, [&](const HeaderField& f) {
    if (!isTokenList(f.value)) ok = false;
  });
  return ok;
}

std::string_view checkContact(const Message& m) {
  if (!m.has(HeaderId::kContact)) return {};
  if (m.contactIsStar()) return {};
  bool ok = true;
  bool first = true;
  auto checkExpires = [&](const NameAddr& na) {
    if (na.params.has(KnownParam::kExpires) &&
        !parseScalar(na.params.get(KnownParam::kExpires), UINT32_MAX).ok()) {
      ok = false;
    }
  };
  m.forEachElement(HeaderId::kContact, [&](std::string_view e) {
    if (!ok) return;
    if (e == "*") {
      ok = false;  // "*" mixed with other contacts
      return;
    }
    if (first) {
      first = false;
      const NameAddr* na = m.contact();
      if (na == nullptr) {
        ok = false;
        return;
      }
      checkExpires(*na);
      return;
    }
    NameAddr other;
    if (!parseNameAddr(e, other).empty()) {
      ok = false;
      return;
    }
    checkExpires(other);
  });
  return ok ? std::string_view{} : "malformed Contact header";
}

std::string_view checkTypedHeaders(const Message& m, const Limits& limits) {
  if (!m.from()) return "malformed From header";
  if (!m.to()) return "malformed To header";
  if (!isValidCallId(m.callId())) return "malformed Call-ID header";
  if (!m.cseq()) return "malformed CSeq header";
  if (!m.topVia()) return "malformed Via header";
  bool viasOk = true;
  size_t vias = 0;
  Via via;
  m.forEachElement(HeaderId::kVia, [&](std::string_view e) {
    // The first entry is topVia(). Entries past the limit are counted, not parsed: the cost of
    // a flood stays bounded.
    if (vias++ > 0 && vias <= limits.maxVias && viasOk && !parseVia(e, via).empty()) {
      viasOk = false;
    }
  });
  if (vias > limits.maxVias) return "too many Via entries";
  if (!viasOk) return "malformed Via header";
  if (m.has(HeaderId::kMaxForwards) && !m.maxForwards()) return "Max-Forwards out of range";
  if (m.has(HeaderId::kExpires) && !m.expires()) return "Expires out of range";
  if (m.has(HeaderId::kContentLength) && !m.contentLength()) return "malformed Content-Length";
  if (m.has(HeaderId::kContentType) && !parseMediaType(m.value(HeaderId::kContentType))) {
    return "malformed Content-Type header";
  }
  if (auto err = checkContact(m); !err.empty()) return err;
  if (!allNameAddrs(m, HeaderId::kRoute)) return "malformed Route header";
  if (!allNameAddrs(m, HeaderId::kRecordRoute)) return "malformed Record-Route header";
  if (!allTokens(m, HeaderId::kRequire)) return "malformed Require header";
  if (!allTokens(m, HeaderId::kProxyRequire)) return "malformed Proxy-Require header";
  if (!allTokens(m, HeaderId::kSupported)) return "malformed Supported header";
  return {};
}

}  // namespace

Verdict verdictForParseError(std::string_view bytes, std::string_view reason) {
  // Skip the CRLFs a peer may send before the start line; a response starts with "SIP/".
  size_t i = 0;
  while (i < bytes.size() && (bytes[i] == '\r' || bytes[i] == '\n')) ++i;
  if (startsWithIgnoreCase(bytes.substr(i), "SIP/")) return Verdict::drop(reason);
  return Verdict::reject(400, reason);
}

Verdict validate(const Message& m, const Limits& limits) {
  int code = 400;
  if (auto err = checkLimits(m, limits, code); !err.empty()) return fail(m, code, err);

  if (m.isRequest()) {
    if (!isSip20(m.version())) return fail(m, 505, "SIP version not supported");
    if (m.requestUriText().size() > limits.maxUriLength) {
      return fail(m, 414, "Request-URI too long");
    }
    const Uri* ruri = m.requestUri();
    if (ruri == nullptr) return fail(m, 400, "malformed Request-URI");
    if (ruri->scheme == UriScheme::kOther) return fail(m, 416, "unsupported URI scheme");
  } else {
    if (!isSip20(m.version())) return fail(m, 0, "SIP version not supported");
    if (m.statusCode() < 100 || m.statusCode() > 699) return fail(m, 0, "status code out of range");
  }

  if (auto err = checkRequired(m); !err.empty()) return fail(m, 400, err);
  if (auto err = checkSingleValues(m); !err.empty()) return fail(m, 400, err);
  if (auto err = checkTypedHeaders(m, limits); !err.empty()) return fail(m, 400, err);

  if (m.isRequest() && m.cseq()->methodText != m.methodText()) {
    return fail(m, 400, "CSeq method does not match the request method");
  }
  return Verdict::accept();
}

}  // namespace tg::sip
