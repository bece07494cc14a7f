#include "net/bounded_get.h"

#include <httplib.h>
#include <netdb.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tg::net {
namespace {

using Clock = std::chrono::steady_clock;

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

int defaultPort(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

// The host's addresses (an IP literal is its own), or why there are none.
std::vector<base::Address> resolve(const std::string& host, std::string& error) {
  std::vector<base::Address> out;
  if (auto literal = base::Address::parse(host, 0)) {
    out.push_back(*literal);
    return out;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0) {
    error = "host '" + host + "' not resolved: " + ::gai_strerror(rc);
    return out;
  }
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    base::Address address = base::Address::fromSockaddr(a->ai_addr, a->ai_addrlen);
    if (address.valid()) out.push_back(address);
  }
  ::freeaddrinfo(list);
  if (out.empty()) error = "host '" + host + "' has no address";
  return out;
}

std::string describe(httplib::Error error, long verifyResult) {
  switch (error) {
    case httplib::Error::SSLServerVerification:
      if (verifyResult != X509_V_OK) {
        return std::string("server certificate not trusted: ") +
               X509_verify_cert_error_string(verifyResult);
      }
      return "server certificate does not match the host name";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Connection:
      return "could not connect (name not resolved, refused or unreachable)";
    case httplib::Error::Read:
      return "reading the answer failed or timed out";
    default:
      return httplib::to_string(error);
  }
}

// httplib takes its timeouts as seconds and microseconds.
template <typename Setter>
void setTimeout(Setter set, std::chrono::microseconds t) {
  set(static_cast<time_t>(t.count() / 1000000), static_cast<time_t>(t.count() % 1000000));
}

}  // namespace

std::string HttpUrl::origin() const {
  if (!valid()) return "(not an http(s) URL)";
  std::string out = scheme + "://" + bracketed(host);
  if (port != defaultPort(scheme)) out += ":" + std::to_string(port);
  return out;
}

HttpUrl parseHttpUrl(std::string_view url) {
  HttpUrl out;
  std::string scheme;
  if (startsWithNoCase(url, "https://")) {
    scheme = "https";
  } else if (startsWithNoCase(url, "http://")) {
    scheme = "http";
  } else {
    return out;
  }
  url.remove_prefix(scheme.size() + 3);
  const size_t authorityEnd = std::min(url.find_first_of("/?#"), url.size());
  std::string_view authority = url.substr(0, authorityEnd);
  std::string_view rest = url.substr(authorityEnd);
  bool userInfo = false;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user info is never used nor shown
    userInfo = true;
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return out;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return out;
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return out;
  for (const char c : host) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return out;
  }
  int number = defaultPort(scheme);
  if (!port.empty()) {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return out;
    }
  }
  rest = rest.substr(0, rest.find('#'));
  out.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  out.host = std::string(host);
  out.port = number;
  out.userInfo = userInfo;
  out.scheme = scheme;
  return out;
}

HttpUrl resolveRedirect(const HttpUrl& from, std::string_view location) {
  if (startsWithNoCase(location, "http://") || startsWithNoCase(location, "https://")) {
    return parseHttpUrl(location);
  }
  if (location.size() >= 2 && location[0] == '/' && location[1] == '/') {  // scheme-relative
    return parseHttpUrl(from.scheme + ":" + std::string(location));
  }
  if (!location.empty() && location.front() == '/') {
    HttpUrl out = from;
    out.target = std::string(location.substr(0, location.find('#')));
    return out;
  }
  return {};  // relative paths: guessing is worse than failing
}

