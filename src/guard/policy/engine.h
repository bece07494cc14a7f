#pragma once

// The compiled, immutable policy: settings turned into tries, masks and loaded time zones once
// per config load. evaluate() is the stateless part of a decision (number, class, caller
// checks, first matching rule); CallPolicy adds what needs memory (lockouts, limits, spend).

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/policy_config.h"
#include "guard/policy/call_policy.h"
#include "guard/policy/destination_classes.h"
#include "guard/policy/number_list.h"
#include "guard/policy/numbering.h"
#include "guard/policy/rate_table.h"
#include "guard/policy/time_zone.h"

namespace tg::guard::policy {

struct CompiledRule {
  const config::PolicyRule* rule = nullptr;
  uint32_t classMask = 0;             // bit per classNames() index; 0 = any class
  std::vector<std::string> prefixes;  // E.164 digits
  std::vector<int> groups;            // group ids
  std::shared_ptr<const TimeZone> zone;
};

// What evaluate() decided; CallPolicy turns it into an Admission.
struct Evaluation {
  Admission admission;                         // allowed/code/reason/rule/... filled; handle is not
  const config::PolicyRule* limits = nullptr;  // the allowing rule whose limits apply
  std::string limitAccount;                    // who limits and spend count against
  std::string callCode;                        // the code given (empty: none)
  bool codeGiven = false;
  bool codeValid = false;
  std::string digits;  // E.164 digits of the destination (rates, repeats)
};

class Engine {
 public:
  // nullptr and *error when something cannot be compiled (an unknown time zone).
  static std::shared_ptr<const Engine> compile(const config::PolicySettings& settings,
                                               std::string* error);

  const config::PolicySettings& settings() const { return settings_; }
  const RateTable& rates() const { return *rates_; }
  const DestinationClasses& classes() const { return classes_; }

  // A number as a call of `a` (zone, account) dialling it would see it: E.164 ("" when it is
  // not one) and its class. No rule is run.
  NumberFacts classifyNumber(const CallAttempt& a, std::string_view number) const;

  // `codeLocked`: the account is locked out of call codes (answered like a wrong code).
  Evaluation evaluate(const CallAttempt& a, bool codeLocked, std::vector<RuleTrace>* trace) const;

 private:
  Engine() = default;
  const config::NumberingPlan& planFor(const CallAttempt& a) const;
  std::vector<char> groupsOf(std::string_view account, std::string_view codeUser) const;
  bool windowOpen(const CompiledRule& r, base::SystemTime when, std::string* why) const;
  bool ruleMatches(const CompiledRule& r, const CallAttempt& a, std::string_view codeUser,
                   const std::vector<char>& groups, int classIndex, std::string_view digits,
                   std::string* why) const;
  void reject(Evaluation& e, int code, std::string rule, std::string reason) const;

  config::PolicySettings settings_;
  DestinationClasses classes_;
  std::unique_ptr<RateTable> rates_;
  std::vector<CompiledRule> rules_;
  std::unordered_map<std::string, int> groupIds_;
  std::vector<std::vector<std::string>> groupMembers_;  // by id
  std::vector<int64_t> holidays_;                       // sorted local days
  NumberList ownNumbers_;
  std::unordered_map<std::string, NumberList> accountNumbers_;
  NumberList inboundAllow_;
  NumberList inboundDeny_;
};

// Account patterns: exact, or a prefix with a trailing '*'.
bool accountMatches(std::string_view pattern, std::string_view account);

}  // namespace tg::guard::policy
