#include "guard/fraud/fraud_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "guard/fraud/country_code.h"

namespace tg::guard::fraud {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

constexpr size_t kHoursPerWeek = 168;
// The unusual-hours detector needs this much of an account's past before it calls an hour
// "normally idle": a week of calls, enough of them to mean something.
constexpr auto kUnusualHoursHistory = std::chrono::hours(24 * 7);
constexpr uint64_t kUnusualHoursMinCalls = 50;
// Scores (docs/fraud.md, "Detectors"): one strong sign blocks alone, weak signs must agree.
constexpr double kScoreWangiri = 1.0;
constexpr double kScoreEnumeration = 1.0;
constexpr double kScoreShortCalls = 0.6;
constexpr double kScoreNewRiskyClass = 0.6;
constexpr double kScoreNewToSite = 0.5;
constexpr double kScoreNewToAccount = 0.2;
constexpr double kScoreUnusualHour = 0.5;
constexpr double kScoreConcurrency = 0.6;
constexpr size_t kBlockDigitsDropped = 3;   // a "number block": all but the last 3 digits
constexpr size_t kPrefixDigitsDropped = 4;  // a "prefix" for short-call bursts
constexpr size_t kMinBlockLength = 8;       // "+" and at least 7 digits before cutting

size_t hourOfWeek(base::SystemTime when) {
  const auto secs = duration_cast<seconds>(when.time_since_epoch()).count();
  const int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
  const int64_t hour = ((secs % 86400) + 86400) % 86400 / 3600;
  return static_cast<size_t>(weekday * 24 + hour);
}

// The country calling code as a number (0: none), the key the country maps use.
uint32_t countryNumber(std::string_view e164) {
  uint32_t n = 0;
  for (char ch : countryCodeOf(e164)) n = n * 10 + static_cast<uint32_t>(ch - '0');
  return n;
}

std::string cut(const std::string& e164, size_t drop) {
  if (e164.size() < kMinBlockLength) return {};
  return e164.substr(0, e164.size() - drop);
}

struct Seen {
  base::TimePoint first{};
  base::TimePoint last{};
};

struct Account {
  std::array<uint32_t, kHoursPerWeek> byHourOfWeek{};
  uint64_t calls = 0;
  base::SystemTime firstCall{};
  std::unordered_map<uint32_t, Seen> countries;                     // by country calling code
  std::deque<std::pair<base::TimePoint, std::string>> recentRisky;  // (start, e164)
  std::deque<std::pair<base::TimePoint, std::string>> shortCalls;   // (end, prefix)
  std::unordered_set<uint64_t> liveRisky;
  size_t maxRisky = 0;  // the most risky calls at once it ever had, outside a block
  base::TimePoint blockedUntil{};
  std::string blockedBecause;
};

struct LiveCall {
  std::string account;
  bool risky = false;
  bool inbound = false;
  std::string number;  // inbound: the caller; outbound: the destination
  std::string numberClass;
  base::TimePoint start{};
  std::optional<base::TimePoint> answeredAt;
  size_t riskyAtStart = 0;
};

}  // namespace

bool isRiskyClass(std::string_view c) {
  return c == "international" || c == "premium" || c == "high-risk" || c == "satellite" ||
         c == "unknown";
}

std::string Assessment::rule() const {
  const Finding* top = nullptr;
  for (const Finding& f : findings) {
    if (top == nullptr || f.score > top->score) top = &f;
  }
  return top == nullptr ? std::string("fraud") : fmt::format("fraud.{}", top->detector);
}

std::string Assessment::explanation() const {
  std::string out;
  for (const Finding& f : findings) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} {:.1f}{}: {}", f.detector, f.score, f.enforce ? "" : " (shadow)", f.why);
  }
  return out;
}

class FraudDetector::State {
 public:
  explicit State(const config::FraudSettings& s) : s_(s) {}

