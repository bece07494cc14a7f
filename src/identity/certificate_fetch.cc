#include "identity/certificate_fetch.h"

#include <httplib.h>
#include <netdb.h>
#include <openssl/x509.h>

#include <cctype>
#include <charconv>
#include <vector>

#include "base/address.h"
#include "identity/x5u_address.h"

namespace tg::identity {
namespace {

using Clock = std::chrono::steady_clock;

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

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
    error = "x5u host '" + host + "' not resolved: " + ::gai_strerror(rc);
    return out;
  }
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    base::Address address = base::Address::fromSockaddr(a->ai_addr, a->ai_addrlen);
    if (address.valid()) out.push_back(address);
  }
  ::freeaddrinfo(list);
  if (out.empty()) error = "x5u host '" + host + "' has no address";
  return out;
}

std::string describe(httplib::Error error, long verifyResult) {
  switch (error) {
    case httplib::Error::SSLServerVerification:
      if (verifyResult != X509_V_OK) {
        return std::string("x5u server certificate not trusted: ") +
               X509_verify_cert_error_string(verifyResult);
      }
      return "x5u server certificate does not match the host name";
    case httplib::Error::SSLConnection:
      return "x5u TLS handshake failed";
    case httplib::Error::ConnectionTimeout:
      return "x5u connect timed out";
    case httplib::Error::Connection:
      return "x5u server refused or unreachable";
    case httplib::Error::Read:
      return "x5u answer not read (timed out or cut)";
    default:
      return "x5u fetch failed: " + httplib::to_string(error);
  }
}

}  // namespace

HttpsUrl parseHttpsUrl(std::string_view url) {
  HttpsUrl out;
  if (!startsWithNoCase(url, "https://")) return out;
  url.remove_prefix(8);
  const size_t authorityEnd = std::min(url.find_first_of("/?#"), url.size());
  const std::string_view authority = url.substr(0, authorityEnd);
  std::string_view rest = url.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) return out;  // no credentials in x5u
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return out;
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
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
  int number = 443;
  if (!port.empty()) {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535)
      return out;
  }
  rest = rest.substr(0, rest.find('#'));
  out.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  out.host = std::string(host);
  out.port = number;
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

FetchedCertificate fetchCertificate(const std::string& urlText, const FetchLimits& limits) {
  FetchedCertificate out;
  HttpsUrl url = parseHttpsUrl(urlText);
  if (url.host.empty()) {
    out.error = "x5u is not an https URL";
    return out;
  }
  const auto deadline = Clock::now() + limits.timeout;
  for (int redirects = 0;; ++redirects) {
    std::vector<base::Address> addresses = resolve(url.host, out.error);
    if (addresses.empty()) return out;
    if (!limits.allowPrivate) {
      for (const base::Address& a : addresses) {
        if (std::string_view kind = nonPublicKind(a); !kind.empty()) {
          out.error = "x5u host '" + url.host + "' is " + std::string(kind) + " (" + a.ip() +
                      "): not fetched";
          return out;
        }
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      out.error = "x5u fetch took longer than " + std::to_string(limits.timeout.count()) + " ms";
      return out;
    }
    httplib::SSLClient client(url.host, url.port);
    // The checked address, not a second lookup that could answer something else.
    client.set_hostname_addr_map({{url.host, addresses.front().ip()}});
    const time_t sec = static_cast<time_t>(left.count() / 1000000);
    const time_t usec = static_cast<time_t>(left.count() % 1000000);
    client.set_connection_timeout(sec, usec);
    client.set_read_timeout(sec, usec);
    client.set_write_timeout(sec, usec);
    client.set_follow_location(false);  // followed below, each hop checked
    client.set_keep_alive(false);
    client.enable_server_certificate_verification(true);
    if (!limits.caFile.empty()) client.set_ca_cert_path(limits.caFile.c_str());

    int status = 0;
    std::string location;
    std::string cacheControl;
    bool tooBig = false;
    bool timedOut = false;
    std::string body;
    const httplib::Headers headers = {{"User-Agent", "trunkguard-stir"},
                                      {"Accept", "application/pem-certificate-chain"}};
    const httplib::Result result = client.Get(
        url.target, headers,
        [&](const httplib::Response& response) {
          status = response.status;
          if (status >= 300 && status < 400) {
            location = response.get_header_value("Location");
            return false;
          }
          if (status != 200) return false;
          cacheControl = response.get_header_value("Cache-Control");
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
    if (tooBig) {
      out.error = "x5u content larger than " + std::to_string(limits.maxBytes) + " bytes";
      return out;
    }
    if (timedOut || (!result && Clock::now() >= deadline)) {
      out.error = "x5u fetch took longer than " + std::to_string(limits.timeout.count()) + " ms";
      return out;
    }
    if (status >= 300 && status < 400) {
      if (redirects >= limits.maxRedirects) {
        out.error = "x5u redirected more than " + std::to_string(limits.maxRedirects) + " times";
        return out;
      }
      HttpsUrl next;
      if (!location.empty() && location.front() == '/' &&
          (location.size() < 2 || location[1] != '/')) {
        next = url;
        next.target = location.substr(0, location.find('#'));
      } else {
        next = parseHttpsUrl(location);
      }
      if (next.host.empty()) {
        out.error = "x5u redirected to a location that is not https";
        return out;
      }
      url = std::move(next);
      continue;
    }
    if (status != 0 && status != 200) {
      out.error = "x5u answered HTTP " + std::to_string(status);
      return out;
    }
    if (!result) {
      out.error = describe(result.error(), client.get_openssl_verify_result());
      return out;
    }
    out.maxAge = cacheControlMaxAge(cacheControl);
    out.body = std::move(body);
    return out;
  }
}

}  // namespace tg::identity
