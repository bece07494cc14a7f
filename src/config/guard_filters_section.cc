// The filter subsections of `guard:` (guard_config.h): acl, scanner, rate_limit, overload.

#include "config/guard_filters_section.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>

namespace tg::config::detail {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

// ISO 3166-1 alpha-2 codes in use (from Debian's iso-codes), plus XK (Kosovo), which MaxMind
// databases use.
constexpr std::string_view kCountryCodes =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS XK YE YT ZA ZM ZW";

bool isCountryCode(std::string_view code) {
  if (code.size() != 2) return false;
  for (size_t i = 0; i + 2 <= kCountryCodes.size(); i += 3) {
    if (kCountryCodes.substr(i, 2) == code) return true;
  }
  return false;
}

void readSwitches(Loader& loader, const MapReader& m, FilterSwitches& s) {
  loader.setBool(m, "enabled", s.enabled);
  loader.setBool(m, "enforce", s.enforce);
}

// CIDR lists of the ACL. Unlike readCidrs, no warning for /0: "deny: [0.0.0.0/0]" is a
// legitimate way to close a zone.
std::vector<Cidr> readNetworks(Loader& loader, const MapReader& m, std::string_view key) {
  std::vector<Cidr> out;
  for (const auto& item : loader.readStringList(m, key)) {
    std::string why;
    if (auto cidr = Cidr::parse(item.value, &why)) {
      out.push_back(std::move(*cidr));
    } else {
      loader.error(item.line, item.path, why);
    }
  }
  return out;
}

void readZoneAcl(Loader& loader, const MapReader& parent, std::string_view key, ZoneAcl& out) {
  if (!parent.has(key)) return;
  MapReader m(loader, parent.get(key), parent.pathOf(key), parent.keyLine(key), {"allow", "deny"});
  if (!m.valid()) return;
  out.allow = readNetworks(loader, m, "allow");
  out.deny = readNetworks(loader, m, "deny");
}

std::vector<std::string> readCountries(Loader& loader, const MapReader& m, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& item : loader.readStringList(m, key)) {
    std::string code = item.value;
    for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!isCountryCode(code)) {
      loader.error(
          item.line, item.path,
          "'" + item.value + "' is not an ISO 3166-1 alpha-2 country code; write e.g. DE, US, GB");
      continue;
    }
    if (std::find(out.begin(), out.end(), code) == out.end()) out.push_back(code);
  }
  return out;
}

void readMethodRates(Loader& loader, const MapReader& parent, std::string_view key,
                     MethodRates& out) {
  if (!parent.has(key)) return;
  MapReader m(loader, parent.get(key), parent.pathOf(key), parent.keyLine(key),
              {"invite", "register", "options", "other"});
  if (!m.valid()) return;
  const std::string range = "requests per second >= 0 (0: unlimited)";
  constexpr double kMax = 1e7;
  if (auto v = loader.readNumber(m, "invite", 0, kMax, range)) out.invite = *v;
  if (auto v = loader.readNumber(m, "register", 0, kMax, range)) out.registration = *v;
  if (auto v = loader.readNumber(m, "options", 0, kMax, range)) out.options = *v;
  if (auto v = loader.readNumber(m, "other", 0, kMax, range)) out.other = *v;
}

void readZoneRateLimit(Loader& loader, const MapReader& parent, std::string_view key,
                       ZoneRateLimit& out) {
  if (!parent.has(key)) return;
  MapReader m(loader, parent.get(key), parent.pathOf(key), parent.keyLine(key),
              {"per_source", "aggregate"});
  if (!m.valid()) return;
  readMethodRates(loader, m, "per_source", out.perSource);
  readMethodRates(loader, m, "aggregate", out.aggregate);
}

}  // namespace