  std::mutex mu;
  config::FraudSettings s_;
  std::unordered_map<std::string, Account> accounts;
  std::unordered_map<uint32_t, Seen> siteCountries;
  std::unordered_map<std::string, base::TimePoint> oneRings;  // caller -> when it rang
  std::unordered_map<uint64_t, LiveCall> live;
  std::vector<uint64_t> toEnd;
  // restore() only: per account, when its risky calls of the past that overlap the one being
  // restored end.
  std::unordered_map<std::string, std::vector<base::SystemTime>> pastRiskyEnds;

  Assessment assess(const FraudCall& c);
  void restore(const PastCall& p, base::SystemTime wallNow, base::TimePoint now);
  void ended(uint64_t id, base::TimePoint now);
  void expire(base::TimePoint now);

 private:
  void add(Assessment& a, const config::FraudSwitch& sw, Finding f) const {
    if (!sw.enabled) return;
    f.enforce = sw.enforce;
    a.findings.push_back(std::move(f));
  }
  bool known(const std::unordered_map<uint32_t, Seen>& seen, uint32_t cc,
             base::TimePoint now) const {
    const auto it = seen.find(cc);
    return it != seen.end() && now - it->second.first >= s_.settle &&
           now - it->second.last <= s_.learning;
  }
  void wangiri(Assessment& a, const FraudCall& c) const;
  void enumeration(Assessment& a, Account& acc, const FraudCall& c) const;
  void shortCalls(Assessment& a, Account& acc, const FraudCall& c) const;
  void newDestination(Assessment& a, const Account& acc, const FraudCall& c) const;
  void unusualHours(Assessment& a, const Account& acc, const FraudCall& c) const;
  void concurrency(Assessment& a, const Account& acc, const FraudCall& c) const;
  void decide(Assessment& a, Account& acc, const FraudCall& c);
  void learn(Account& acc, const FraudCall& c);
};

void FraudDetector::State::wangiri(Assessment& a, const FraudCall& c) const {
  const auto it = oneRings.find(c.e164);
  if (it == oneRings.end() || c.now - it->second > s_.wangiriMemory) return;
  add(a, s_.wangiri,
      {"wangiri", kScoreWangiri, true, false,
       fmt::format("{} rang in {} s ago and hung up unanswered (one-ring callback bait)", c.e164,
                   duration_cast<seconds>(c.now - it->second).count())});
}

void FraudDetector::State::enumeration(Assessment& a, Account& acc, const FraudCall& c) const {
  while (!acc.recentRisky.empty() && c.now - acc.recentRisky.front().first > s_.enumerationWindow) {
    acc.recentRisky.pop_front();
  }
  const std::string block = cut(c.e164, kBlockDigitsDropped);
  if (block.empty()) return;
  // The window holds a handful of calls: a linear scan for distinct numbers allocates nothing.
  std::array<std::string_view, 64> numbers;
  size_t distinct = 0;
  numbers[distinct++] = c.e164;
  base::TimePoint first = c.now;
  for (const auto& [at, number] : acc.recentRisky) {
    if (!number.starts_with(block)) continue;
    first = std::min(first, at);
    if (distinct < numbers.size() && std::find(numbers.begin(), numbers.begin() + distinct,
                                               number) == numbers.begin() + distinct) {
      numbers[distinct++] = number;
    }
  }
  if (distinct < static_cast<size_t>(s_.enumerationNumbers)) return;
  add(a, s_.enumeration,
      {"enumeration", kScoreEnumeration, true, true,
       fmt::format("{} numbers of block {}xxx in {} s", distinct, block,
                   duration_cast<seconds>(c.now - first).count())});
}

