#pragma once

// One bounded HTTPS GET of a PASSporT's x5u (the signer's certificate chain, PEM), through the
// shared bounded download (net/bounded_get.h). Blocking: run it on the fetch pool
// (fetch_pool.h), never on a SIP worker.
//
// Bounded in every way a hostile x5u could abuse: https:// only, no user info; the host name
// resolved there and every address it has checked by the SSRF guard (x5u_address.h), the
// connection pinned to the checked address (no second lookup to rebind); one deadline for
// connect, redirects and body; the body size; the number of redirects, each hop checked again.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tg::identity {

struct FetchLimits {
  std::chrono::milliseconds timeout{2000};  // the whole fetch, redirects included
  size_t maxBytes = 64 * 1024;
  int maxRedirects = 2;
  bool allowPrivate = false;  // tests: loopback and private addresses allowed
  std::string caFile;         // the HTTPS servers' CAs (PEM); empty: the system store
};

struct FetchedCertificate {
  std::string body;
  std::string error;  // why there is no body
  // Cache-Control max-age of the answer; nullopt when it gave none (no-store/no-cache: 0).
  std::optional<std::chrono::seconds> maxAge;
  bool ok() const { return error.empty(); }
};

FetchedCertificate fetchCertificate(const std::string& url, const FetchLimits& limits);

// The parts of an https URL; host empty when `url` is not one (http://, user info, no host).
struct HttpsUrl {
  std::string host;  // without brackets for IPv6
  int port = 443;
  std::string target;  // path and query, "/" when empty
};
HttpsUrl parseHttpsUrl(std::string_view url);

// max-age of a Cache-Control value; no-store and no-cache give 0; nullopt when none is given.
std::optional<std::chrono::seconds> cacheControlMaxAge(std::string_view value);

}  // namespace tg::identity
