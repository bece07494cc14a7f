#include "guard/ban/feed_download.h"

#include <httplib.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tg::guard {
namespace {

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

std::string describe(httplib::Error error, long verifyResult) {
  switch (error) {
    case httplib::Error::SSLServerVerification:
      if (verifyResult != X509_V_OK) {
        return std::string("server certificate not trusted: ") +
               X509_verify_cert_error_string(verifyResult) +
               " (checked against the system CA store)";
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

}  // namespace

std::string FeedUrl::origin() const {
  if (!valid()) return "(not an http(s) URL)";
  std::string out = scheme + "://" + bracketed(host);
  if (port != defaultPort(scheme)) out += ":" + std::to_string(port);
  return out;
}

FeedUrl parseFeedUrl(std::string_view url) {
  FeedUrl out;
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
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user info is never used nor shown
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
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  out.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  out.host = std::string(host);
  out.port = number;
  out.scheme = scheme;
  return out;
}

FeedUrl resolveRedirect(const FeedUrl& from, std::string_view location) {
  if (startsWithNoCase(location, "http://") || startsWithNoCase(location, "https://")) {
    return parseFeedUrl(location);
  }
  if (location.size() >= 2 && location[0] == '/' && location[1] == '/') {  // scheme-relative
    return parseFeedUrl(from.scheme + ":" + std::string(location));
  }
  if (!location.empty() && location.front() == '/') {
    FeedUrl out = from;
    out.target = std::string(location.substr(0, location.find('#')));
    return out;
  }
  return {};  // relative paths: feeds do not use them, and guessing is worse than failing
}

std::string redactUrl(std::string_view url) { return parseFeedUrl(url).origin(); }

FeedDownload downloadFeed(const std::string& urlText, const FeedLimits& limits,
                          const std::atomic<bool>* cancel) {
  FeedDownload out;
  FeedUrl url = parseFeedUrl(urlText);
  if (!url.valid()) {
    out.error = "not an http:// or https:// URL";
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + limits.totalTimeout;
  for (int redirects = 0;; ++redirects) {
    httplib::Client client(url.scheme + "://" + bracketed(url.host) + ":" +
                           std::to_string(url.port));
    client.set_connection_timeout(limits.connectTimeout);
    client.set_read_timeout(limits.readTimeout);
    client.set_write_timeout(limits.readTimeout);
    client.set_follow_location(false);  // followed below, so that every hop is checked
    client.set_keep_alive(false);
    client.enable_server_certificate_verification(true);

    int status = 0;
    std::string location;
    bool tooBig = false;
    bool timedOut = false;
    bool cancelled = false;
    std::string body;
    const httplib::Headers headers = {{"User-Agent", "trunkguard-blocklist-pull"},
                                      {"Accept", "text/plain, application/json"}};
    const httplib::Result result = client.Get(
        url.target, headers,
        [&](const httplib::Response& response) {
          status = response.status;
          if (status >= 300 && status < 400) {
            location = response.get_header_value("Location");
            return false;
          }
          if (status != 200) return false;
          if (response.has_header("Content-Length")) {
            const std::string length = response.get_header_value("Content-Length");
            uint64_t n = 0;
            const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
            if (ec == std::errc() && n > limits.maxBodyBytes) {
              tooBig = true;
              return false;
            }
          }
          return true;
        },
        [&](const char* data, size_t length) {
          if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
            cancelled = true;
            return false;
          }
          if (body.size() + length > limits.maxBodyBytes) {
            tooBig = true;
            return false;
          }
          if (std::chrono::steady_clock::now() > deadline) {
            timedOut = true;
            return false;
          }
          body.append(data, length);
          return true;
        });
    if (status == 0 && result) status = result->status;  // 204 and the like skip the handler
    out.status = status;
    if (tooBig) {
      out.error =
          "the feed is larger than " + std::to_string(limits.maxBodyBytes) + " bytes; not used";
      return out;
    }
    if (cancelled) {
      out.error = "cancelled";
      return out;
    }
    if (timedOut) {
      out.error =
          "the download took longer than " + std::to_string(limits.totalTimeout.count()) + " s";
      return out;
    }
    if (status >= 300 && status < 400) {
      if (location.empty()) {
        out.error = "HTTP " + std::to_string(status) + " without a Location";
        return out;
      }
      if (redirects >= limits.maxRedirects) {
        out.error = "more than " + std::to_string(limits.maxRedirects) + " redirects";
        return out;
      }
      FeedUrl next = resolveRedirect(url, location);
      if (!next.valid()) {
        out.error = "HTTP " + std::to_string(status) +
                    " to a location that is not an http:// "
                    "or https:// URL";
        return out;
      }
      url = std::move(next);
      continue;
    }
    if (status != 0 && status != 200) {
      out.error = "HTTP " + std::to_string(status) +
                  (redirects > 0 ? " (after a redirect to " + url.origin() + ")" : "");
      return out;
    }
    if (!result) {
      out.error = describe(result.error(), client.get_openssl_verify_result());
      if (redirects > 0) out.error += " (after a redirect to " + url.origin() + ")";
      return out;
    }
    out.body = std::move(body);
    return out;
  }
}

}  // namespace tg::guard