void FraudDetector::State::shortCalls(Assessment& a, Account& acc, const FraudCall& c) const {
  while (!acc.shortCalls.empty() && c.now - acc.shortCalls.front().first > s_.shortCallWindow) {
    acc.shortCalls.pop_front();
  }
  const std::string prefix = cut(c.e164, kPrefixDigitsDropped);
  if (prefix.empty()) return;
  const auto n = std::count_if(acc.shortCalls.begin(), acc.shortCalls.end(),
                               [&](const auto& e) { return e.second == prefix; });
  if (n < s_.shortCallBurst) return;
  add(a, s_.shortCalls,
      {"short_calls", kScoreShortCalls, true, true,
       fmt::format("{} short or unanswered calls to {}xxxx in the last {} s", n, prefix,
                   s_.shortCallWindow.count())});
}

void FraudDetector::State::newDestination(Assessment& a, const Account& acc,
                                          const FraudCall& c) const {
  const uint32_t cc = countryNumber(c.e164);
  if (cc == 0 || known(acc.countries, cc, c.now)) return;
  const bool siteKnows = known(siteCountries, cc, c.now);
  double score = siteKnows ? kScoreNewToAccount : kScoreNewToSite;
  if (c.destinationClass != "international") score = kScoreNewRiskyClass;
  add(a, s_.newDestination,
      {"new_destination", score, true, true,
       fmt::format("first {} call to country code +{} for this account{}", c.destinationClass,
                   countryCodeOf(c.e164), siteKnows ? "" : " and for the whole site")});
}

void FraudDetector::State::unusualHours(Assessment& a, const Account& acc,
                                        const FraudCall& c) const {
  if (acc.calls < kUnusualHoursMinCalls || c.when - acc.firstCall < kUnusualHoursHistory) return;
  const size_t h = hourOfWeek(c.when);
  const uint32_t around = acc.byHourOfWeek[h] + acc.byHourOfWeek[(h + 1) % kHoursPerWeek] +
                          acc.byHourOfWeek[(h + kHoursPerWeek - 1) % kHoursPerWeek];
  if (around > 0) return;
  add(a, s_.unusualHours,
      {"unusual_hours", kScoreUnusualHour, true, true,
       fmt::format("no call in this hour of the week (or the ones beside it) in {} calls "
                   "since the account's first",
                   acc.calls)});
}

void FraudDetector::State::concurrency(Assessment& a, const Account& acc,
                                       const FraudCall& c) const {
  const size_t now = acc.liveRisky.size() + 1;
  const size_t allowed = std::max(static_cast<size_t>(s_.concurrencyFloor), 2 * acc.maxRisky);
  if (now <= allowed) return;
  (void)c;
  add(a, s_.concurrency,
      {"concurrency", kScoreConcurrency, true, true,
       fmt::format("{} risky calls at once; the account's most was {}", now, acc.maxRisky)});
}

void FraudDetector::State::decide(Assessment& a, Account& acc, const FraudCall& c) {
  // A Wangiri callback refuses that call only: the account is blocked when the signs about the
  // account alone reach the threshold.
  double enforcing = 0;
  double aboutAccount = 0;
  for (const Finding& f : a.findings) {
    a.score += f.score;
    if (f.enforce) {
      enforcing += f.score;
      if (f.blocksAccount) aboutAccount += f.score;
    }
  }
  if (enforcing >= s_.blockScore) {
    a.block = true;
    if (aboutAccount >= s_.blockScore) {
      acc.blockedUntil = c.now + s_.blockFor;
      acc.blockedBecause = a.explanation();
      toEnd.insert(toEnd.end(), acc.liveRisky.begin(), acc.liveRisky.end());
    }
  } else if (a.score >= s_.blockScore) {
    a.shadowBlock = true;
  }
}

void FraudDetector::State::learn(Account& acc, const FraudCall& c) {
  if (acc.calls == 0) acc.firstCall = c.when;
  ++acc.calls;
  ++acc.byHourOfWeek[hourOfWeek(c.when)];
  const uint32_t cc = countryNumber(c.e164);
  if (cc == 0) return;
  for (auto* seen : {&acc.countries, &siteCountries}) {
    auto [it, fresh] = seen->try_emplace(cc, Seen{c.now, c.now});
    if (!fresh) it->second.last = c.now;
  }
}

