#include "guard/policy/call_policy.h"

#include <fmt/format.h>

#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "config/policy_config.h"
#include "guard/policy/engine.h"

namespace tg::guard::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct LiveCall {
  std::string scope;  // empty: counted against no rule's limits
  std::optional<config::RateEntry> rate;
  base::TimePoint answeredAt{};
  bool answered = false;
  bool capped = false;  // already returned by overCap
};

// What ended calls cost within a sliding window, kept in per-minute buckets with a running
// total: adding is O(1) and trimming amortised O(1) whatever the call rate. A bucket leaves
// once all of its minute is older than the window, so a cap may trigger up to a minute early,
// never late.
class SpendWindow {
 public:
  explicit SpendWindow(base::Duration length) : length_(length) {}

  void add(base::TimePoint now, double cost) {
    const auto minute = std::chrono::floor<minutes>(now.time_since_epoch());
    if (buckets_.empty() || buckets_.back().first != minute) buckets_.emplace_back(minute, 0.0);
    buckets_.back().second += cost;
    total_ += cost;
  }
  double total(base::TimePoint now) {
    trim(now);
    return buckets_.empty() ? 0 : total_;
  }
  void trim(base::TimePoint now) {
    while (!buckets_.empty() &&
           now.time_since_epoch() - (buckets_.front().first + minutes(1)) >= length_) {
      total_ -= buckets_.front().second;
      buckets_.pop_front();
    }
    if (buckets_.empty()) total_ = 0;  // no drift from repeated subtraction
  }
  bool empty() const { return buckets_.empty(); }

 private:
  base::Duration length_;
  std::deque<std::pair<minutes, double>> buckets_;
  double total_ = 0;
};

struct Scope {
  int live = 0;
  std::unordered_set<uint64_t> handles;          // calls in progress
  std::deque<base::TimePoint> admits;            // last minute: calls per minute
  SpendWindow hour{hours(1)};                    // ended calls
  SpendWindow day{hours(24)};
  // The calls in progress cost this much at liveCostAt: recomputed at most once a second at
  // admission (O(calls in progress)), and afresh by overCap(), which ends calls over a cap.
  double liveCost = 0;
  base::TimePoint liveCostAt{};
  bool liveCostKnown = false;
  double capHour = 0;
  double capDay = 0;
};

struct Lockout {
  std::deque<base::TimePoint> failures;
  base::TimePoint until{};
};

// Whose limits a call of rule r counts against: the account's, or everyone's the rule admits.
std::string scopeKeyOf(const config::PolicyRule& r, const std::string& account) {
  return r.name + "|" + (r.scope == config::LimitScope::kRule ? "*" : account);
}

double liveCost(const LiveCall& c, base::TimePoint now) {
  if (!c.answered || !c.rate || now <= c.answeredAt) return 0;
  return RateTable::cost(*c.rate, std::chrono::ceil<seconds>(now - c.answeredAt));
}

}  // namespace

class CallPolicy::State {
 public:
  mutable std::mutex mu;
  std::shared_ptr<const Engine> engine;
  uint64_t nextHandle = 1;
  std::unordered_map<uint64_t, LiveCall> calls;
  std::unordered_map<std::string, Scope> scopes;
  std::unordered_map<std::string, std::deque<base::TimePoint>> repeats;  // scope|digits
  std::unordered_map<std::string, Lockout> lockouts;                     // by account

  // Ended calls within the window (one hour or one day) plus the calls in progress.
  double spend(Scope& s, base::TimePoint now, base::Duration window) const {
    if (!s.liveCostKnown || now - s.liveCostAt >= seconds(1)) {
      s.liveCost = liveSpend(s, now);
      s.liveCostAt = now;
      s.liveCostKnown = true;
    }
    return endedSpend(s, now, window) + s.liveCost;
  }
  double endedSpend(Scope& s, base::TimePoint now, base::Duration window) const {
    return window <= hours(1) ? s.hour.total(now) : s.day.total(now);
  }
  // What the calls in progress will have cost at `at`.
  double liveSpend(const Scope& s, base::TimePoint at) const {
    double total = 0;
    for (uint64_t h : s.handles) {
      if (const auto it = calls.find(h); it != calls.end()) total += liveCost(it->second, at);
    }
    return total;
  }

  bool locked(const std::string& account, base::TimePoint now) const {
    const auto it = lockouts.find(account);
    return it != lockouts.end() && now < it->second.until;
  }

  void recordFailure(const config::PolicySettings& s, const std::string& account,
                     base::TimePoint now) {
    Lockout& l = lockouts[account];
    while (!l.failures.empty() && now - l.failures.front() >= s.callCodeFailureWindow) {
      l.failures.pop_front();
    }
    l.failures.push_back(now);
    if (static_cast<int>(l.failures.size()) >= s.callCodeMaxFailures) {
      l.until = now + s.callCodeLockout;
      l.failures.clear();
    }
  }
};

CallPolicy::CallPolicy() : state_(std::make_unique<State>()) {}
CallPolicy::~CallPolicy() = default;