GetResult boundedGet(const std::string& urlText, const GetLimits& limits) {
  GetResult out;
  out.url = parseHttpUrl(urlText);
  if (!out.url.valid() || (limits.httpsOnly && out.url.scheme != "https") ||
      (limits.refuseUserInfo && out.url.userInfo)) {
    out.failure = GetFailure::kBadUrl;
    return out;
  }
  const auto deadline = Clock::now() + limits.totalTimeout;
  const auto fail = [&](GetFailure f, std::string detail = {}) {
    out.failure = f;
    out.detail = std::move(detail);
    return out;
  };
  for (;; ++out.redirects) {
    const HttpUrl& url = out.url;
    std::string pinned;  // the checked address the connection goes to
    if (limits.addressGuard) {
      std::string error;
      const std::vector<base::Address> addresses = resolve(url.host, error);
      if (addresses.empty()) return fail(GetFailure::kNotResolved, error);
      for (const base::Address& a : addresses) {
        if (std::string why = limits.addressGuard(a); !why.empty()) {
          return fail(GetFailure::kAddressRefused, why + " (" + a.ip() + ")");
        }
      }
      pinned = addresses.front().ip();
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) return fail(GetFailure::kTimeout);
    httplib::Client client(url.scheme + "://" + bracketed(url.host) + ":" +
                           std::to_string(url.port));
    if (!pinned.empty()) client.set_hostname_addr_map({{url.host, pinned}});
    setTimeout([&](time_t s, time_t us) { client.set_connection_timeout(s, us); },
               std::min<std::chrono::microseconds>(limits.connectTimeout, left));
    setTimeout([&](time_t s, time_t us) { client.set_read_timeout(s, us); },
               std::min<std::chrono::microseconds>(limits.readTimeout, left));
    setTimeout([&](time_t s, time_t us) { client.set_write_timeout(s, us); },
               std::min<std::chrono::microseconds>(limits.readTimeout, left));
    client.set_follow_location(false);  // followed below, so that every hop is checked
    client.set_keep_alive(false);
    client.enable_server_certificate_verification(true);
    if (!limits.caFile.empty()) client.set_ca_cert_path(limits.caFile);

    int status = 0;
    std::string location;
    bool tooBig = false;
    bool timedOut = false;
    bool cancelled = false;
    std::string body;
    httplib::Headers headers;
    for (const auto& [name, value] : limits.headers) headers.emplace(name, value);
    const httplib::Result result = client.Get(
        url.target, headers,
        [&](const httplib::Response& response) {
          status = response.status;
          if (status >= 300 && status < 400) {
            location = response.get_header_value("Location");
            return false;
          }
          if (status != 200) return false;
          out.cacheControl = response.get_header_value("Cache-Control");
          if (response.has_header("Content-Length")) {
            const std::string length = response.get_header_value("Content-Length");
            uint64_t n = 0;
            const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
            if (ec == std::errc() && n > limits.maxBytes) {
              tooBig = true;
              return false;
            }
          }
          return true;
        },
        [&](const char* data, size_t length) {
          if (limits.cancel != nullptr && limits.cancel->load(std::memory_order_relaxed)) {
            cancelled = true;
            return false;
          }
          if (body.size() + length > limits.maxBytes) {
            tooBig = true;
            return false;
          }
          if (Clock::now() > deadline) {
            timedOut = true;
            return false;
          }
          body.append(data, length);
          return true;
        });
    if (status == 0 && result) status = result->status;  // 204 and the like skip the handler
    out.status = status;
    if (tooBig) return fail(GetFailure::kTooBig);
    if (cancelled) return fail(GetFailure::kCancelled);
    if (timedOut || (!result && status == 0 && Clock::now() >= deadline)) {
      return fail(GetFailure::kTimeout);
    }
    if (status >= 300 && status < 400) {
      if (location.empty()) return fail(GetFailure::kNoLocation);
      if (out.redirects >= limits.maxRedirects) return fail(GetFailure::kTooManyRedirects);
      HttpUrl next = resolveRedirect(url, location);
      if (!next.valid() || (limits.httpsOnly && next.scheme != "https") ||
          (limits.refuseUserInfo && next.userInfo)) {
        return fail(GetFailure::kBadRedirect);
      }
      out.url = std::move(next);
      continue;
    }
    if (status != 0 && status != 200) return fail(GetFailure::kHttpStatus);
    if (!result) {
      return fail(GetFailure::kTransport,
                  describe(result.error(), client.get_openssl_verify_result()));
    }
    out.body = std::move(body);
    return out;
  }
}

}  // namespace tg::net
