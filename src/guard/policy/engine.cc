#include "guard/policy/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/secret_hash.h"
#include "guard/policy/default_rules.h"

namespace tg::guard::policy {
namespace {

using config::PolicyAction;

int classIndex(std::string_view c) {
  const auto names = classNames();
  const auto it = std::find(names.begin(), names.end(), c);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

const char* kDayNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::string hhmm(int minute) { return fmt::format("{:02}:{:02}", minute / 60, minute % 60); }

void note(std::vector<RuleTrace>* trace, std::string rule, bool matched, std::string why) {
  if (trace) trace->push_back({std::move(rule), matched, std::move(why)});
}

}  // namespace

bool accountMatches(std::string_view pattern, std::string_view account) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return account.substr(0, pattern.size()) == pattern;
  }
  return pattern == account;
}

std::shared_ptr<const Engine> Engine::compile(const config::PolicySettings& settings,
                                              std::string* error) {
  std::shared_ptr<Engine> e(new Engine());
  e->settings_ = settings;
  applyDefaults(e->settings_);  // before rules_ point into settings_.rules
  const config::PolicySettings& s = e->settings_;
  for (const config::ClassOverride& o : s.classOverrides) e->classes_.override(o.prefix, o.cls);
  e->rates_ = std::make_unique<RateTable>(s.rates);
  for (const auto& [name, members] : s.groups) {
    e->groupIds_.emplace(name, static_cast<int>(e->groupMembers_.size()));
    e->groupMembers_.push_back(members);
  }
  for (const auto& [name, account] : s.accounts) {
    for (const std::string& g : account.groups) {
      if (e->groupIds_.emplace(g, static_cast<int>(e->groupMembers_.size())).second) {
        e->groupMembers_.emplace_back();
      }
      e->groupMembers_[e->groupIds_[g]].push_back(name);
    }
    e->accountNumbers_.emplace(name, NumberList(account.ownNumbers));
  }
  std::unordered_map<std::string, std::shared_ptr<const TimeZone>> zones;
  for (const config::PolicyRule& r : s.rules) {
    CompiledRule c;
    c.rule = &r;
    for (const std::string& name : r.classes) {
      const int i = classIndex(name);
      if (i >= 0) c.classMask |= 1u << i;
    }
    for (const std::string& p : r.prefixes) c.prefixes.push_back(e164Digits(p));
    for (const std::string& g : r.groups) {
      const auto it = e->groupIds_.find(g);
      c.groups.push_back(it == e->groupIds_.end() ? -1 : it->second);
    }
    if (r.window) {
      auto& zone = zones[r.window->timeZone];
      if (!zone) zone = TimeZone::load(r.window->timeZone, error);
      if (!zone) return nullptr;
      c.zone = zone;
    }
    e->rules_.push_back(std::move(c));
  }
  for (const std::string& h : s.holidays) {
    int64_t day = 0;
    if (parseDate(h, &day)) e->holidays_.push_back(day);
  }
  std::sort(e->holidays_.begin(), e->holidays_.end());
  e->ownNumbers_ = NumberList(s.ownNumbers);
  e->inboundAllow_ = NumberList(s.inboundAllow);
  e->inboundDeny_ = NumberList(s.inboundDeny);
  return e;
}

const config::NumberingPlan& Engine::planFor(const CallAttempt& a) const {
  if (a.zone == transport::Zone::kPbx) {
    const auto it = settings_.accounts.find(a.account);
    if (it != settings_.accounts.end() && it->second.numbering) return *it->second.numbering;
  }
  return settings_.numbering[static_cast<size_t>(a.zone)];
}

NumberFacts Engine::classifyNumber(const CallAttempt& a, std::string_view number) const {
  NumberFacts out;
  const Number n = normalise(number, planFor(a));
  switch (n.kind) {
    case Number::Kind::kE164:
      out.destinationClass = std::string(classes_.classify(n.e164, planFor(a)).cls);
      out.e164 = n.e164;
      break;
    case Number::Kind::kEmergency:
      out.destinationClass = std::string(cls::kEmergency);
      break;
    case Number::Kind::kInternal:
      out.destinationClass = std::string(cls::kInternal);
      break;
    default:
      out.destinationClass = std::string(cls::kUnknown);
      break;
  }
  return out;
}

