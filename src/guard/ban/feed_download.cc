#include "guard/ban/feed_download.h"

namespace tg::guard {

std::string redactUrl(std::string_view url) { return parseFeedUrl(url).origin(); }

FeedDownload downloadFeed(const std::string& url, const FeedLimits& limits,
                          const std::atomic<bool>* cancel) {
  net::GetLimits get;
  get.connectTimeout = limits.connectTimeout;
  get.readTimeout = limits.readTimeout;
  get.totalTimeout = limits.totalTimeout;
  get.maxBytes = limits.maxBodyBytes;
  get.maxRedirects = limits.maxRedirects;
  get.headers = {{"User-Agent", "trunkguard-blocklist-pull"},
                 {"Accept", "text/plain, application/json"}};
  get.cancel = cancel;
  net::GetResult r = net::boundedGet(url, get);
  FeedDownload out;
  out.status = r.status;
  // After a redirect, which hop failed (by its origin only: the path may hold a key).
  const std::string hop = r.redirects > 0 ? " (after a redirect to " + r.url.origin() + ")" : "";
  using F = net::GetFailure;
  switch (r.failure) {
    case F::kNone:
      out.body = std::move(r.body);
      break;
    case F::kBadUrl:
      out.error = "not an http:// or https:// URL";
      break;
    case F::kNotResolved:
    case F::kAddressRefused:  // no address guard here; for completeness
      out.error = r.detail;
      break;
    case F::kTooBig:
      out.error =
          "the feed is larger than " + std::to_string(limits.maxBodyBytes) + " bytes; not used";
      break;
    case F::kTimeout:
      out.error =
          "the download took longer than " + std::to_string(limits.totalTimeout.count()) + " s";
      break;
    case F::kCancelled:
      out.error = "cancelled";
      break;
    case F::kNoLocation:
      out.error = "HTTP " + std::to_string(r.status) + " without a Location";
      break;
    case F::kTooManyRedirects:
      out.error = "more than " + std::to_string(limits.maxRedirects) + " redirects";
      break;
    case F::kBadRedirect:
      out.error = "HTTP " + std::to_string(r.status) +
                  " to a location that is not an http:// or https:// URL";
      break;
    case F::kHttpStatus:
      out.error = "HTTP " + std::to_string(r.status) + hop;
      break;
    case F::kTransport:
      out.error = r.detail;
      if (r.detail.rfind("server certificate not trusted", 0) == 0) {
        out.error += " (checked against the system CA store)";
      }
      out.error += hop;
      break;
  }
  return out;
}

}  // namespace tg::guard
