#pragma once

// One bounded HTTP(S) GET of a blocklist feed (guard.bans.blocklist_url), with cpp-httplib.
// https verifies the server certificate against the system CA store, host name included.
// Everything is bounded: connect and read timeouts, a total time, the body size (counted after
// decompression) and the number of redirects, which are followed here, one hop at a time, so
// that each hop is http:// or https:// and counted.
//
// Blocking: call it from a thread of its own (BlocklistFetcher), never from a SIP worker.
// Errors name the feed by redactUrl() only: feed URLs carry API keys in the path or query.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace tg::guard {

struct FeedLimits {
  std::chrono::seconds connectTimeout{10};
  std::chrono::seconds readTimeout{10};   // between two reads
  std::chrono::seconds totalTimeout{60};  // for the whole body, against a server that trickles
  size_t maxBodyBytes = size_t{16} << 20;
  int maxRedirects = 3;
};

struct FeedDownload {
  std::string body;   // the 200 answer's body
  std::string error;  // why there is no body; names the feed by redactUrl() only
  int status = 0;     // the last HTTP status seen (0: none)

  bool ok() const { return error.empty(); }
};

// Downloads `url` (http:// or https://). `cancel`, when set by another thread, ends a transfer
// at its next chunk (used at shutdown).
FeedDownload downloadFeed(const std::string& url, const FeedLimits& limits,
                          const std::atomic<bool>* cancel = nullptr);

// What a log line may show of a feed URL: scheme://host[:port], nothing of the path, query,
// fragment or user info ("https://apiban.org/api/KEY/banned" -> "https://apiban.org").
std::string redactUrl(std::string_view url);

// The parts of an http(s) URL; an empty scheme (valid() false) when it is not one.
struct FeedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, "/" when empty

  bool valid() const { return !scheme.empty(); }
  std::string origin() const;  // scheme://host[:port], for log lines and httplib
};
FeedUrl parseFeedUrl(std::string_view url);
// A redirect's Location against the URL it came from (absolute, or an absolute path).
FeedUrl resolveRedirect(const FeedUrl& from, std::string_view location);

}  // namespace tg::guard