Assessment FraudDetector::State::assess(const FraudCall& c) {
  Assessment a;
  if (c.zone == transport::Zone::kTrunk) {  // inbound: remembered for Wangiri only
    live[c.id] = LiveCall{{}, false, true, c.callerE164, c.callerClass, c.now, {}, 0};
    return a;
  }
  Account& acc = accounts[c.account];
  const bool risky = isRiskyClass(c.destinationClass) && !c.e164.empty();
  if (risky) {
    if (c.now < acc.blockedUntil) {
      a.findings.push_back({"blocked", s_.blockScore, true, false,
                            fmt::format("account blocked for {} s more: {}",
                                        duration_cast<seconds>(acc.blockedUntil - c.now).count(),
                                        acc.blockedBecause)});
      a.score = s_.blockScore;
      a.block = true;
      return a;
    }
    wangiri(a, c);
    enumeration(a, acc, c);
    shortCalls(a, acc, c);
    newDestination(a, acc, c);
    unusualHours(a, acc, c);
    concurrency(a, acc, c);
    decide(a, acc, c);
    acc.recentRisky.emplace_back(c.now, c.e164);
  }
  if (a.block) return a;
  learn(acc, c);
  LiveCall call{c.account, risky, false, c.e164, c.destinationClass, c.now, {}, 0};
  if (risky) {
    acc.liveRisky.insert(c.id);
    call.riskyAtStart = acc.liveRisky.size();
  }
  live[c.id] = std::move(call);
  return a;
}

void FraudDetector::State::restore(const PastCall& p, base::SystemTime wallNow,
                                   base::TimePoint now) {
  const auto monotonic = [&](base::SystemTime t) {
    return now - duration_cast<base::Duration>(wallNow - t);
  };
  FraudCall c;
  c.account = p.account;
  c.e164 = p.e164;
  c.destinationClass = p.destinationClass;
  c.when = p.start;
  c.now = monotonic(p.start);
  Account& acc = accounts[p.account];
  learn(acc, c);
  if (!isRiskyClass(p.destinationClass) || p.e164.empty()) return;
  // The windows of the last minutes: a restart in the middle of test calls forgets nothing.
  if (now - c.now <= s_.enumerationWindow) acc.recentRisky.emplace_back(c.now, p.e164);
  if (p.end && now - monotonic(*p.end) <= s_.shortCallWindow) {
    if (std::string prefix = cut(p.e164, kPrefixDigitsDropped); !prefix.empty()) {
      acc.shortCalls.emplace_back(monotonic(*p.end), std::move(prefix));
    }
  }
  if (p.endedByGateway) return;  // as live: concurrency is learnt from calls that ended normally
  std::vector<base::SystemTime>& ends = pastRiskyEnds[p.account];
  std::erase_if(ends, [&](base::SystemTime e) { return e <= p.start; });
  ends.push_back(p.end.value_or(p.start));
  acc.maxRisky = std::max(acc.maxRisky, ends.size());
}

void FraudDetector::State::ended(uint64_t id, base::TimePoint now) {
  const auto it = live.find(id);
  if (it == live.end()) return;
  LiveCall& call = it->second;
  const bool answered = call.answeredAt.has_value();
  if (call.inbound) {
    if (!answered && now - call.start <= s_.wangiriMaxRing && !call.number.empty() &&
        isRiskyClass(call.numberClass)) {
      oneRings[call.number] = now;
    }
  } else if (call.risky) {
    Account& acc = accounts[call.account];
    acc.liveRisky.erase(id);
    const bool isShort = !answered || now - *call.answeredAt <= s_.shortCallMax;
    if (isShort) {
      if (std::string prefix = cut(call.number, kPrefixDigitsDropped); !prefix.empty()) {
        acc.shortCalls.emplace_back(now, std::move(prefix));
      }
    }
    // Concurrency learnt only from calls that ended on their own outside a block.
    if (now >= acc.blockedUntil) acc.maxRisky = std::max(acc.maxRisky, call.riskyAtStart);
  }
  live.erase(it);
  std::erase(toEnd, id);  // ended before anyone took it
}

