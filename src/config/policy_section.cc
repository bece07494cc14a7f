// The `policy:` section (policy_config.h): the toll-fraud call policy engine. docs/policy.md
// describes every key; config/examples/policy.example.yaml shows them in use.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "base/secret_hash.h"
#include "config/loader.h"

namespace tg::config {
namespace {

bool allDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const std::vector<std::string_view> kClassNames = {
    "internal", "emergency",     "local",     "national",  "mobile", "toll-free",
    "premium",  "international", "high-risk", "satellite", "unknown"};

bool isClass(std::string_view c) {
  return std::find(kClassNames.begin(), kClassNames.end(), c) != kClassNames.end();
}

std::string classList() {
  std::string s;
  for (std::string_view c : kClassNames) s += (s.empty() ? "" : ", ") + std::string(c);
  return s;
}

// "+44 20", "4420" -> "4420"; nullopt when anything but digits (and a leading '+') is left.
std::optional<std::string> e164Prefix(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && i == 0) continue;
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return std::nullopt;
    out += c;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Days: "mon", "mon-fri", "weekdays", "weekend", "all"; bit 0 = Monday.
std::optional<uint8_t> parseDays(std::string_view text) {
  static const std::vector<std::string_view> names = {"mon", "tue", "wed", "thu",
                                                      "fri", "sat", "sun"};
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "all" || t == "daily") return 0x7f;
  if (t == "weekdays") return 0x1f;
  if (t == "weekend") return 0x60;
  auto day = [&](std::string_view d) -> int {
    const auto it = std::find(names.begin(), names.end(), d.substr(0, 3));
    return it == names.end() || (d.size() != 3 && d.size() < 6)
               ? -1
               : static_cast<int>(it - names.begin());
  };
  const size_t dash = t.find('-');
  if (dash == std::string::npos) {
    const int d = day(t);
    if (d < 0) return std::nullopt;
    return static_cast<uint8_t>(1 << d);
  }
  const int from = day(std::string_view(t).substr(0, dash));
  const int to = day(std::string_view(t).substr(dash + 1));
  if (from < 0 || to < 0) return std::nullopt;
  uint8_t mask = 0;
  for (int d = from;; d = (d + 1) % 7) {  // "fri-mon" wraps over the weekend
    mask |= static_cast<uint8_t>(1 << d);
    if (d == to) break;
  }
  return mask;
}

std::optional<int> parseClock(std::string_view t) {
  if (t.size() != 5 || t[2] != ':' || !allDigits(t.substr(0, 2)) || !allDigits(t.substr(3))) {
    return std::nullopt;
  }
  const int h = (t[0] - '0') * 10 + (t[1] - '0');
  const int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

bool validDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !allDigits(t.substr(0, 4)) ||
      !allDigits(t.substr(5, 2)) || !allDigits(t.substr(8, 2))) {
    return false;
  }
  const int m = (t[5] - '0') * 10 + (t[6] - '0');
  const int d = (t[8] - '0') * 10 + (t[9] - '0');
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

bool validTimeZoneName(std::string_view name) {
  return !name.empty() && name.front() != '/' && name.find("..") == std::string_view::npos &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
                  c == '+';
         });
}

std::optional<double> parseMoney(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

}  // namespace

