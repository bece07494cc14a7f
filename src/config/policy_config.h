#pragma once

// Settings of the toll-fraud call policy engine (src/guard/policy/). Read by policy_section.cc;
// docs/policy.md describes every key. Files named here (rate table, classes, codes) are read
// while loading, so that their errors carry their own file:line like the YAML's.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::config {

// Zones as bits (config does not depend on transport): the order of transport::Zone.
inline constexpr uint8_t kZonePbx = 1 << 0;
inline constexpr uint8_t kZoneTrunk = 1 << 1;
inline constexpr uint8_t kZonePublic = 1 << 2;
inline constexpr size_t kZoneCount = 3;

// How numbers are dialled in one place: turns what a phone sends into E.164.
struct NumberingPlan {
  std::string country;                 // ISO 3166 alpha-2 of the preset ("US", "GB"), informational
  std::string countryCode;             // E.164 country code without '+': "1", "44"
  std::string internationalPrefix;     // "011" (NANP), "00" (most of Europe), "0011" (AU)
  std::string nationalPrefix;          // trunk prefix: "1" (NANP), "0" (UK, DE, FR, AU)
  int nationalLength = 0;              // digits of a national number dialled without the national
                                       // prefix (NANP: 10); 0 = the prefix is always dialled
  std::string areaCode;                // prepended to local numbers (localLength digits)
  int localLength = 0;                 // digits of a number dialled without area code; 0 = none
  int internalMaxLength = 4;           // up to this many digits (and no prefix): an extension
  std::vector<std::string> emergency;  // always allowed, never delayed: "911", "112", ...
};

// The built-in plan of a country (ISO alpha-2, "UK" accepted for GB); nullptr when unknown.
const NumberingPlan* numberingPreset(std::string_view country);
std::vector<std::string_view> numberingPresetNames();

enum class PolicyAction : uint8_t { kAllow, kDeny, kRequireCode };
enum class LimitScope : uint8_t { kAccount, kRule };  // limits counted per account or per rule
enum class CallerIdAction : uint8_t { kOff, kReject, kRewrite };

struct PolicyTimeWindow {
  uint8_t days = 0x7f;   // bit 0 = Monday ... bit 6 = Sunday
  int startMinute = 0;   // minutes after local midnight
  int endMinute = 1440;  // end < start: the window runs across midnight into the next day
  std::string timeZone;  // IANA name; empty = UTC
};

struct PolicyRule {
  std::string name;
  int line = 0;                       // where it was written, for explain
  uint8_t zones = 0;                  // kZone* bits; 0 = every zone
  std::vector<std::string> accounts;  // exact, or a prefix ending in '*'
  std::vector<std::string> groups;
  std::vector<std::string> classes;        // destination classes
  std::vector<std::string> prefixes;       // E.164 prefixes, "+44" (the '+' is optional)
  std::optional<PolicyTimeWindow> window;  // matches only inside (and not on holidays)
  PolicyAction action = PolicyAction::kAllow;
  int code = 0;                        // 0 = PolicySettings::rejectCode
  std::string reason;                  // empty = a reason that fits the decision
  std::vector<std::string> codeUsers;  // require_code: only these users' codes; empty = any
  // Limits checked when this rule allows a call; 0 = no limit.
  LimitScope scope = LimitScope::kAccount;
  int maxConcurrent = 0;
  int callsPerMinute = 0;
  // The caps above are policy.default_limits (the rule set none of its own): caps for one
  // person, which a call counted as a whole PBX (no asserted extension) does not get.
  bool limitsFromDefaults = false;
  std::chrono::seconds maxDuration{0};
  double spendPerHour = 0;  // rolling 60 minutes, live calls included
  double spendPerDay = 0;   // rolling 24 hours
  int repeatCalls = 0;      // at most this many calls to the same number within repeatWindow
  std::chrono::seconds repeatWindow{0};
};

