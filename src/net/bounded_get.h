#pragma once

// One bounded HTTP(S) GET with cpp-httplib, shared by the blocklist feed download
// (guard/ban/feed_download.h) and the STIR x5u certificate fetch (identity/certificate_fetch.h).
// Blocking: call it from a thread of its own, never from a SIP worker.
//
// Bounded in every way a hostile server could abuse: connect and read timeouts and one total
// deadline (redirects included); the body size (counted after decompression, and refused early
// on a larger Content-Length); the number of redirects, which are followed here one hop at a
// time so that each is checked again (scheme, and the address guard). https verifies the server
// certificate, host name included. With an address guard (the x5u SSRF guard), the host is
// resolved here, every address it has is checked, and the connection is pinned to the checked
// address (no second lookup that could answer something else).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/address.h"

namespace tg::net {

// The parts of an http(s) URL; an empty scheme (valid() false) when it is not one.
struct HttpUrl {
  std::string scheme;     // "http" or "https"
  std::string host;       // without brackets for IPv6
  int port = 0;           // explicit or the scheme's default
  std::string target;     // path and query, "/" when empty
  bool userInfo = false;  // the URL carried user@ (never used nor shown)

  bool valid() const { return !scheme.empty(); }
  std::string origin() const;  // scheme://host[:port], for log lines
};
HttpUrl parseHttpUrl(std::string_view url);
// A redirect's Location against the URL it came from (absolute, scheme-relative or an
// absolute path); invalid for anything else.
HttpUrl resolveRedirect(const HttpUrl& from, std::string_view location);

struct GetLimits {
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds readTimeout{10000};   // between two reads
  std::chrono::milliseconds totalTimeout{60000};  // the whole GET, redirects included
  size_t maxBytes = size_t{16} << 20;
  int maxRedirects = 3;
  bool httpsOnly = false;       // the URL and every redirect must be https://
  bool refuseUserInfo = false;  // a URL or redirect with user@ is refused (x5u)
  std::string caFile;           // the servers' CAs (PEM); empty: the system store
  // The SSRF guard: when set, the host is resolved here and each address given to it; a
  // non-empty answer (why it is refused, e.g. "loopback") refuses the hop.
  std::function<std::string(const base::Address&)> addressGuard;
  std::vector<std::pair<std::string, std::string>> headers;  // User-Agent, Accept, ...
  const std::atomic<bool>* cancel = nullptr;  // set by another thread: ends at the next chunk
};

enum class GetFailure {
  kNone,
  kBadUrl,            // not an http(s) URL (https only: not https)
  kNotResolved,       // detail: the resolver's answer
  kAddressRefused,    // detail: "<kind> (<address>)" from the address guard
  kTooBig,            // larger than maxBytes
  kTimeout,           // past totalTimeout
  kCancelled,         // `cancel` was set
  kNoLocation,        // a 3xx without Location
  kTooManyRedirects,  // more than maxRedirects
  kBadRedirect,       // a Location that is not an allowed URL
  kHttpStatus,        // a final status other than 200 (status says which)
  kTransport,         // connect, TLS or read failed; detail says how
};

struct GetResult {
  std::string body;          // the 200 answer's body
  std::string cacheControl;  // its Cache-Control header
  GetFailure failure = GetFailure::kNone;
  std::string detail;  // for kNotResolved, kAddressRefused, kTransport; never the URL's path
  int status = 0;      // the last HTTP status seen (0: none)
  int redirects = 0;   // redirects followed
  HttpUrl url;         // the last URL asked (after redirects)

  bool ok() const { return failure == GetFailure::kNone; }
};

GetResult boundedGet(const std::string& url, const GetLimits& limits);

}  // namespace tg::net
