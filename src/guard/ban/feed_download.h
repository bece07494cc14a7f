#pragma once

// One bounded HTTP(S) GET of a blocklist feed (guard.bans.blocklist_url), through the shared
// bounded download (net/bounded_get.h: timeouts, total time, body size counted after
// decompression, redirects followed one checked hop at a time, https verified against the
// system CA store, host name included).
//
// Blocking: call it from a thread of its own (BlocklistFetcher), never from a SIP worker.
// Errors name the feed by redactUrl() only: feed URLs carry API keys in the path or query.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "net/bounded_get.h"

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

// The parts of an http(s) URL (net/bounded_get.h); valid() false when it is not one.
using FeedUrl = net::HttpUrl;
inline FeedUrl parseFeedUrl(std::string_view url) { return net::parseHttpUrl(url); }
// A redirect's Location against the URL it came from (absolute, or an absolute path).
using net::resolveRedirect;

}  // namespace tg::guard