std::vector<char> Engine::groupsOf(std::string_view account, std::string_view codeUser) const {
  std::vector<char> in(groupMembers_.size(), 0);
  for (size_t g = 0; g < groupMembers_.size(); ++g) {
    for (const std::string& m : groupMembers_[g]) {
      if (accountMatches(m, account) || (!codeUser.empty() && accountMatches(m, codeUser))) {
        in[g] = 1;
        break;
      }
    }
  }
  return in;
}

bool Engine::windowOpen(const CompiledRule& r, base::SystemTime when, std::string* why) const {
  const config::PolicyTimeWindow& w = *r.rule->window;
  const LocalTime l = toLocal(when, r.zone.get());
  // A window across midnight belongs to the day it opened on.
  int64_t day = l.day;
  int weekday = l.weekday;
  bool open;
  if (w.startMinute <= w.endMinute) {
    open = l.minute >= w.startMinute && l.minute < w.endMinute;
  } else if (l.minute >= w.startMinute) {
    open = true;
  } else {
    open = l.minute < w.endMinute;
    day -= 1;
    weekday = (weekday + 6) % 7;
  }
  const bool dayOk = (w.days >> weekday) & 1;
  const bool holiday = std::binary_search(holidays_.begin(), holidays_.end(), day);
  if (why) {
    *why = fmt::format("local time {} {} ({}) {} window {}-{}", kDayNames[l.weekday],
                       hhmm(l.minute), r.zone ? r.zone->name() : "UTC",
                       open && dayOk && !holiday ? "inside" : "outside", hhmm(w.startMinute),
                       hhmm(w.endMinute % 1440 == 0 && w.endMinute ? 1440 : w.endMinute));
    if (open && !dayOk) *why += " (not on this day)";
    if (open && dayOk && holiday) *why += " (holiday)";
  }
  return open && dayOk && !holiday;
}

bool Engine::ruleMatches(const CompiledRule& c, const CallAttempt& a, std::string_view codeUser,
                         const std::vector<char>& groups, int cls, std::string_view digits,
                         std::string* why) const {
  const config::PolicyRule& r = *c.rule;
  if (r.zones != 0 && ((r.zones >> static_cast<int>(a.zone)) & 1) == 0) {
    if (why) *why = fmt::format("zone {} not in the rule's zones", transport::zoneName(a.zone));
    return false;
  }
  if (!r.accounts.empty() &&
      std::none_of(r.accounts.begin(), r.accounts.end(), [&](const std::string& p) {
        return accountMatches(p, a.account) || (!codeUser.empty() && accountMatches(p, codeUser));
      })) {
    if (why) *why = fmt::format("account '{}' not in [{}]", a.account, fmt::join(r.accounts, ", "));
    return false;
  }
  if (!c.groups.empty() && std::none_of(c.groups.begin(), c.groups.end(), [&](int g) {
        return g >= 0 && groups[static_cast<size_t>(g)] != 0;
      })) {
    if (why)
      *why = fmt::format("account '{}' not in groups [{}]", a.account, fmt::join(r.groups, ", "));
    return false;
  }
  if (c.classMask != 0 && (cls < 0 || ((c.classMask >> cls) & 1) == 0)) {
    if (why) {
      *why = fmt::format("class {} not in [{}]", cls < 0 ? "?" : classNames()[cls],
                         fmt::join(r.classes, ", "));
    }
    return false;
  }
  if (!c.prefixes.empty() &&
      std::none_of(c.prefixes.begin(), c.prefixes.end(), [&](const std::string& p) {
        return !digits.empty() && digits.substr(0, p.size()) == p;
      })) {
    if (why) *why = fmt::format("number matches none of [{}]", fmt::join(r.prefixes, ", "));
    return false;
  }
  if (r.window && !windowOpen(c, a.when, why)) return false;
  if (why) {
    std::string windowWhy;
    if (r.window) windowOpen(c, a.when, &windowWhy);
    *why = r.window ? "matches; " + windowWhy : "matches";
  }
  return true;
}

void Engine::reject(Evaluation& e, int code, std::string rule, std::string reason) const {
  e.admission.allowed = false;
  e.admission.code = code != 0 ? code : settings_.rejectCode;
  e.admission.rule = std::move(rule);
  e.admission.reason = std::move(reason);
}

