#include "guard/policy/call_policy.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "config/policy_config.h"
#include "guard/policy/engine.h"
#include "store/memory_store.h"

namespace tg::guard::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Spend is kept in integer micro-units in the store; what ended calls cost, by the minute, for
// a day (a bucket counts until all of its minute has left the window: a cap may trigger up to
// a minute early, never late).
constexpr double kMicros = 1e6;
constexpr base::Duration kSpendBucket = minutes(1);
constexpr base::Duration kSpendKept = hours(24);

struct LiveCall {
  std::string scope;      // empty: counted against no rule's limits
  std::string zoneScope;  // empty: its zone has no caps
  std::optional<config::RateEntry> rate;
  base::TimePoint answeredAt{};
  bool answered = false;
  bool capped = false;  // already returned by overCap
};

// This gateway's calls in progress of one scope (their counters are in the store).
struct Scope {
  std::unordered_set<uint64_t> handles;
  // The calls in progress cost this much at liveCostAt: recomputed at most once a second at
  // admission (O(calls in progress)), and afresh by overCap(), which ends calls over a cap.
  double liveCost = 0;
  base::TimePoint liveCostAt{};
  bool liveCostKnown = false;
  double capHour = 0;
  double capDay = 0;
  // What ended calls cost (last hour, last day) as read at the last admission: what overCap
  // uses when the store cannot answer inline (Redis).
  double endedHour = 0;
  double endedDay = 0;
};

struct Lockout {
  std::deque<base::TimePoint> failures;
  base::TimePoint until{};
};

// Call-code lockouts are kept by account and by source: "|" is in no account name.
std::string sourceLockKey(const std::string& source) { return "|source:" + source; }

// The scope of a zone's caps (policy.zone_limits): "|" never starts a rule's name.
std::string zoneScopeOf(transport::Zone zone) {
  return "|zone:" + std::string(transport::zoneName(zone));
}

// What each step of an admission's count is, to name the limit that refused it.
enum class CountKind { kLive, kRate, kRepeat, kZoneLive, kZoneRate };

// Whose limits a call of rule r counts against: the account's, or everyone's the rule admits.
std::string scopeKeyOf(const config::PolicyRule& r, const std::string& account) {
  return r.name + "|" + (r.scope == config::LimitScope::kRule ? "*" : account);
}

// The store key of one of a scope's counters. The scope is the hash tag: a RedisStore cluster
// keeps a call's counters in one slot, so one script can count them together.
std::string storeKey(const std::string& scope, std::string_view what) {
  return fmt::format("{}{{{}}}:{}", CallPolicy::kKeyPrefix, scope, what);
}

double liveCost(const LiveCall& c, base::TimePoint now) {
  if (!c.answered || !c.rate || now <= c.answeredAt) return 0;
  return RateTable::cost(*c.rate, std::chrono::ceil<seconds>(now - c.answeredAt));
}

// A clock that reads the last `now` the policy was told, for a store of its own: its windows
// then run on the caller's time, as the policy's did before it had a store.
class ToldClock final : public base::Clock {
 public:
  base::TimePoint now() const override {
    return base::TimePoint(base::Duration(nanos_.load(std::memory_order_relaxed)));
  }
  base::SystemTime wallNow() const override { return base::SystemClock::instance().wallNow(); }
  void tell(base::TimePoint t) {
    nanos_.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  }

 private:
  std::atomic<base::Duration::rep> nanos_{0};
};

// The clock a store's windows run on: the one given with a shared store (the system clock
// unless told otherwise), or the told time for a store of the policy's own.
const base::Clock& clockOf(const store::Store* shared, const base::Clock* sharedClock,
                           const base::Clock& told) {
  if (shared == nullptr) return told;
  return sharedClock != nullptr ? *sharedClock : base::SystemClock::instance();
}

}  // namespace

class CallPolicy::State {
 public:
  State(store::Store* shared, const base::Clock* sharedClock)
      : own(shared != nullptr ? nullptr : std::make_unique<store::MemoryStore>(told)),
        store(shared != nullptr ? *shared : *own),
        storeClock(clockOf(shared, sharedClock, told)) {}

  ToldClock told;
  std::unique_ptr<store::MemoryStore> own;
  store::Store& store;
  const base::Clock& storeClock;

  mutable std::mutex mu;  // everything below
  std::shared_ptr<const Engine> engine;
  uint64_t nextHandle = 1;
  std::unordered_map<uint64_t, LiveCall> calls;
  std::unordered_map<std::string, Scope> scopes;
  std::unordered_map<std::string, Lockout> lockouts;  // by account, and by sourceLockKey()

