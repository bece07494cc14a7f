#include "identity/certificate_fetch.h"

#include <cctype>
#include <charconv>

#include "base/address.h"
#include "identity/x5u_address.h"
#include "net/bounded_get.h"

namespace tg::identity {
namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

HttpsUrl parseHttpsUrl(std::string_view url) {
  HttpsUrl out;
  const net::HttpUrl u = net::parseHttpUrl(url);
  if (!u.valid() || u.scheme != "https" || u.userInfo) return out;  // no credentials in x5u
  out.host = u.host;
  out.port = u.port;
  out.target = u.target;
  return out;
}

std::optional<std::chrono::seconds> cacheControlMaxAge(std::string_view value) {
  std::optional<std::chrono::seconds> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view d = value.substr(start, end - start);
    while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
    while (!d.empty() && (d.back() == ' ' || d.back() == '\t')) d.remove_suffix(1);
    if (startsWithNoCase(d, "no-store") || startsWithNoCase(d, "no-cache")) {
      return std::chrono::seconds(0);
    }
    if (startsWithNoCase(d, "max-age=")) {
      d.remove_prefix(8);
      int64_t n = 0;
      const auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
      if (ec == std::errc() && p == d.data() + d.size() && n >= 0) out = std::chrono::seconds(n);
    }
    start = end + 1;
  }
  return out;
}

FetchedCertificate fetchCertificate(const std::string& url, const FetchLimits& limits) {
  FetchedCertificate out;
  if (parseHttpsUrl(url).host.empty()) {
    out.error = "x5u is not an https URL";
    return out;
  }
  net::GetLimits get;
  get.connectTimeout = get.readTimeout = get.totalTimeout = limits.timeout;
  get.maxBytes = limits.maxBytes;
  get.maxRedirects = limits.maxRedirects;
  get.httpsOnly = true;
  get.refuseUserInfo = true;
  get.caFile = limits.caFile;
  if (!limits.allowPrivate) {
    get.addressGuard = [](const base::Address& a) { return std::string(nonPublicKind(a)); };
  }
  get.headers = {{"User-Agent", "trunkguard-stir"},
                 {"Accept", "application/pem-certificate-chain"}};
  net::GetResult r = net::boundedGet(url, get);
  using F = net::GetFailure;
  switch (r.failure) {
    case F::kNone:
      out.maxAge = cacheControlMaxAge(r.cacheControl);
      out.body = std::move(r.body);
      break;
    case F::kBadUrl:
      out.error = "x5u is not an https URL";
      break;
    case F::kNotResolved:
      out.error = "x5u " + r.detail;
      break;
    case F::kAddressRefused:
      out.error = "x5u host '" + r.url.host + "' is " + r.detail + ": not fetched";
      break;
    case F::kTooBig:
      out.error = "x5u content larger than " + std::to_string(limits.maxBytes) + " bytes";
      break;
    case F::kTimeout:
    case F::kCancelled:  // no cancel flag is given
      out.error = "x5u fetch took longer than " + std::to_string(limits.timeout.count()) + " ms";
      break;
    case F::kTooManyRedirects:
      out.error = "x5u redirected more than " + std::to_string(limits.maxRedirects) + " times";
      break;
    case F::kNoLocation:
    case F::kBadRedirect:
      out.error = "x5u redirected to a location that is not https";
      break;
    case F::kHttpStatus:
      out.error = "x5u answered HTTP " + std::to_string(r.status);
      break;
    case F::kTransport:
      out.error = "x5u " + r.detail;
      break;
  }
  return out;
}

}  // namespace tg::identity