Evaluation Engine::evaluate(const CallAttempt& a, bool codeLocked,
                            std::vector<RuleTrace>* trace) const {
  Evaluation e;
  Admission& out = e.admission;
  out.account = a.account;
  const config::PolicySettings& s = settings_;
  const config::NumberingPlan& plan = planFor(a);

  // Call codes: prefix + code + number, from the PBX side only.
  std::string_view number = a.dialled;
  std::string codeUser;
  if (a.zone != transport::Zone::kTrunk && !s.callCodePrefix.empty() &&
      number.substr(0, s.callCodePrefix.size()) == s.callCodePrefix) {
    const std::string_view rest = number.substr(s.callCodePrefix.size());
    e.codeGiven = true;
    e.callCode = std::string(rest.substr(0, static_cast<size_t>(s.callCodeLength)));
    number = rest.substr(std::min(rest.size(), static_cast<size_t>(s.callCodeLength)));
    // Against every user's hash (constant-time compares), so how long the answer takes says
    // nothing about which users exist. While locked nothing is checked: the answer is the same.
    if (!codeLocked) {
      for (const config::CallCode& c : s.callCodes) {
        if (base::secretMatches(e.callCode, c.hash) && codeUser.empty()) codeUser = c.user;
      }
    }
    if (!codeUser.empty()) {
      e.codeValid = true;
      out.account = codeUser;
    }
    if (trace)
      note(trace, "call_code", e.codeValid,
           e.codeValid  ? fmt::format("code of user '{}' stripped", codeUser)
           : codeLocked ? "account locked out of call codes"
                        : "wrong code");
  }
  out.forwardUser = std::string(number);
  e.limitAccount = out.account;

  const Number n = normalise(number, plan);
  if (n.kind == Number::Kind::kEmergency) {
    out.emergency = true;
    out.destinationClass = std::string(cls::kEmergency);
    out.rule = "emergency";
    if (trace)
      note(trace, "number", true,
           fmt::format("'{}' is an emergency number in plan {}: always "
                       "allowed",
                       number, plan.country));
    return e;  // before any code, caller or rule check: never delayed
  }
  if (e.codeGiven && !e.codeValid) {
    out.authFailure = true;
    reject(e, 0, codeLocked ? "call_code.locked" : "call_code", "Invalid Authorisation Code");
    return e;
  }

  int cls = -1;
  switch (n.kind) {
    case Number::Kind::kE164: {
      out.e164 = n.e164;
      e.digits = n.e164.substr(1);
      const Classification c = classes_.classify(n.e164, plan);
      out.destinationClass = std::string(c.cls);
      if (trace) {
        if (trace)
          note(trace, "number", true,
               fmt::format("'{}' -> {} (plan {}: +{}, intl {}, national {})", number, n.e164,
                           plan.country, plan.countryCode, plan.internationalPrefix,
                           plan.nationalPrefix));
        if (trace)
          note(trace, "class", true,
               c.prefix.empty() ? fmt::format("{} (no table prefix; by country code)", c.cls)
                                : fmt::format("{} (prefix +{}: {})", c.cls, c.prefix, c.note));
      }
      break;
    }
    case Number::Kind::kInternal:
      out.destinationClass = std::string(cls::kInternal);
      if (trace)
        note(trace, "number", true,
             fmt::format("'{}' is internal (up to {} digits)", number, plan.internalMaxLength));
      break;
    default:
      out.destinationClass = std::string(cls::kUnknown);
      if (trace)
        note(trace, "number", false,
             fmt::format("'{}' is not a number plan {} knows", number, plan.country));
      break;
  }
  cls = classIndex(out.destinationClass);

  // Inbound callers.
  if (a.zone == transport::Zone::kTrunk) {
    const Number caller = normalise(a.callerId, plan);
    const std::string callerDigits =
        caller.kind == Number::Kind::kE164 ? caller.e164.substr(1) : e164Digits(a.callerId);
    if (a.anonymous && s.rejectAnonymousInbound) {
      reject(e, 433, "inbound.anonymous", "Anonymity Disallowed");
      if (trace) note(trace, "inbound", false, "anonymous caller rejected");
      return e;
    }
    if (inboundDeny_.contains(callerDigits)) {
      reject(e, 0, "inbound.deny", "Caller Not Allowed");
      if (trace)
        note(trace, "inbound", false, fmt::format("caller {} is on the deny list", a.callerId));
      return e;
    }
    if (!inboundAllow_.empty() && !inboundAllow_.contains(callerDigits)) {
      reject(e, 0, "inbound.allow", "Caller Not Allowed");
      if (trace)
        note(trace, "inbound", false,
             fmt::format("caller {} is not on the allow list", a.callerId));
      return e;
    }
  }

  // Outbound caller ID: one of our own numbers.
  if (a.zone == transport::Zone::kPbx && s.callerIdAction != config::CallerIdAction::kOff) {
    const auto acc = s.accounts.find(a.account);
    const NumberList* accNumbers = nullptr;
    if (const auto it = accountNumbers_.find(a.account); it != accountNumbers_.end()) {
      accNumbers = &it->second;
    }
    auto own = [&](std::string_view id) {
      const Number c = normalise(id, plan);
      if (c.kind != Number::Kind::kE164) return false;
      const std::string_view d = std::string_view(c.e164).substr(1);
      return ownNumbers_.contains(d) || (accNumbers != nullptr && accNumbers->contains(d));
    };
    const bool fromOk = a.anonymous || own(a.callerId);
    const bool paiOk = a.assertedId.empty() || own(a.assertedId);
    if (!fromOk || !paiOk) {
      const std::string bad = !fromOk ? a.callerId : a.assertedId;
      std::string target = acc != s.accounts.end() ? acc->second.callerId : "";
      if (target.empty()) target = s.defaultCallerId;
      if (s.callerIdAction == config::CallerIdAction::kRewrite && !target.empty()) {
        out.callerIdRewrite = target;
        if (trace)
          note(trace, "caller_id", false,
               fmt::format("'{}' is not one of our numbers: rewritten to {}", bad, target));
      } else {
        reject(e, 0, "caller_id", "Caller ID Not Allowed");
        if (trace)
          note(trace, "caller_id", false, fmt::format("'{}' is not one of our numbers", bad));
        return e;
      }
    } else {
      if (trace) note(trace, "caller_id", true, "caller ID is one of our numbers");
    }
  }

  // Rules: first match wins.
  const std::vector<char> groups =
      groupMembers_.empty() ? std::vector<char>() : groupsOf(a.account, codeUser);
  std::string why;
  for (const CompiledRule& c : rules_) {
    const config::PolicyRule& r = *c.rule;
    if (!ruleMatches(c, a, codeUser, groups, cls, e.digits, trace ? &why : nullptr)) {
      if (trace) note(trace, "rule " + r.name, false, why);
      continue;
    }
    out.rule = r.name;
    switch (r.action) {
      case PolicyAction::kDeny:
        reject(e, r.code, r.name, r.reason.empty() ? "Destination Not Allowed" : r.reason);
        if (trace) note(trace, "rule " + r.name, true, why + ": deny");
        return e;
      case PolicyAction::kRequireCode: {
        const bool userOk = r.codeUsers.empty() || std::find(r.codeUsers.begin(), r.codeUsers.end(),
                                                             codeUser) != r.codeUsers.end();
        if (!e.codeValid || !userOk) {
          reject(e, r.code, r.name, r.reason.empty() ? "Authorisation Code Required" : r.reason);
          if (trace)
            note(trace, "rule " + r.name, true,
                 why + (e.codeValid ? ": this code's user may not call here"
                                    : ": needs a call code, none given"));
          return e;
        }
        if (trace) note(trace, "rule " + r.name, true, why + ": allow (valid call code)");
        break;
      }
      case PolicyAction::kAllow:
        if (trace) note(trace, "rule " + r.name, true, why + ": allow");
        break;
    }
    e.limits = &r;
    out.maxDuration = r.maxDuration;
    return e;
  }
  out.rule = "default";
  const PolicyAction def = s.defaultAction[static_cast<size_t>(a.zone)];
  if (def == PolicyAction::kAllow) {
    if (trace) note(trace, "default", true, "no rule matched: allow (default_action)");
  } else {
    reject(e, 0, "default", "Destination Not Allowed");
    if (trace) note(trace, "default", true, "no rule matched: deny (default_action)");
  }
  return e;
}

}  // namespace tg::guard::policy