  void tell(base::TimePoint now) {
    if (own) told.tell(now);
  }

  // What the scope's ended calls cost within the window (one hour or one day). No lock needed.
  double endedSpend(const std::string& scope, base::Duration window) const {
    const int64_t micros = store::answerNow<int64_t>([&](store::Done<int64_t> d) {
      store.sumGet(storeKey(scope, "spend"), window, std::move(d));
    });
    return static_cast<double>(micros) / kMicros;
  }
  void addSpend(const std::string& scope, double cost, base::Duration ago) {
    store.sumAdd(storeKey(scope, "spend"), std::llround(cost * kMicros), ago, kSpendBucket,
                 kSpendKept, nullptr);
  }

  // What this gateway's calls in progress of the scope cost now, cached for a second. Caller
  // holds mu.
  double liveSpendCached(const std::string& scope, base::TimePoint now) {
    const auto it = scopes.find(scope);
    if (it == scopes.end()) return 0;
    Scope& s = it->second;
    if (!s.liveCostKnown || now - s.liveCostAt >= seconds(1)) {
      s.liveCost = liveSpend(s, now);
      s.liveCostAt = now;
      s.liveCostKnown = true;
    }
    return s.liveCost;
  }
  // What the calls in progress will have cost at `at`. Caller holds mu.
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

CallPolicy::CallPolicy(store::Store* store, const base::Clock* storeClock)
    : state_(std::make_unique<State>(store, storeClock)) {}
CallPolicy::~CallPolicy() = default;

std::unique_ptr<CallPolicy> CallPolicy::create(const config::PolicySettings& settings,
                                               std::string* error, store::Store* store,
                                               const base::Clock* storeClock) {
  std::unique_ptr<CallPolicy> p(new CallPolicy(store, storeClock));
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

// One admission on its way: what the rules decided, waiting for the store's answers (spend,
// then the limits' counters). admitAsync() holds it in a shared_ptr the store's callbacks keep;
// admit() on a store that answers inline keeps it on its stack (the fast path: no allocation
// for it, no std::function, no copy of the attempt).
struct CallPolicy::Flow {
  transport::Zone zone = transport::Zone::kPbx;
  std::vector<RuleTrace>* trace = nullptr;
  std::function<void(Admission)> done;      // admitAsync()
  std::optional<Admission>* out = nullptr;  // admit(): where the answer goes instead
  std::shared_ptr<const Engine> engine;
  Evaluation e;
  std::string scopeKey;
  std::string zoneKey;  // the zone's caps apply (policy.zone_limits): their scope
  double live = 0;      // this gateway's calls in progress of the scope cost this much
  double spentHour = 0;
  double spentDay = 0;

  void deliver(Admission&& a) {
    if (out != nullptr) {
      out->emplace(std::move(a));
    } else {
      done(std::move(a));
    }
  }
};

Admission CallPolicy::admit(const CallAttempt& a, std::vector<RuleTrace>* trace) {
  if (answersInline()) {
    // Every store callback has run when start() returns (Store::completesInline()), so the
    // flow may live here and the callbacks point at it.
    std::optional<Admission> out;
    Flow flow;
    flow.out = &out;
    start(a, trace, flow, nullptr);
    if (out) return std::move(*out);
  }
  // A store that does not answer inline needs admitAsync(): refuse rather than guess.
  Admission refused;
  refused.allowed = false;
  refused.code = 500;
  refused.reason = "Policy Store Not Inline";
  refused.rule = "store";
  refused.account = a.account;
  return refused;
}

void CallPolicy::admitAsync(const CallAttempt& a, std::function<void(Admission)> done) {
  auto flow = std::make_shared<Flow>();
  flow->done = std::move(done);
  Flow& f = *flow;
  start(a, nullptr, f, std::move(flow));
}

bool CallPolicy::answersInline() const { return state_->store.completesInline(); }

// `keep` owns `flow` on the asynchronous path (the store's callbacks hold it); null when the
// caller's stack does (admit()).
void CallPolicy::start(const CallAttempt& a, std::vector<RuleTrace>* trace, Flow& flow,
                       std::shared_ptr<Flow> keep) {
  State& st = *state_;
  st.tell(a.now);
  flow.zone = a.zone;
  flow.trace = trace;
  bool locked = false;
  {
    std::lock_guard lock(st.mu);
    flow.engine = st.engine;
    locked = st.locked(a.account, a.now) ||
             (!a.source.empty() && st.locked(sourceLockKey(a.source), a.now));
  }
  const config::PolicySettings& s = flow.engine->settings();
  if (!s.enabled) {
    Admission out;
    out.account = a.account;
    out.forwardUser = a.dialled;
    out.rule = "disabled";
    if (trace) trace->push_back({"policy", false, "policy.enabled is false: every call passes"});
    flow.deliver(std::move(out));
    return;
  }
  flow.e = flow.engine->evaluate(a, locked, trace);
  Admission& out = flow.e.admission;
  // A whole PBX is not one person: the per-person default caps are not its caps.
  if (a.wholePbx && flow.e.limits != nullptr && flow.e.limits->limitsFromDefaults) {
    flow.e.limits = nullptr;
  }

  if (out.authFailure && !locked) {
    std::lock_guard lock(st.mu);
    st.recordFailure(s, a.account, a.now);
    if (!a.source.empty()) st.recordFailure(s, sourceLockKey(a.source), a.now);
  }
  const config::ZoneLimits& zl = s.zoneLimits[static_cast<size_t>(a.zone)];
  if (out.allowed && (zl.maxConcurrent > 0 || zl.callsPerMinute > 0)) {
    flow.zoneKey = zoneScopeOf(a.zone);
  }
  // Emergency: never counted, limited or cut.
  if (out.emergency || (flow.e.limits == nullptr && flow.zoneKey.empty())) {
    finish(flow);
    return;
  }
  if (flow.e.limits == nullptr) {
    count(flow, std::move(keep));
    return;
  }
  const config::PolicyRule& r = *flow.e.limits;
  flow.scopeKey = scopeKeyOf(r, flow.e.limitAccount);
  // Spend is read, not counted: a cap is held by ending calls (overCap).
  if (r.spendPerHour <= 0 && r.spendPerDay <= 0) {
    count(flow, std::move(keep));
    return;
  }
  {
    std::lock_guard lock(st.mu);
    flow.live = st.liveSpendCached(flow.scopeKey, a.now);
  }
  const std::string key = storeKey(flow.scopeKey, "spend");
  st.store.sumGet(key, hours(1), [this, fp = &flow, keep, key](int64_t hourMicros) mutable {
    fp->spentHour = static_cast<double>(hourMicros) / kMicros + fp->live;
    state_->store.sumGet(key, hours(24), [this, fp, keep, hourMicros](int64_t dayMicros) mutable {
      fp->spentDay = static_cast<double>(dayMicros) / kMicros + fp->live;
      {
        std::lock_guard lock(state_->mu);
        Scope& sc = state_->scopes[fp->scopeKey];
        sc.endedHour = static_cast<double>(hourMicros) / kMicros;
        sc.endedDay = static_cast<double>(dayMicros) / kMicros;
      }
      count(*fp, std::move(keep));
    });
  });
}

void CallPolicy::count(Flow& flow, std::shared_ptr<Flow> keep) {
  const config::PolicySettings& s = flow.engine->settings();
  const config::PolicyRule* r = flow.e.limits;
  const bool overHour = r != nullptr && r->spendPerHour > 0 && flow.spentHour >= r->spendPerHour;
  const bool overDay = r != nullptr && r->spendPerDay > 0 && flow.spentDay >= r->spendPerDay;
  // Concurrency, calls per minute and repeats of the rule's scope, then the zone's caps that
  // no account can dodge: checked and counted in one store step, all or none; counted
  // whatever the verdict in shadow mode, as the call goes ahead.
  std::vector<store::CountStep> steps;
  std::vector<CountKind> kinds;
  if (r != nullptr) {
    steps.push_back({store::CountStep::Kind::kCounter, storeKey(flow.scopeKey, "live"),
                     r->maxConcurrent, store::kForever, 1});
    steps.push_back({store::CountStep::Kind::kWindow, storeKey(flow.scopeKey, "rate"),
                     r->callsPerMinute, minutes(1), 1});
    kinds.insert(kinds.end(), {CountKind::kLive, CountKind::kRate});
    if (r->repeatCalls > 0 && !flow.e.digits.empty()) {
      steps.push_back({store::CountStep::Kind::kWindow,
                       storeKey(flow.scopeKey, "repeat:" + flow.e.digits), r->repeatCalls,
                       r->repeatWindow, 1});
      kinds.push_back(CountKind::kRepeat);
    }
  }
  if (!flow.zoneKey.empty()) {
    const config::ZoneLimits& zl = s.zoneLimits[static_cast<size_t>(flow.zone)];
    steps.push_back({store::CountStep::Kind::kCounter, storeKey(flow.zoneKey, "live"),
                     zl.maxConcurrent, store::kForever, 1});
    steps.push_back({store::CountStep::Kind::kWindow, storeKey(flow.zoneKey, "rate"),
                     zl.callsPerMinute, minutes(1), 1});
    kinds.insert(kinds.end(), {CountKind::kZoneLive, CountKind::kZoneRate});
  }
  const store::CountMode mode = !s.enforce            ? store::CountMode::kAlways
                                : overHour || overDay ? store::CountMode::kCheckOnly
                                                      : store::CountMode::kAllOrNothing;
  state_->store.countAll(
      std::move(steps), mode,
      [this, fp = &flow, keep = std::move(keep), overHour, overDay,
       kinds = std::move(kinds)](store::CountAllResult counted) mutable {
        Flow& pending = *fp;
        const config::PolicySettings& settings = pending.engine->settings();
        const config::PolicyRule* rule = pending.e.limits;
        const transport::Zone z = pending.zone;
        const config::ZoneLimits& zl = settings.zoneLimits[static_cast<size_t>(z)];
        const std::string zone(transport::zoneName(z));
        Admission& out = pending.e.admission;
        std::vector<RuleTrace>* trace = pending.trace;
        auto limit = [&](std::string what, std::string reason, std::string detail) {
          out.allowed = false;
          out.code = rule != nullptr && rule->code != 0 ? rule->code : settings.rejectCode;
          out.rule = std::move(what);
          out.reason = std::move(reason);
          if (trace) trace->push_back({out.rule, true, std::move(detail)});
        };
        // What the refusing step held before this call.
        const auto held = [&](int step) {
          const int64_t v =
              static_cast<size_t>(step) < counted.values.size() ? counted.values[step] : 0;
          return counted.counted ? v - 1 : v;
        };
        const int refused = counted.refused;
        if (refused >= 0 && static_cast<size_t>(refused) < kinds.size()) {
          switch (kinds[static_cast<size_t>(refused)]) {
            case CountKind::kLive:
              limit(rule->name + ".max_concurrent", "Too Many Concurrent Calls",
                    fmt::format("{} calls in progress, limit {}", held(refused),
                                rule->maxConcurrent));
              break;
            case CountKind::kRate:
              limit(rule->name + ".calls_per_minute", "Call Rate Exceeded",
                    fmt::format("{} calls in the last minute, limit {}", held(refused),
                                rule->callsPerMinute));
              break;
            case CountKind::kRepeat:
              limit(rule->name + ".repeat", "Repeated Calls To This Number",
                    fmt::format("{} calls to {} within {}s, limit {}", held(refused), out.e164,
                                rule->repeatWindow.count(), rule->repeatCalls));
              break;
            case CountKind::kZoneLive:
              limit("zone_limits." + zone + ".max_concurrent", "Too Many Concurrent Calls",
                    fmt::format("{} calls of zone {} in progress, limit {}", held(refused), zone,
                                zl.maxConcurrent));
              break;
            case CountKind::kZoneRate:
              limit("zone_limits." + zone + ".calls_per_minute", "Call Rate Exceeded",
                    fmt::format("{} calls of zone {} in the last minute, limit {}", held(refused),
                                zone, zl.callsPerMinute));
              break;
          }
        } else if (overHour) {
          limit(rule->name + ".spend_per_hour", "Spend Limit Reached",
                fmt::format("spent {:.2f} in the last hour, cap {:.2f}", pending.spentHour,
                            rule->spendPerHour));
        } else if (overDay) {
          limit(rule->name + ".spend_per_day", "Spend Limit Reached",
                fmt::format("spent {:.2f} in the last 24 hours, cap {:.2f}", pending.spentDay,
                            rule->spendPerDay));
        }
        finish(pending);
      });
}

void CallPolicy::finish(Flow& flow) {
  State& st = *state_;
  const config::PolicySettings& s = flow.engine->settings();
  Admission& out = flow.e.admission;
  std::vector<RuleTrace>* trace = flow.trace;
  if (!out.allowed && !s.enforce) {
    out.allowed = true;
    out.shadow = true;
    if (trace) {
      trace->push_back({"shadow", true,
                        fmt::format("enforce is false: admitted; would have answered {} {}",
                                    out.code, out.reason)});
    }
  }
  if (!out.allowed || out.emergency) {
    flow.deliver(std::move(out));
    return;
  }
  LiveCall call;
  call.scope = flow.scopeKey;
  call.zoneScope = flow.zoneKey;
  if (!flow.e.digits.empty()) {
    if (const config::RateEntry* rate = flow.engine->rates().find(flow.e.digits)) {
      call.rate = *rate;
    }
  }
  if (trace) {
    trace->push_back({"rate", call.rate.has_value(),
                      call.rate ? fmt::format("+{}: {:.4f} per minute, billed {}/{}",
                                              call.rate->prefix, call.rate->pricePerMinute,
                                              call.rate->firstIncrement, call.rate->nextIncrement)
                                : std::string("no rate: the call costs nothing")});
  }
  {
    std::lock_guard lock(st.mu);
    const uint64_t handle = st.nextHandle++;
    if (!flow.scopeKey.empty()) {
      Scope& sc = st.scopes[flow.scopeKey];
      sc.capHour = flow.e.limits->spendPerHour;
      sc.capDay = flow.e.limits->spendPerDay;
      sc.handles.insert(handle);
    }
    st.calls.emplace(handle, std::move(call));
    out.handle = handle;
  }
  flow.deliver(std::move(out));
}

void CallPolicy::answered(uint64_t handle, base::TimePoint now) {
  state_->tell(now);
  std::lock_guard lock(state_->mu);
  const auto it = state_->calls.find(handle);
  if (it == state_->calls.end() || it->second.answered) return;
  it->second.answered = true;
  it->second.answeredAt = now;
}

double CallPolicy::ended(uint64_t handle, base::TimePoint now) {
  State& st = *state_;
  st.tell(now);
  std::string scope;
  std::string zoneScope;
  double total = 0;
  {
    std::lock_guard lock(st.mu);
    const auto it = st.calls.find(handle);
    if (it == st.calls.end()) return 0;  // unknown, or ended already: never counted twice
    total = liveCost(it->second, now);
    scope = std::move(it->second.scope);
    zoneScope = std::move(it->second.zoneScope);
    st.calls.erase(it);
    if (const auto sc = st.scopes.find(scope); sc != st.scopes.end()) {
      sc->second.handles.erase(handle);
      if (total > 0) sc->second.liveCostKnown = false;  // its cost moved from live to ended
    }
  }
  if (!scope.empty()) {
    st.store.counterAdd(storeKey(scope, "live"), -1, 0, store::kForever, nullptr);
    if (total > 0) st.addSpend(scope, total, base::Duration::zero());
  }
  if (!zoneScope.empty()) {
    st.store.counterAdd(storeKey(zoneScope, "live"), -1, 0, store::kForever, nullptr);
  }
  return total;
}

double CallPolicy::cost(uint64_t handle, base::TimePoint now) const {
  std::lock_guard lock(state_->mu);
  const auto it = state_->calls.find(handle);
  return it == state_->calls.end() ? 0 : liveCost(it->second, now);
}

std::vector<uint64_t> CallPolicy::overCap(base::TimePoint now, base::Duration lookahead) {
  State& st = *state_;
  st.tell(now);
  std::lock_guard lock(st.mu);
  std::vector<uint64_t> out;
  for (auto& [key, sc] : st.scopes) {
    if ((sc.capHour <= 0 && sc.capDay <= 0) || sc.handles.empty()) continue;
    // Billing is per increment, in advance: a call may use the increment it has paid for, and
    // is ended before it would start one the cap cannot pay.
    const double live = st.liveSpend(sc, now + lookahead);
    const bool inlineStore = st.store.completesInline();
    const double hour = inlineStore ? st.endedSpend(key, hours(1)) : sc.endedHour;
    const double day = inlineStore ? st.endedSpend(key, hours(24)) : sc.endedDay;
    const bool over =
        (sc.capHour > 0 && hour + live > sc.capHour) || (sc.capDay > 0 && day + live > sc.capDay);
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
  std::string scope;
  {
    std::lock_guard lock(st.mu);
    if (cost <= 0 || st.engine == nullptr) return false;
    for (const config::PolicyRule& r : st.engine->settings().rules) {
      if (r.name != rule || (r.spendPerHour <= 0 && r.spendPerDay <= 0)) continue;
      scope = scopeKeyOf(r, account);
      break;
    }
  }
  if (scope.empty()) return false;
  st.addSpend(scope, cost, st.storeClock.now() - endedAt);
  return true;
}

void CallPolicy::expire(base::TimePoint now) {
  State& st = *state_;
  st.tell(now);
  if (st.own) st.own->sweep();
  std::lock_guard lock(st.mu);
  // A scope without calls in progress here holds nothing its store keys do not.
  std::erase_if(st.scopes, [](const auto& s) { return s.second.handles.empty(); });
  for (auto it = st.lockouts.begin(); it != st.lockouts.end();) {
    const bool stale = now >= it->second.until && (it->second.failures.empty() ||
                                                   now - it->second.failures.back() >= hours(24));
    it = stale ? st.lockouts.erase(it) : std::next(it);
  }
}

}  // namespace tg::guard::policy
