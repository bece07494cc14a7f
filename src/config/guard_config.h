#pragma once

// Settings of the perimeter defense (src/guard/): ACLs, scanner detection, rate limits, bans,
// overload protection and security events. Read by guard_section.cc; documented in
// docs/configuration.md. Every filter has `enabled` and `enforce`: with enforce false it runs in
// shadow mode, logging and recording what it would have blocked without blocking it.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.h"

namespace tg::config {

struct FilterSwitches {
  bool enabled = true;
  bool enforce = true;  // false: shadow mode
};

// Per-zone source lists, checked before parsing. deny wins over allow; an empty allow list
// allows everyone (the pbx and trunk zones are further limited to their peers' networks).
struct ZoneAcl {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
};

// Country filter for the public zone from a MaxMind-format database (GeoLite2-Country or
// compatible), ISO 3166-1 alpha-2 codes. An address the database does not know is allowed
// unless `deny_unknown`.
struct CountryAcl {
  std::string database;            // .mmdb path, relative to the config file
  std::vector<std::string> allow;  // empty: every country not denied
  std::vector<std::string> deny;
  bool denyUnknown = false;
};

struct AclSettings : FilterSwitches {
  ZoneAcl pbx;
  ZoneAcl trunk;
  ZoneAcl publicZone;
  std::optional<CountryAcl> countries;  // public zone only
};

struct ScannerSettings : FilterSwitches {
  // Case-insensitive substrings of User-Agent / Server / From display names of known scanners.
  // Default: the shipped list in guard/scanner/signatures.cc (docs/security.md cites sources).
  std::vector<std::string> userAgents;
  bool useShippedSignatures = true;
  std::chrono::seconds window{60};
  int maxDistinctUsers = 8;       // distinct R-URI / To users probed by one source
  int maxOptions = 10;            // out-of-dialog OPTIONS from one untrusted source
  double maxFailureRatio = 0.8;   // 400/401/403/404/407/484/505 share of final answers
  int minResponsesForRatio = 10;  // before the ratio counts
  size_t maxSources = 32768;      // per worker; the least recently seen is forgotten first
};

// Requests per second allowed by method class (sliding window of `window`).
struct MethodRates {
  double invite = 0;  // 0: unlimited
  double registration = 0;
  double options = 0;
  double other = 0;
};

struct ZoneRateLimit {
  MethodRates perSource;  // each untrusted source address
  MethodRates aggregate;  // the whole zone
};

// Defaults: the pbx and trunk zones hold only trusted peers (their ACL admits nobody else), so
// they have no untrusted per-source limit; the public zone is where floods come from. A
// phone registers and calls a few times a minute, far below these.
struct RateLimitSettings : FilterSwitches {
  std::chrono::milliseconds window{1000};
  ZoneRateLimit pbx;
  ZoneRateLimit trunk;
  ZoneRateLimit publicZone{{5, 10, 5, 20}, {100, 500, 200, 1000}};
  // The PBX and providers (and guard.trusted): unlimited unless set, since a busy trunk must
  // never be throttled by its own gateway by surprise. Over a set limit they get 503 +
  // Retry-After, never silence or a ban.
  MethodRates trustedPerSource;
  int banAfterViolations = 3;  // windows over the limit before an untrusted source is banned
  size_t maxSources = 65536;   // per worker; the least recently seen is forgotten first
};

struct BanSettings {
  bool enabled = true;
  std::chrono::seconds duration{600};         // the first ban
  double factor = 2.0;                        // each repeat offence multiplies it
  std::chrono::seconds maxDuration{604800};   // cap: one week
  std::chrono::seconds forgetAfter{2592000};  // an offender with no ban for 30 days starts over
  std::vector<std::string> blocklistFiles;    // plain IP/CIDR per line, or APIBAN JSON
  std::string blocklistUrl;                   // optional periodic HTTP pull: off when empty
  std::chrono::seconds blocklistInterval{3600};
};

struct OverloadSettings : FilterSwitches {
  double cpuPercent = 90;        // busy share of the worker's loop that starts shedding
  size_t queueDatagrams = 2000;  // datagrams waiting in the socket buffer that start it
  uint32_t retryAfterS = 5;      // told to trusted peers with 503
};

struct EventSettings {
  size_t sampleBytes = 256;  // of the message stored with each event
  // The same source and rule recorded at most once per interval; the rest are counted.
  std::chrono::seconds repeatInterval{60};
  std::chrono::hours retention{24 * 30};
};

struct GuardSettings {
  std::vector<Cidr> trusted;  // admin allowlist: never banned nor rate limited
  AclSettings acl;
  ScannerSettings scanner;
  RateLimitSettings rateLimit;
  BanSettings bans;
  OverloadSettings overload;
  EventSettings events;
};

}  // namespace tg::config