std::unique_ptr<CallPolicy> CallPolicy::create(const config::PolicySettings& settings,
                                               std::string* error) {
  std::unique_ptr<CallPolicy> p(new CallPolicy());
  if (!p->reload(settings, error)) return nullptr;
  return p;
}

bool CallPolicy::reload(const config::PolicySettings& settings, std::string* error) {
  auto engine = Engine::compile(settings, error);
  if (!engine) return false;
  std::lock_guard lock(state_->mu);
  state_->engine = std::move(engine);
  return true;
}

bool CallPolicy::enabled() const {
  std::lock_guard lock(state_->mu);
  return state_->engine->settings().enabled;
}

bool CallPolicy::enforcing() const {
  std::lock_guard lock(state_->mu);
  return state_->engine->settings().enforce;
}

NumberFacts CallPolicy::classify(std::string_view number, transport::Zone zone,
                                 std::string_view account) const {
  std::shared_ptr<const Engine> engine;
  {
    std::lock_guard lock(state_->mu);
    engine = state_->engine;
  }
  CallAttempt a;
  a.zone = zone;
  a.account = std::string(account);
  return engine->classifyNumber(a, number);
}

Admission CallPolicy::admit(const CallAttempt& a, std::vector<RuleTrace>* trace) {
  State& st = *state_;
  std::shared_ptr<const Engine> engine;
  bool locked = false;
  {
    std::lock_guard lock(st.mu);
    engine = st.engine;
    locked = st.locked(a.account, a.now);
  }
  const config::PolicySettings& s = engine->settings();
  if (!s.enabled) {
    Admission out;
    out.account = a.account;
    out.forwardUser = a.dialled;
    out.rule = "disabled";
    if (trace) trace->push_back({"policy", false, "policy.enabled is false: every call passes"});
    return out;
  }
  Evaluation e = engine->evaluate(a, locked, trace);
  Admission& out = e.admission;

  std::lock_guard lock(st.mu);
  if (out.authFailure && !locked) st.recordFailure(s, a.account, a.now);
  if (out.emergency) return out;  // never counted, never limited, never cut

  std::string scopeKey;
  if (e.limits != nullptr) {
    const config::PolicyRule& r = *e.limits;
    scopeKey = scopeKeyOf(r, e.limitAccount);
    Scope& sc = st.scopes[scopeKey];
    sc.capHour = r.spendPerHour;
    sc.capDay = r.spendPerDay;
    while (!sc.admits.empty() && a.now - sc.admits.front() >= minutes(1)) sc.admits.pop_front();
    std::deque<base::TimePoint>* repeat = nullptr;
    if (r.repeatCalls > 0 && !e.digits.empty()) {
      repeat = &st.repeats[scopeKey + "|" + e.digits];
      while (!repeat->empty() && a.now - repeat->front() >= r.repeatWindow) repeat->pop_front();
    }
    auto limit = [&](const char* what, std::string reason, std::string detail) {
      out.allowed = false;
      out.code = r.code != 0 ? r.code : s.rejectCode;
      out.rule = r.name + "." + what;
      out.reason = std::move(reason);
      if (trace) trace->push_back({out.rule, true, std::move(detail)});
    };
    if (r.maxConcurrent > 0 && sc.live >= r.maxConcurrent) {
      limit("max_concurrent", "Too Many Concurrent Calls",
            fmt::format("{} calls in progress, limit {}", sc.live, r.maxConcurrent));
    } else if (r.callsPerMinute > 0 && static_cast<int>(sc.admits.size()) >= r.callsPerMinute) {
      limit("calls_per_minute", "Call Rate Exceeded",
            fmt::format("{} calls in the last minute, limit {}", sc.admits.size(),
                        r.callsPerMinute));
    } else if (repeat != nullptr && static_cast<int>(repeat->size()) >= r.repeatCalls) {
      limit("repeat", "Repeated Calls To This Number",
            fmt::format("{} calls to {} within {}s, limit {}", repeat->size(), out.e164,
                        r.repeatWindow.count(), r.repeatCalls));
    } else if (r.spendPerHour > 0 && st.spend(sc, a.now, hours(1)) >= r.spendPerHour) {
      limit("spend_per_hour", "Spend Limit Reached",
            fmt::format("spent {:.2f} in the last hour, cap {:.2f}", st.spend(sc, a.now, hours(1)),
                        r.spendPerHour));
    } else if (r.spendPerDay > 0 && st.spend(sc, a.now, hours(24)) >= r.spendPerDay) {
      limit("spend_per_day", "Spend Limit Reached",
            fmt::format("spent {:.2f} in the last 24 hours, cap {:.2f}",
                        st.spend(sc, a.now, hours(24)), r.spendPerDay));
    }
    if (repeat != nullptr && (out.allowed || !s.enforce)) repeat->push_back(a.now);
  }

  if (!out.allowed && !s.enforce) {
    out.allowed = true;
    out.shadow = true;
    if (trace) {
      trace->push_back({"shadow", true,
                        fmt::format("enforce is false: admitted; would have answered {} {}",
                                    out.code, out.reason)});
    }
  }
  if (!out.allowed) return out;

  const uint64_t handle = st.nextHandle++;
  LiveCall call;
  call.scope = scopeKey;
  if (!e.digits.empty()) {
    if (const config::RateEntry* rate = engine->rates().find(e.digits)) call.rate = *rate;
  }
  if (trace) {
    trace->push_back({"rate", call.rate.has_value(),
                      call.rate ? fmt::format("+{}: {:.4f} per minute, billed {}/{}",
                                              call.rate->prefix, call.rate->pricePerMinute,
                                              call.rate->firstIncrement, call.rate->nextIncrement)
                                : std::string("no rate: the call costs nothing")});
  }
  if (!scopeKey.empty()) {
    Scope& sc = st.scopes[scopeKey];
    ++sc.live;
    sc.handles.insert(handle);
    sc.admits.push_back(a.now);
  }
  st.calls.emplace(handle, std::move(call));
  out.handle = handle;
  return out;
}