namespace detail {
namespace {

std::string presetList() {
  std::string s;
  for (std::string_view n : numberingPresetNames()) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

std::optional<double> readMoney(Loader& l, const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return std::nullopt;
  std::optional<double> out;
  if (v.IsScalar() && !isQuoted(v)) out = parseMoney(v.Scalar());
  if (!out) {
    l.error(Loader::valueLine(m, key), m.pathOf(key),
            "expected an amount >= 0 in the rate table's currency, e.g. 25 or 7.50, got " +
                describe(v));
  }
  return out;
}

// A list of numbers or number prefixes ("+12125550100", "+1212555*").
std::vector<std::string> readNumbers(Loader& l, const MapReader& m, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& item : l.readStringList(m, key)) {
    std::string_view v = item.value;
    const bool prefix = !v.empty() && v.back() == '*';
    if (prefix) v.remove_suffix(1);
    auto digits = e164Prefix(v);
    if (!digits) {
      l.error(item.line, item.path,
              "'" + item.value +
                  "' is not an E.164 number; write it with its country code, e.g. "
                  "\"+12125550100\", or a prefix ending in '*' such as \"+1212555*\"");
      continue;
    }
    out.push_back("+" + *digits + (prefix ? "*" : ""));
  }
  return out;
}

std::vector<std::string> readPlain(Loader& l, const MapReader& m, std::string_view key) {
  std::vector<std::string> out;
  for (auto& item : l.readStringList(m, key)) out.push_back(std::move(item.value));
  return out;
}

}  // namespace

// One numbering plan: a country preset, then any key overrides it.
static void readNumbering(Loader& l, const YAML::Node& node, const std::string& path, int line,
                          NumberingPlan& out) {
  MapReader m(l, node, path, line,
              {"country", "country_code", "international_prefix", "national_prefix",
               "national_length", "area_code", "local_length", "internal_max_length", "emergency"});
  if (!m.valid()) return;
  if (m.has("country")) {
    if (auto c = l.readString(m, "country")) {
      if (const NumberingPlan* p = numberingPreset(*c)) {
        out = *p;
      } else {
        l.error(Loader::valueLine(m, "country"), m.pathOf("country"),
                "no numbering preset for '" + *c + "'; use one of " + presetList() +
                    ", or give country_code, international_prefix and national_prefix");
      }
    }
  }
  auto digits = [&](std::string_view key, std::string& field, bool mayBeEmpty) {
    if (!m.has(key)) return;
    auto s = l.readString(m, key);
    if (!s) return;
    if ((!mayBeEmpty && s->empty()) || !allDigits(*s)) {
      l.error(Loader::valueLine(m, key), m.pathOf(key),
              "'" + *s + "' is not a digit string; write it in quotes, e.g. \"011\"");
      return;
    }
    field = *s;
  };
  digits("country_code", out.countryCode, false);
  digits("international_prefix", out.internationalPrefix, false);
  digits("national_prefix", out.nationalPrefix, true);
  digits("area_code", out.areaCode, true);
  l.setInt(m, "national_length", out.nationalLength, 0, 15);
  l.setInt(m, "local_length", out.localLength, 0, 15);
  l.setInt(m, "internal_max_length", out.internalMaxLength, 0, 15);
  if (m.has("emergency")) out.emergency = readPlain(l, m, "emergency");
  if (out.countryCode.empty()) {
    l.error(m.line(), path, "no country code; give a preset (country: US) or country_code: \"1\"");
  }
  if (out.internalMaxLength > 0 && out.nationalLength > 0 &&
      out.internalMaxLength >= out.nationalLength) {
    l.error(Loader::valueLine(m, "internal_max_length"), m.pathOf("internal_max_length"),
            "extensions would swallow national numbers; keep it below national_length (" +
                std::to_string(out.nationalLength) + ")");
  }
}

static std::optional<PolicyAction> actionNamed(std::string_view s, bool allowCode) {
  if (s == "allow") return PolicyAction::kAllow;
  if (s == "deny") return PolicyAction::kDeny;
  if (allowCode && s == "require_code") return PolicyAction::kRequireCode;
  return std::nullopt;
}

static void readRule(Loader& l, const YAML::Node& node, const std::string& path, int line, size_t i,
                     const std::set<std::string>& groups, PolicySettings& p,
                     std::set<std::string>& names) {
  MapReader m(l, node, path, line, {"name",           "zones",
                                    "accounts",       "groups",
                                    "classes",        "prefixes",
                                    "days",           "hours",
                                    "timezone",       "action",
                                    "code",           "reason",
                                    "code_users",     "per",
                                    "max_concurrent", "calls_per_minute",
                                    "max_duration_s", "spend_per_hour",
                                    "spend_per_day",  "repeat_calls",
                                    "repeat_window_s"});
  if (!m.valid()) return;
  PolicyRule r;
  r.line = line;
  r.name = "rules[" + std::to_string(i) + "]";
  l.setString(m, "name", r.name);
  if (!names.insert(r.name).second) {
    l.error(Loader::valueLine(m, "name"), m.pathOf("name"),
            "another rule is already called '" + r.name +
                "'; names identify rules in events "
                "and CDRs, make each unique");
  }
  for (const auto& z : l.readStringList(m, "zones")) {
    if (z.value == "pbx") {
      r.zones |= kZonePbx;
    } else if (z.value == "trunk") {
      r.zones |= kZoneTrunk;
    } else if (z.value == "public") {
      r.zones |= kZonePublic;
    } else {
      l.error(z.line, z.path, "unknown zone '" + z.value + "'; use pbx, trunk or public");
    }
  }
  r.accounts = readPlain(l, m, "accounts");
  for (const auto& g : l.readStringList(m, "groups")) {
    if (!groups.count(g.value)) {
      l.error(g.line, g.path,
              "no group '" + g.value +
                  "'; define it under policy.groups or in an account's "
                  "groups");
    }
    r.groups.push_back(g.value);
  }
  for (const auto& c : l.readStringList(m, "classes")) {
    if (!isClass(c.value)) {
      l.error(c.line, c.path, "unknown destination class '" + c.value + "'; use " + classList());
      continue;
    }
    r.classes.push_back(c.value);
  }
  r.prefixes = readNumbers(l, m, "prefixes");
  for (std::string& pfx : r.prefixes) {
    if (pfx.back() == '*') pfx.pop_back();  // every rule prefix is a prefix
  }
  const bool windowed = m.has("days") || m.has("hours") || m.has("timezone");
  if (windowed) {
    PolicyTimeWindow w;
    if (m.has("days")) {
      w.days = 0;
      std::vector<Located<std::string>> items;
      if (m.get("days").IsScalar()) {
        if (auto s = l.readString(m, "days")) {
          items.push_back({*s, Loader::valueLine(m, "days"), m.pathOf("days")});
        }
      } else {
        items = l.readStringList(m, "days");
      }
      for (const auto& d : items) {
        if (auto mask = parseDays(d.value)) {
          w.days |= *mask;
        } else {
          l.error(d.line, d.path,
                  "'" + d.value +
                      "' is not a day; use mon..sun, a range like mon-fri, "
                      "weekdays, weekend or all");
        }
      }
    }
    if (m.has("hours")) {
      if (auto h = l.readString(m, "hours")) {
        const size_t dash = h->find('-');
        std::optional<int> from, to;
        if (dash != std::string::npos) {
          from = parseClock(std::string_view(*h).substr(0, dash));
          to = parseClock(std::string_view(*h).substr(dash + 1));
        }
        if (!from || !to || *from == *to) {
          l.error(Loader::valueLine(m, "hours"), m.pathOf("hours"),
                  "'" + *h +
                      "' is not a time range; write \"08:00-18:00\" (24-hour clock; "
                      "\"22:00-06:00\" runs across midnight)");
        } else {
          w.startMinute = *from;
          w.endMinute = *to;
        }
      }
    }
    if (m.has("timezone")) {
      if (auto tz = l.readString(m, "timezone")) {
        if (!validTimeZoneName(*tz)) {
          l.error(Loader::valueLine(m, "timezone"), m.pathOf("timezone"),
                  "'" + *tz + "' is not an IANA time zone name; write e.g. Europe/London");
        } else if (*tz != "UTC" && *tz != "Etc/UTC") {
          const char* dir = std::getenv("TZDIR");
          const std::string file =
              std::string(dir != nullptr && *dir ? dir : "/usr/share/zoneinfo") + "/" + *tz;
          if (!std::ifstream(file)) {
            l.error(Loader::valueLine(m, "timezone"), m.pathOf("timezone"),
                    "unknown time zone '" + *tz + "' (no " + file +
                        "); write an IANA name such as America/New_York, or install tzdata");
          }
        }
        w.timeZone = *tz;
      }
    }
    r.window = w;
  }
  if (!m.has("action")) {
    l.error(m.line(), m.pathOf("action"), "missing; write action: allow, deny or require_code");
  } else if (auto a = l.readString(m, "action")) {
    if (auto action = actionNamed(*a, true)) {
      r.action = *action;
    } else {
      l.error(Loader::valueLine(m, "action"), m.pathOf("action"),
              "unknown action '" + *a + "'; use allow, deny or require_code");
    }
  }
  l.setInt(m, "code", r.code, 400, 699);
  l.setString(m, "reason", r.reason);
  for (char c : r.reason) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      l.error(Loader::valueLine(m, "reason"), m.pathOf("reason"),
              "the reason goes into a SIP header: no quotes, backslashes or control "
              "characters");
      break;
    }
  }
  r.codeUsers = readPlain(l, m, "code_users");
  if (!r.codeUsers.empty() && r.action != PolicyAction::kRequireCode) {
    l.error(Loader::valueLine(m, "code_users"), m.pathOf("code_users"),
            "only applies to action: require_code; remove it or change the action");
  }
  if (m.has("per")) {
    if (auto per = l.readString(m, "per")) {
      if (*per == "account") {
        r.scope = LimitScope::kAccount;
      } else if (*per == "rule") {
        r.scope = LimitScope::kRule;
      } else {
        l.error(Loader::valueLine(m, "per"), m.pathOf("per"),
                "unknown value '" + *per +
                    "'; use account (each caller has its own limits) "
                    "or rule (all calls this rule allows share them)");
      }
    }
  }
  l.setInt(m, "max_concurrent", r.maxConcurrent, 0, 100000);
  l.setInt(m, "calls_per_minute", r.callsPerMinute, 0, 100000);
  l.setDuration(m, "max_duration_s", r.maxDuration, 0, 7 * 86400);
  if (auto v = readMoney(l, m, "spend_per_hour")) r.spendPerHour = *v;
  if (auto v = readMoney(l, m, "spend_per_day")) r.spendPerDay = *v;
  l.setInt(m, "repeat_calls", r.repeatCalls, 0, 100000);
  l.setDuration(m, "repeat_window_s", r.repeatWindow, 0, 86400);
  if ((r.repeatCalls > 0) != (r.repeatWindow.count() > 0)) {
    l.error(m.line(), m.pathOf(r.repeatCalls > 0 ? "repeat_window_s" : "repeat_calls"),
            "repeat_calls and repeat_window_s go together, e.g. repeat_calls: 3 and "
            "repeat_window_s: 600");
  }
  const bool limits = r.maxConcurrent || r.callsPerMinute || r.maxDuration.count() ||
                      r.spendPerHour > 0 || r.spendPerDay > 0 || r.repeatCalls;
  if (limits && r.action == PolicyAction::kDeny) {
    l.warn(line, path, "limits on a deny rule never apply; put them on an allow rule");
  }
  p.rules.push_back(std::move(r));
}