void FraudDetector::State::expire(base::TimePoint now) {
  std::erase_if(oneRings, [&](const auto& e) { return now - e.second > s_.wangiriMemory; });
  for (auto& [name, acc] : accounts) {
    std::erase_if(acc.countries, [&](const auto& e) { return now - e.second.last > s_.learning; });
    while (!acc.recentRisky.empty() && now - acc.recentRisky.front().first > s_.enumerationWindow) {
      acc.recentRisky.pop_front();
    }
    while (!acc.shortCalls.empty() && now - acc.shortCalls.front().first > s_.shortCallWindow) {
      acc.shortCalls.pop_front();
    }
  }
  std::erase_if(siteCountries, [&](const auto& e) { return now - e.second.last > s_.learning; });
}

FraudDetector::FraudDetector(const config::FraudSettings& settings)
    : state_(std::make_unique<State>(settings)) {}
FraudDetector::~FraudDetector() = default;

void FraudDetector::reload(const config::FraudSettings& settings) {
  std::lock_guard lock(state_->mu);
  state_->s_ = settings;
}

bool FraudDetector::enabled() const {
  std::lock_guard lock(state_->mu);
  return state_->s_.enabled;
}

Assessment FraudDetector::assess(const FraudCall& call) {
  std::lock_guard lock(state_->mu);
  if (!state_->s_.enabled) return {};
  return state_->assess(call);
}

void FraudDetector::restore(const PastCall& call, base::SystemTime wallNow, base::TimePoint now) {
  std::lock_guard lock(state_->mu);
  state_->restore(call, wallNow, now);
}

void FraudDetector::restoreRing(const std::string& callerE164, std::string_view callerClass,
                                base::SystemTime start, base::SystemTime end,
                                base::SystemTime wallNow, base::TimePoint now) {
  if (callerE164.empty() || !isRiskyClass(callerClass)) return;
  std::lock_guard lock(state_->mu);
  const config::FraudSettings& s = state_->s_;
  if (end < start || end - start > s.wangiriMaxRing || end > wallNow) return;
  const base::TimePoint rang = now - duration_cast<base::Duration>(wallNow - end);
  if (now - rang > s.wangiriMemory) return;
  base::TimePoint& remembered = state_->oneRings[callerE164];
  remembered = std::max(remembered, rang);
}

void FraudDetector::restoreDone() {
  std::lock_guard lock(state_->mu);
  state_->pastRiskyEnds.clear();
}

void FraudDetector::answered(uint64_t id, base::TimePoint now) {
  std::lock_guard lock(state_->mu);
  if (auto it = state_->live.find(id); it != state_->live.end()) it->second.answeredAt = now;
}

void FraudDetector::ended(uint64_t id, base::TimePoint now) {
  std::lock_guard lock(state_->mu);
  state_->ended(id, now);
}

std::vector<uint64_t> FraudDetector::takeCallsToEnd() {
  std::lock_guard lock(state_->mu);
  return std::exchange(state_->toEnd, {});
}

std::vector<uint64_t> FraudDetector::takeCallsToEnd(const std::function<bool(uint64_t)>& mine) {
  std::lock_guard lock(state_->mu);
  std::vector<uint64_t> taken;
  std::erase_if(state_->toEnd, [&](uint64_t id) {
    if (!mine(id)) return false;
    taken.push_back(id);
    return true;
  });
  return taken;
}

void FraudDetector::expire(base::TimePoint now) {
  std::lock_guard lock(state_->mu);
  state_->expire(now);
}

}  // namespace tg::guard::fraud