void readGuardAcl(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.acl", line,
              {"enabled", "enforce", "pbx", "trunk", "public", "countries"});
  if (!m.valid()) return;
  AclSettings& acl = g.acl;
  readSwitches(loader, m, acl);
  readZoneAcl(loader, m, "pbx", acl.pbx);
  readZoneAcl(loader, m, "trunk", acl.trunk);
  readZoneAcl(loader, m, "public", acl.publicZone);
  if (!m.has("countries") || m.get("countries").IsNull()) return;
  MapReader c(loader, m.get("countries"), m.pathOf("countries"), m.keyLine("countries"),
              {"database", "allow", "deny", "deny_unknown"});
  if (!c.valid()) return;
  CountryAcl countries;
  countries.allow = readCountries(loader, c, "allow");
  countries.deny = readCountries(loader, c, "deny");
  loader.setBool(c, "deny_unknown", countries.denyUnknown);
  for (const std::string& code : countries.allow) {
    if (std::find(countries.deny.begin(), countries.deny.end(), code) != countries.deny.end()) {
      loader.error(Loader::valueLine(c, "deny"), c.pathOf("deny"),
                   code + " is on both the allow and the deny list; keep it on one");
    }
  }
  if (!c.has("database")) {
    loader.error(
        c.line(), c.pathOf("database"),
        "missing; give the path of a MaxMind country database, e.g. GeoLite2-Country.mmdb");
    return;
  }
  auto database = loader.readString(c, "database");
  if (!database) return;
  if (database->empty()) {
    loader.error(
        Loader::valueLine(c, "database"), c.pathOf("database"),
        "is empty; give the path of a MaxMind country database, e.g. GeoLite2-Country.mmdb");
    return;
  }
  countries.database = loader.resolvePath(*database);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(countries.database, ec)) {
    loader.error(
        Loader::valueLine(c, "database"), c.pathOf("database"),
        "'" + countries.database +
            "' does not exist or is not a file; download GeoLite2-Country.mmdb from MaxMind "
            "(free account) or remove guard.acl.countries");
    return;
  }
  if (countries.allow.empty() && countries.deny.empty() && !countries.denyUnknown) {
    loader.warn(c.line(), c.path(),
                "has neither allow nor deny nor deny_unknown: it filters nothing");
  }
  acl.countries = std::move(countries);
}

void readGuardScanner(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.scanner", line,
              {"enabled", "enforce", "user_agents", "use_shipped_signatures", "window_s",
               "max_distinct_users", "max_options", "max_failure_ratio", "min_responses_for_ratio",
               "max_sources"});
  if (!m.valid()) return;
  ScannerSettings& s = g.scanner;
  readSwitches(loader, m, s);
  if (m.has("user_agents")) {
    s.userAgents.clear();
    for (const auto& item : loader.readStringList(m, "user_agents")) {
      const bool printable = std::all_of(item.value.begin(), item.value.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7F;
      });
      if (item.value.size() < 3) {
        // A one- or two-letter substring would match nearly every User-Agent.
        loader.error(
            item.line, item.path,
            "'" + item.value + "' is too short to be a signature; give at least 3 characters");
      } else if (!printable) {
        loader.error(item.line, item.path, "contains control characters; use plain text");
      } else {
        s.userAgents.push_back(item.value);
      }
    }
  }
  loader.setBool(m, "use_shipped_signatures", s.useShippedSignatures);
  loader.setDuration(m, "window_s", s.window, 1, 86400);
  // Each source keeps one hash more than this in place (ScannerFilter::kMaxDistinctUsers).
  loader.setInt(m, "max_distinct_users", s.maxDistinctUsers, 1, 31);
  loader.setInt(m, "max_options", s.maxOptions, 1, 65534);
  if (auto v = loader.readNumber(m, "max_failure_ratio", 0, 1, "a number from 0 to 1")) {
    s.maxFailureRatio = *v;
  }
  loader.setInt(m, "min_responses_for_ratio", s.minResponsesForRatio, 1, 65535);
  loader.setInt(m, "max_sources", s.maxSources, 1, 10000000);
}

void readGuardRateLimit(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.rate_limit", line,
              {"enabled", "enforce", "window_ms", "pbx", "trunk", "public", "trusted_per_source",
               "ban_after_violations", "max_sources"});
  if (!m.valid()) return;
  RateLimitSettings& r = g.rateLimit;
  readSwitches(loader, m, r);
  loader.setDuration(m, "window_ms", r.window, 10, 3600000);
  readZoneRateLimit(loader, m, "pbx", r.pbx);
  readZoneRateLimit(loader, m, "trunk", r.trunk);
  readZoneRateLimit(loader, m, "public", r.publicZone);
  readMethodRates(loader, m, "trusted_per_source", r.trustedPerSource);
  loader.setInt(m, "ban_after_violations", r.banAfterViolations, 0, 1000);
  loader.setInt(m, "max_sources", r.maxSources, 1, 10000000);
}

void readGuardOverload(Loader& loader, const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(loader, node, "guard.overload", line,
              {"enabled", "enforce", "cpu_percent", "queue_datagrams", "retry_after_s"});
  if (!m.valid()) return;
  OverloadSettings& o = g.overload;
  readSwitches(loader, m, o);
  // Below 20% the resume mark (10 points lower) would be too close to idle to ever be reached.
  if (auto v = loader.readNumber(m, "cpu_percent", 20, 100, "a percentage from 20 to 100")) {
    o.cpuPercent = *v;
  }
  loader.setInt(m, "queue_datagrams", o.queueDatagrams, 1, kIntMax);
  loader.setInt(m, "retry_after_s", o.retryAfterS, 1, 3600);
}

}  // namespace tg::config::detail