static void readRates(Loader& l, const MapReader& m, PolicySettings& p) {
  auto file = l.readString(m, "rate_table");
  if (!file || file->empty()) return;
  p.rateTablePath = l.resolvePath(*file);
  const int line = Loader::valueLine(m, "rate_table");
  const std::string key = m.pathOf("rate_table");
  std::ifstream in(p.rateTablePath);
  if (!in) {
    l.error(line, key,
            "cannot read " + p.rateTablePath +
                "; give a CSV file (prefix,price_per_minute,increments), relative to this "
                "config file");
    return;
  }
  std::string text;
  int n = 0;
  int errors = 0;
  while (std::getline(in, text)) {
    ++n;
    const std::string t = trim(text);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(t);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(trim(cell));
    if (n == 1 && !f.empty() && f[0] == "prefix") continue;  // a header line
    auto bad = [&](const std::string& why) {
      if (++errors <= 5) {
        l.error(line, key, p.rateTablePath + " line " + std::to_string(n) + ": " + why);
      }
    };
    if (f.size() < 2 || f.size() > 3) {
      bad("expected prefix,price_per_minute[,increments], e.g. 44,0.02,60/60");
      continue;
    }
    RateEntry r;
    auto prefix = e164Prefix(f[0]);
    if (!prefix) {
      bad("'" + f[0] + "' is not an E.164 prefix; write digits with the country code, e.g. 4420");
      continue;
    }
    r.prefix = *prefix;
    auto price = parseMoney(f[1]);
    if (!price) {
      bad("'" + f[1] + "' is not a price; write a number >= 0 such as 0.025");
      continue;
    }
    r.pricePerMinute = *price;
    if (f.size() == 3 && !f[2].empty()) {
      const size_t slash = f[2].find('/');
      int a = 0, b = 0;
      const std::string_view s = f[2];
      const bool ok = slash != std::string::npos &&
                      std::from_chars(s.data(), s.data() + slash, a).ptr == s.data() + slash &&
                      std::from_chars(s.data() + slash + 1, s.data() + s.size(), b).ptr ==
                          s.data() + s.size() &&
                      a >= 1 && b >= 1 && a <= 3600 && b <= 3600;
      if (!ok) {
        bad("'" + f[2] +
            "' is not a billing increment; write first/next seconds, e.g. 60/60 "
            "or 1/1");
        continue;
      }
      r.firstIncrement = a;
      r.nextIncrement = b;
    }
    p.rates.push_back(std::move(r));
  }
  if (errors > 5) {
    l.error(line, key, std::to_string(errors - 5) + " more bad lines in " + p.rateTablePath);
  }
}