struct RateEntry {
  std::string prefix;  // E.164 digits without '+'
  double pricePerMinute = 0;
  int firstIncrement = 60;  // seconds billed for the first part ("60/60": 60)
  int nextIncrement = 60;   // then in steps of this many seconds
};

struct ClassOverride {
  std::string prefix;  // E.164 digits without '+'
  std::string cls;
};

struct PolicyAccount {
  std::vector<std::string> groups;
  std::optional<NumberingPlan> numbering;  // instead of the zone's
  std::vector<std::string> ownNumbers;     // its DIDs, E.164, prefix with trailing '*'
  std::string callerId;                    // rewrite spoofed IDs to this (E.164)
};

// Built-in rules appended after the admin's (docs/policy.md, "Safe defaults"), named so that
// events, CDRs and explain say which one decided.
inline constexpr std::string_view kDefaultDenyPremium = "default:deny-premium";
inline constexpr std::string_view kDefaultDenyInternational = "default:deny-international";
inline constexpr std::string_view kDefaultDenyUnknown = "default:deny-unknown";
inline constexpr std::string_view kDefaultAllowDomestic = "default:allow-domestic";

// Caps for every allowing rule that sets no limit of its own; 0 = none.
struct DefaultLimits {
  int maxConcurrent = 8;
  int callsPerMinute = 20;
  double spendPerHour = 30;  // in the rate table's currency; only with a rate table
};

// One user's call code as the gateway keeps it: a salted hash (base/secret_hash.h), never the
// code itself, whether the config holds the hash or (warned about) the code.
struct CallCode {
  std::string user;
  std::string hash;
};

// Caps on every call of one zone together, whatever account it counts as; 0 = none.
struct ZoneLimits {
  int maxConcurrent = 0;
  int callsPerMinute = 0;
};

struct PolicySettings {
  bool enabled = true;       // a fresh install is protected; `enabled: false` is a choice
  bool enforce = true;       // false: shadow mode, admit everything and report the decision
  bool defaultRules = true;  // append the built-in default:* rules after `rules`
  DefaultLimits defaultLimits;
  std::array<ZoneLimits, kZoneCount> zoneLimits{};  // by zone (`zone_limits`)
  int rejectCode = 403;
  std::array<NumberingPlan, kZoneCount> numbering{};  // by zone; filled from the US preset
  std::array<PolicyAction, kZoneCount> defaultAction{PolicyAction::kDeny, PolicyAction::kAllow,
                                                     PolicyAction::kDeny};
  std::vector<std::string> holidays;  // "YYYY-MM-DD": time windows are closed on these dates
  std::map<std::string, std::vector<std::string>> groups;  // name -> accounts (exact or 'x*')
  std::map<std::string, PolicyAccount> accounts;
  std::vector<PolicyRule> rules;

  // Outbound caller ID.
  std::vector<std::string> ownNumbers;  // the trunk's DIDs (E.164; prefix with trailing '*')
  CallerIdAction callerIdAction = CallerIdAction::kOff;
  std::string defaultCallerId;  // rewrite target when the account has none

  // Inbound callers (trunk zone).
  std::vector<std::string> inboundAllow;  // non-empty: only these callers (E.164, 'x*')
  std::vector<std::string> inboundDeny;
  bool rejectAnonymousInbound = false;

  // Call codes (forced authorisation codes).
  std::string callCodePrefix;  // empty: call codes off
  int callCodeLength = 4;
  std::vector<CallCode> callCodes;  // hashed, also when written in the clear
  int callCodeMaxFailures = 3;
  std::chrono::seconds callCodeFailureWindow{600};
  std::chrono::seconds callCodeLockout{1800};

  std::string rateTablePath;  // resolved; informational (rates holds its content)
  std::vector<RateEntry> rates;
  std::vector<ClassOverride> classOverrides;  // over the shipped table (docs/policy.md)
};

// Own numbers configured anywhere: site-wide or for some account (policy_checks.cc).
bool anyOwnNumbers(const PolicySettings& p);

}  // namespace tg::config