void CallPolicy::answered(uint64_t handle, base::TimePoint now) {
  std::lock_guard lock(state_->mu);
  const auto it = state_->calls.find(handle);
  if (it == state_->calls.end() || it->second.answered) return;
  it->second.answered = true;
  it->second.answeredAt = now;
}

double CallPolicy::ended(uint64_t handle, base::TimePoint now) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  const auto it = st.calls.find(handle);
  if (it == st.calls.end()) return 0;
  const double total = liveCost(it->second, now);
  if (const auto sc = st.scopes.find(it->second.scope); sc != st.scopes.end()) {
    Scope& s = sc->second;
    s.live = std::max(0, s.live - 1);  // never below zero, whatever the caller does
    s.handles.erase(handle);
    if (total > 0) {
      s.hour.add(now, total);
      s.day.add(now, total);
      s.liveCostKnown = false;  // this call's cost moved from live to ended
    }
  }
  st.calls.erase(it);
  return total;
}

double CallPolicy::cost(uint64_t handle, base::TimePoint now) const {
  std::lock_guard lock(state_->mu);
  const auto it = state_->calls.find(handle);
  return it == state_->calls.end() ? 0 : liveCost(it->second, now);
}

std::vector<uint64_t> CallPolicy::overCap(base::TimePoint now, base::Duration lookahead) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  std::vector<uint64_t> out;
  for (auto& [key, sc] : st.scopes) {
    if ((sc.capHour <= 0 && sc.capDay <= 0) || sc.handles.empty()) continue;
    // Billing is per increment, in advance: a call may use the increment it has paid for, and
    // is ended before it would start one the cap cannot pay.
    const double live = st.liveSpend(sc, now + lookahead);
    const bool over = (sc.capHour > 0 && st.endedSpend(sc, now, hours(1)) + live > sc.capHour) ||
                      (sc.capDay > 0 && st.endedSpend(sc, now, hours(24)) + live > sc.capDay);
    if (!over) continue;
    for (uint64_t h : sc.handles) {
      LiveCall& c = st.calls[h];
      if (c.answered && !c.capped) {
        c.capped = true;
        out.push_back(h);
      }
    }
  }
  return out;
}

bool CallPolicy::restoreSpend(const std::string& rule, const std::string& account,
                              base::TimePoint endedAt, double cost) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (cost <= 0 || st.engine == nullptr) return false;
  for (const config::PolicyRule& r : st.engine->settings().rules) {
    if (r.name != rule || (r.spendPerHour <= 0 && r.spendPerDay <= 0)) continue;
    Scope& sc = st.scopes[scopeKeyOf(r, account)];
    sc.capHour = r.spendPerHour;
    sc.capDay = r.spendPerDay;
    sc.hour.add(endedAt, cost);
    sc.day.add(endedAt, cost);
    sc.liveCostKnown = false;
    return true;
  }
  return false;
}

void CallPolicy::expire(base::TimePoint now) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  for (auto it = st.scopes.begin(); it != st.scopes.end();) {
    Scope& s = it->second;
    while (!s.admits.empty() && now - s.admits.front() >= minutes(1)) s.admits.pop_front();
    s.hour.trim(now);
    s.day.trim(now);
    if (s.live == 0 && s.admits.empty() && s.day.empty()) {
      it = st.scopes.erase(it);
    } else {
      ++it;
    }
  }
  // Repeat windows are at most a day long in any sane config; older entries are irrelevant.
  for (auto it = st.repeats.begin(); it != st.repeats.end();) {
    while (!it->second.empty() && now - it->second.front() >= hours(24)) it->second.pop_front();
    it = it->second.empty() ? st.repeats.erase(it) : std::next(it);
  }
  for (auto it = st.lockouts.begin(); it != st.lockouts.end();) {
    const bool stale = now >= it->second.until &&
                       (it->second.failures.empty() || now - it->second.failures.back() >= hours(24));
    it = stale ? st.lockouts.erase(it) : std::next(it);
  }
}

}  // namespace tg::guard::policy