void Loader::readPolicy(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "policy", line,
              {"enabled", "enforce", "reject_code", "numbering", "default_action", "holidays",
               "groups", "accounts", "rules", "own_numbers", "caller_id", "inbound", "call_codes",
               "rate_table", "classes", "default_rules", "default_limits", "zone_limits"});
  if (!m.valid()) return;
  PolicySettings& p = c.policy;
  setBool(m, "enabled", p.enabled);
  setBool(m, "enforce", p.enforce);
  setBool(m, "default_rules", p.defaultRules);
  if (m.has("default_limits")) {
    MapReader dl(*this, m.get("default_limits"), m.pathOf("default_limits"),
                 m.keyLine("default_limits"),
                 {"max_concurrent", "calls_per_minute", "spend_per_hour"});
    if (dl.valid()) {
      setInt(dl, "max_concurrent", p.defaultLimits.maxConcurrent, 0, 100000);
      setInt(dl, "calls_per_minute", p.defaultLimits.callsPerMinute, 0, 100000);
      if (auto v = readMoney(*this, dl, "spend_per_hour")) p.defaultLimits.spendPerHour = *v;
    }
  }
  setInt(m, "reject_code", p.rejectCode, 400, 699);
  const std::array<std::string_view, kZoneCount> zones = {"pbx", "trunk", "public"};
  const NumberingPlan us = *numberingPreset("US");
  for (NumberingPlan& n : p.numbering) n = us;
  if (m.has("numbering")) {
    MapReader nm(*this, m.get("numbering"), m.pathOf("numbering"), m.keyLine("numbering"),
                 {zones.begin(), zones.end()});
    if (nm.valid()) {
      for (size_t z = 0; z < kZoneCount; ++z) {
        if (nm.has(zones[z])) {
          readNumbering(*this, nm.get(zones[z]), nm.pathOf(zones[z]), nm.keyLine(zones[z]),
                        p.numbering[z]);
        }
      }
    }
  } else if (p.enabled) {
    warn(line, m.pathOf("numbering"),
         "not given: numbers are read as dialled in the US (011 international, 1 national); "
         "set numbering.pbx.country for your country");
  }
  if (m.has("zone_limits")) {
    MapReader zm(*this, m.get("zone_limits"), m.pathOf("zone_limits"), m.keyLine("zone_limits"),
                 {zones.begin(), zones.end()});
    for (size_t z = 0; zm.valid() && z < kZoneCount; ++z) {
      if (!zm.has(zones[z])) continue;
      MapReader zl(*this, zm.get(zones[z]), zm.pathOf(zones[z]), zm.keyLine(zones[z]),
                   {"max_concurrent", "calls_per_minute"});
      if (!zl.valid()) continue;
      setInt(zl, "max_concurrent", p.zoneLimits[z].maxConcurrent, 0, 1000000);
      setInt(zl, "calls_per_minute", p.zoneLimits[z].callsPerMinute, 0, 1000000);
    }
  }
  if (m.has("default_action")) {
    MapReader dm(*this, m.get("default_action"), m.pathOf("default_action"),
                 m.keyLine("default_action"), {zones.begin(), zones.end()});
    if (dm.valid()) {
      for (size_t z = 0; z < kZoneCount; ++z) {
        if (!dm.has(zones[z])) continue;
        if (auto s = readString(dm, zones[z])) {
          if (auto a = actionNamed(*s, false)) {
            p.defaultAction[z] = *a;
          } else {
            error(valueLine(dm, zones[z]), dm.pathOf(zones[z]),
                  "unknown value '" + *s + "'; use allow or deny");
          }
        }
      }
    }
  }
  for (const auto& h : readStringList(m, "holidays")) {
    if (!validDate(h.value)) {
      error(h.line, h.path, "'" + h.value + "' is not a date; write YYYY-MM-DD, e.g. 2026-12-25");
      continue;
    }
    p.holidays.push_back(h.value);
  }
  std::set<std::string> groupNames;
  if (m.has("groups")) {
    const YAML::Node g = m.get("groups");
    if (!g.IsMap()) {
      error(valueLine(m, "groups"), m.pathOf("groups"),
            "expected a mapping of group name to accounts, e.g. sales: [\"201\", \"3*\"]");
    } else {
      std::vector<std::string> names;
      for (auto it = g.begin(); it != g.end(); ++it) names.push_back(it->first.Scalar());
      MapReader gm(*this, g, m.pathOf("groups"), m.keyLine("groups"), {names.begin(), names.end()});
      for (const std::string& name : names) {
        if (!gm.has(name)) continue;
        p.groups[name] = readPlain(*this, gm, name);
        groupNames.insert(name);
      }
    }
  }
  if (m.has("accounts")) {
    const YAML::Node accounts = m.get("accounts");
    if (!accounts.IsMap()) {
      error(valueLine(m, "accounts"), m.pathOf("accounts"),
            "expected a mapping of account to settings, e.g. \"201\": { groups: [sales] }");
    } else {
      for (auto it = accounts.begin(); it != accounts.end(); ++it) {
        const std::string name = it->first.Scalar();
        const std::string path = m.pathOf("accounts") + "." + name;
        MapReader am(*this, it->second, path, lineOf(it->first),
                     {"groups", "numbering", "own_numbers", "caller_id"});
        if (!am.valid()) continue;
        PolicyAccount a;
        a.groups = readPlain(*this, am, "groups");
        for (const std::string& g : a.groups) groupNames.insert(g);
        if (am.has("numbering")) {
          NumberingPlan n = p.numbering[0];
          readNumbering(*this, am.get("numbering"), am.pathOf("numbering"), am.keyLine("numbering"),
                        n);
          a.numbering = n;
        }
        a.ownNumbers = readNumbers(*this, am, "own_numbers");
        if (am.has("caller_id")) {
          if (auto id = readString(am, "caller_id")) {
            if (auto d = e164Prefix(*id)) {
              a.callerId = "+" + *d;
            } else {
              error(valueLine(am, "caller_id"), am.pathOf("caller_id"),
                    "'" + *id + "' is not an E.164 number; write e.g. \"+12125550100\"");
            }
          }
        }
        p.accounts[name] = std::move(a);
      }
    }
  }
  p.ownNumbers = readNumbers(*this, m, "own_numbers");
  // Caller-ID check on by default once there is something to check against.
  if (!m.has("caller_id") && anyOwnNumbers(p)) p.callerIdAction = CallerIdAction::kReject;
  if (m.has("caller_id")) {
    MapReader cm(*this, m.get("caller_id"), m.pathOf("caller_id"), m.keyLine("caller_id"),
                 {"action", "default"});
    if (cm.valid()) {
      if (auto a = cm.has("action") ? readString(cm, "action") : std::nullopt) {
        if (*a == "off") {
          p.callerIdAction = CallerIdAction::kOff;
        } else if (*a == "reject") {
          p.callerIdAction = CallerIdAction::kReject;
        } else if (*a == "rewrite") {
          p.callerIdAction = CallerIdAction::kRewrite;
        } else {
          error(valueLine(cm, "action"), cm.pathOf("action"),
                "unknown value '" + *a + "'; use off, reject or rewrite");
        }
      }
      if (auto d = cm.has("default") ? readString(cm, "default") : std::nullopt) {
        if (auto digits = e164Prefix(*d)) {
          p.defaultCallerId = "+" + *digits;
        } else {
          error(valueLine(cm, "default"), cm.pathOf("default"),
                "'" + *d + "' is not an E.164 number; write e.g. \"+12125550100\"");
        }
      }
      if (p.callerIdAction != CallerIdAction::kOff && !anyOwnNumbers(p)) {
        error(valueLine(cm, "action"), cm.pathOf("action"),
              "checks caller IDs against own_numbers, but none are listed; add "
              "policy.own_numbers: [\"+1212555*\"]");
      }
    }
  }
  if (m.has("inbound")) {
    MapReader im(*this, m.get("inbound"), m.pathOf("inbound"), m.keyLine("inbound"),
                 {"allow", "deny", "reject_anonymous"});
    if (im.valid()) {
      p.inboundAllow = readNumbers(*this, im, "allow");
      p.inboundDeny = readNumbers(*this, im, "deny");
      setBool(im, "reject_anonymous", p.rejectAnonymousInbound);
    }
  }
  if (m.has("call_codes")) {
    MapReader cc(*this, m.get("call_codes"), m.pathOf("call_codes"), m.keyLine("call_codes"),
                 {"prefix", "length", "codes", "max_failures", "failure_window_s", "lockout_s"});
    if (cc.valid()) {
      setString(cc, "prefix", p.callCodePrefix);
      setInt(cc, "length", p.callCodeLength, 2, 12);
      setInt(cc, "max_failures", p.callCodeMaxFailures, 1, 1000);
      setDuration(cc, "failure_window_s", p.callCodeFailureWindow, 1, 86400);
      setDuration(cc, "lockout_s", p.callCodeLockout, 1, 7 * 86400);
      if (cc.has("codes")) {
        const YAML::Node codes = cc.get("codes");
        if (!codes.IsMap()) {
          error(valueLine(cc, "codes"), cc.pathOf("codes"),
                "expected a mapping of user to code, e.g. alice: \"4821\"");
        } else {
          std::map<std::string, std::string> owner;  // code -> user, to find duplicates
          int clear = 0;
          for (auto it = codes.begin(); it != codes.end(); ++it) {
            const std::string user = it->first.Scalar();
            const std::string path = cc.pathOf("codes") + "." + user;
            const int codeLine = lineOf(it->second);
            auto code = readString(it->second, codeLine, path);
            if (!code) continue;
            // Never echo the code itself (nor its hash): config errors end up in logs.
            if (code->starts_with(base::kSecretHashPrefix)) {
              std::string why;
              if (!base::isSecretHash(*code, &why)) {
                error(codeLine, path,
                      "not a hash `trunkguard hash-code` writes: " + why +
                          " (docs/policy.md, \"Call codes at rest\")");
              } else {
                p.callCodes.push_back({user, *code});
              }
              continue;
            }
            if (static_cast<int>(code->size()) != p.callCodeLength || !allDigits(*code)) {
              error(codeLine, path,
                    "a code must be exactly " + std::to_string(p.callCodeLength) +
                        " digits (call_codes.length), in quotes, or its hash from "
                        "`trunkguard hash-code`");
              continue;
            }
            if (auto [it2, fresh] = owner.emplace(*code, user); !fresh) {
              error(codeLine, path,
                    "the same code as user '" + it2->second +
                        "'; codes must "
                        "identify one user");
              continue;
            }
            // Hashed here, so the running gateway never holds it in the clear either.
            p.callCodes.push_back({user, base::hashSecret(*code)});
            ++clear;
          }
          if (clear > 0) {
            warn(valueLine(cc, "codes"), cc.pathOf("codes"),
                 std::to_string(clear) +
                     " call code(s) written in the clear; replace each with the hash "
                     "`trunkguard hash-code` prints, so the file, its backups and its readers "
                     "no longer hold them");
          }
        }
      }
      if (p.callCodePrefix.empty() && !p.callCodes.empty()) {
        error(cc.line(), cc.pathOf("prefix"),
              "missing; say what users dial before a code, e.g. prefix: \"*7\"");
      }
    }
  }
  if (m.has("rate_table")) readRates(*this, m, p);
  if (m.has("classes")) {
    const YAML::Node cl = m.get("classes");
    if (!cl.IsMap()) {
      error(valueLine(m, "classes"), m.pathOf("classes"),
            "expected a mapping of E.164 prefix to class, e.g. \"+4470\": premium");
    } else {
      for (auto it = cl.begin(); it != cl.end(); ++it) {
        const std::string prefix = it->first.Scalar();
        const std::string path = m.pathOf("classes") + "." + prefix;
        const int itemLine = lineOf(it->first);
        auto digits = e164Prefix(prefix);
        if (!digits) {
          error(itemLine, path, "'" + prefix + "' is not an E.164 prefix; write e.g. \"+4470\"");
          continue;
        }
        auto name = readString(it->second, lineOf(it->second), path);
        if (!name) continue;
        if (!isClass(*name) || *name == "internal" || *name == "emergency" || *name == "local") {
          error(lineOf(it->second), path,
                "'" + *name +
                    "' cannot be given to a prefix; use national, mobile, toll-free, "
                    "premium, international, high-risk, satellite or unknown");
          continue;
        }
        p.classOverrides.push_back({*digits, *name});
      }
    }
  }
  if (expectSequence(m, "rules")) {
    const YAML::Node list = m.get("rules");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      readRule(*this, list[i], index(m.pathOf("rules"), i), lineOf(list[i]), i, groupNames, p,
               names);
    }
  }
  for (const PolicyRule& r : p.rules) {
    for (const std::string& u : r.codeUsers) {
      if (std::none_of(p.callCodes.begin(), p.callCodes.end(),
                       [&](const CallCode& code) { return code.user == u; })) {
        error(r.line, "policy.rules." + r.name + ".code_users",
              "no call code belongs to user '" + u + "'; add it under policy.call_codes.codes");
      }
    }
    if (r.action == PolicyAction::kRequireCode && p.callCodes.empty()) {
      error(r.line, "policy.rules." + r.name + ".action",
            "require_code, but no call codes are configured; add policy.call_codes");
    }
  }
}

}  // namespace detail
}  // namespace tg::config
