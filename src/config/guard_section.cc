// The `guard:` section (guard_config.h). Each subsection has its own reader; the filter
// subsections (acl, scanner, rate_limit, overload) are in guard_filters_section.cc.

#include <charconv>
#include <cmath>
#include <limits>

#include "config/guard_filters_section.h"
#include "config/loader.h"

namespace tg::config::detail {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kTenYearsS = int64_t{10} * 366 * 24 * 3600;

void readGuardBans(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.bans", line,
              {"enabled", "duration_s", "factor", "max_duration_s", "forget_after_s",
               "blocklist_files", "blocklist_url", "blocklist_interval_s"});
  if (!m.valid()) return;
  BanSettings& b = g.bans;
  loader.setBool(m, "enabled", b.enabled);
  loader.setDuration(m, "duration_s", b.duration, 1, kTenYearsS);
  if (auto v = loader.readNumber(m, "factor", 1, 100,
                                 "a number from 1 to 100 (1: every ban lasts duration_s)")) {
    b.factor = *v;
  }
  loader.setDuration(m, "max_duration_s", b.maxDuration, 1, kTenYearsS);
  loader.setDuration(m, "forget_after_s", b.forgetAfter, 1, kTenYearsS);
  if (b.maxDuration < b.duration) {
    const std::string key = m.has("max_duration_s") ? "max_duration_s" : "duration_s";
    loader.error(Loader::valueLine(m, key), m.pathOf(key),
                 "max_duration_s (" + std::to_string(b.maxDuration.count()) +
                     ") is shorter than duration_s (" + std::to_string(b.duration.count()) +
                     "); the cap must be at least the first ban");
  }
  b.blocklistFiles.clear();
  for (const auto& item : loader.readStringList(m, "blocklist_files")) {
    if (item.value.empty()) {
      loader.error(item.line, item.path,
                   "is empty; name a blocklist file (one IP or CIDR per line, "
                   "or APIBAN JSON)");
      continue;
    }
    b.blocklistFiles.push_back(loader.resolvePath(item.value));
  }
  loader.setString(m, "blocklist_url", b.blocklistUrl);
  if (!b.blocklistUrl.empty() && b.blocklistUrl.rfind("http://", 0) != 0 &&
      b.blocklistUrl.rfind("https://", 0) != 0) {
    loader.error(Loader::valueLine(m, "blocklist_url"), m.pathOf("blocklist_url"),
                 "'" + b.blocklistUrl + "' is not an http:// or https:// URL");
  }
  // Pulled by guard::BlocklistFetcher. Seconds are allowed (tests, a local mirror); a public
  // feed wants its own rate limit respected (APIBAN: no more than every few minutes).
  loader.setDuration(m, "blocklist_interval_s", b.blocklistInterval, 1, kIntMax);
}

void readGuardEvents(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.events", line,
              {"sample_bytes", "repeat_interval_s", "retention_days"});
  if (!m.valid()) return;
  EventSettings& e = g.events;
  loader.setInt(m, "sample_bytes", e.sampleBytes, 0, 65536);
  loader.setDuration(m, "repeat_interval_s", e.repeatInterval, 0, 86400);
  if (auto days = loader.readInt(m, "retention_days", 1, 3650)) {
    e.retention = std::chrono::hours(*days * 24);
  }
}
}  // namespace

void readGuard(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "guard", line,
              {"trusted", "acl", "scanner", "rate_limit", "bans", "overload", "events"});
  if (!m.valid()) return;
  GuardSettings& g = c.guard;
  g.trusted = loader.readCidrs(m, "trusted");
  if (m.has("acl")) readGuardAcl(loader, m.get("acl"), m.keyLine("acl"), g);
  if (m.has("scanner")) readGuardScanner(loader, m.get("scanner"), m.keyLine("scanner"), g);
  if (m.has("rate_limit"))
    readGuardRateLimit(loader, m.get("rate_limit"), m.keyLine("rate_limit"), g);
  if (m.has("overload")) readGuardOverload(loader, m.get("overload"), m.keyLine("overload"), g);
  if (m.has("bans")) readGuardBans(loader, m.get("bans"), m.keyLine("bans"), g);
  if (m.has("events")) readGuardEvents(loader, m.get("events"), m.keyLine("events"), g);
}

}  // namespace tg::config::detail
