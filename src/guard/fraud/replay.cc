#include "guard/fraud/replay.h"

#include <algorithm>
#include <chrono>
#include <queue>
#include <vector>

#include "config/config.h"
#include "guard/fraud/fraud_detector.h"
#include "guard/policy/call_policy.h"

namespace tg::guard::fraud {
namespace {

using Clock = std::chrono::steady_clock;
using base::Duration;
using base::TimePoint;

// How often the simulated gateway asks the policy which calls have outrun a spend cap, and
// lets the detectors forget what aged out (as the running gateway does).
constexpr Duration kCapPoll = std::chrono::seconds(1);
constexpr Duration kExpireEvery = std::chrono::minutes(1);

Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

struct LiveCall {
  uint64_t policyHandle = 0;
  std::optional<TimePoint> answeredAt;
  TimePoint end{};
  bool over = false;
};

enum class EventKind : uint8_t { kEnd = 0, kAnswer = 1 };  // ends first: they free limits

struct Event {
  TimePoint at;
  EventKind kind;
  uint32_t call;
  bool operator>(const Event& o) const {
    return at != o.at ? at > o.at : kind != o.kind ? kind > o.kind : call > o.call;
  }
};

class Replayer {
 public:
  Replayer(policy::CallPolicy& policy, FraudDetector& detector, const Trace& trace)
      : policy_(policy), detector_(detector), trace_(trace), live_(trace.calls.size()) {}

  ReplayReport run();

 private:
  TimePoint monotonic(base::SystemTime t) const { return TimePoint{} + (t - origin_) + kEpoch; }
  void advanceTo(TimePoint t);
  void start(uint32_t i);
  void answer(uint32_t i, TimePoint at);
  void finish(uint32_t i, TimePoint at, bool tornDown);
  void blocked(uint32_t i, TimePoint at);
  LabelReport& report(uint32_t i) { return report_.labels[trace_.calls[i].label]; }

  static constexpr Duration kEpoch = std::chrono::hours(24);
  policy::CallPolicy& policy_;
  FraudDetector& detector_;
  const Trace& trace_;
  std::vector<LiveCall> live_;
  std::unordered_map<uint64_t, uint32_t> byPolicyHandle_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::map<std::string, TimePoint> firstCall_;
  base::SystemTime origin_{};
  TimePoint lastPoll_{};
  TimePoint lastExpire_{};
  size_t liveCount_ = 0;
  ReplayReport report_;
};

void Replayer::blocked(uint32_t i, TimePoint at) {
  LabelReport& r = report(i);
  if (r.secondsToFirstBlock) return;
  const TimePoint first = firstCall_[trace_.calls[i].label];
  r.secondsToFirstBlock = std::chrono::duration<double>(at - first).count();
}

void Replayer::finish(uint32_t i, TimePoint at, bool tornDown) {
  LiveCall& c = live_[i];
  if (c.over) return;
  c.over = true;
  --liveCount_;
  LabelReport& r = report(i);
  if (c.answeredAt && at > *c.answeredAt) {
    r.minutesAllowed += std::chrono::duration<double>(at - *c.answeredAt).count() / 60.0;
  }
  if (c.policyHandle != 0) {
    r.costAllowed += policy_.ended(c.policyHandle, at);
    byPolicyHandle_.erase(c.policyHandle);
  }
  detector_.ended(i + 1, at);
  if (tornDown) {
    ++r.tornDown;
    blocked(i, at);
  }
}

void Replayer::answer(uint32_t i, TimePoint at) {
  LiveCall& c = live_[i];
  if (c.over) return;
  c.answeredAt = at;
  ++report(i).answeredAllowed;
  if (c.policyHandle != 0) policy_.answered(c.policyHandle, at);
  detector_.answered(i + 1, at);
}

void Replayer::advanceTo(TimePoint t) {
  while (true) {
    // The next thing that happens before `t`: a scheduled answer or end, or a cap poll while
    // calls are live.
    TimePoint next = t;
    const bool haveEvent = !events_.empty() && events_.top().at <= t;
    if (haveEvent) next = events_.top().at;
    const TimePoint poll = lastPoll_ + kCapPoll;
    if (liveCount_ > 0 && poll <= next) {
      lastPoll_ = poll;
      for (uint64_t handle : policy_.overCap(poll, kCapPoll)) {
        if (auto it = byPolicyHandle_.find(handle); it != byPolicyHandle_.end()) {
          finish(it->second, poll, true);
        }
      }
      continue;
    }
    if (!haveEvent) break;
    const Event e = events_.top();
    events_.pop();
    if (e.kind == EventKind::kAnswer) {
      answer(e.call, e.at);
    } else {
      finish(e.call, e.at, live_[e.call].end > e.at + Duration(1) /* cut short */);
    }
  }
  if (liveCount_ == 0) lastPoll_ = t;
  if (t - lastExpire_ >= kExpireEvery) {
    policy_.expire(t);
    detector_.expire(t);
    lastExpire_ = t;
  }
}

void Replayer::start(uint32_t i) {
  const TraceCall& call = trace_.calls[i];
  const TimePoint now = monotonic(call.start);
  firstCall_.try_emplace(call.label, now);
  LabelReport& r = report(i);
  ++r.offered;

  policy::CallAttempt a;
  a.zone = call.zone;
  a.account = call.account;
  a.dialled = call.to;
  a.callerId = call.from;
  a.anonymous = call.from == "anonymous";
  a.when = call.start;
  a.now = now;
  const policy::Admission admission = policy_.admit(a);
  if (admission.rejected()) {
    ++r.refused;
    ++report_.refusedByRule[admission.rule];
    blocked(i, now);
    return;
  }
  FraudCall f;
  f.id = i + 1;
  f.zone = call.zone;
  f.account = admission.account.empty() ? call.account : admission.account;
  f.e164 = admission.e164;
  f.destinationClass = admission.destinationClass;
  if (f.e164.empty()) {  // the call policy is off: the detectors still need the destination
    const policy::NumberFacts dest = policy_.classify(call.to, call.zone, f.account);
    f.e164 = dest.e164;
    f.destinationClass = dest.destinationClass;
  }
  if (call.zone == transport::Zone::kTrunk) {
    const policy::NumberFacts caller = policy_.classify(call.from, call.zone);
    f.callerE164 = caller.e164;
    f.callerClass = caller.destinationClass;
  }
  f.when = call.start;
  f.now = now;
  const Assessment verdict = detector_.assess(f);
  for (uint64_t id : detector_.takeCallsToEnd()) finish(static_cast<uint32_t>(id - 1), now, true);
  if (verdict.block) {
    if (admission.handle != 0) policy_.ended(admission.handle, now);
    ++r.refused;
    ++report_.refusedByRule[verdict.rule()];
    blocked(i, now);
    return;
  }
  ++r.allowed;
  ++liveCount_;
  LiveCall& c = live_[i];
  c.policyHandle = admission.handle;
  if (c.policyHandle != 0) byPolicyHandle_[c.policyHandle] = i;
  // Unanswered calls ring for ring_s (0 when the trace does not say).
  TimePoint end = now + seconds(call.ringS.value_or(0));
  if (call.answerAfterS) {
    const TimePoint answerAt = now + seconds(*call.answerAfterS);
    events_.push({answerAt, EventKind::kAnswer, i});
    end = answerAt + seconds(call.durationS);
    c.end = end;
    if (admission.maxDuration.count() > 0) end = std::min(end, answerAt + admission.maxDuration);
  } else {
    c.end = end;
  }
  events_.push({end, EventKind::kEnd, i});
}

ReplayReport Replayer::run() {
  std::vector<uint32_t> order(trace_.calls.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return trace_.calls[a].start < trace_.calls[b].start;
  });
  if (!order.empty()) origin_ = trace_.calls[order.front()].start;
  lastPoll_ = lastExpire_ = monotonic(origin_);
  const auto began = Clock::now();
  for (uint32_t i : order) {
    advanceTo(monotonic(trace_.calls[i].start));
    start(i);
  }
  advanceTo(TimePoint::max() - std::chrono::hours(24 * 365));
  const double wallS = std::chrono::duration<double>(Clock::now() - began).count();
  report_.calls = trace_.calls.size();
  report_.callsPerSecond = wallS > 0 ? static_cast<double>(report_.calls) / wallS : 0;
  return report_;
}

}  // namespace

std::optional<ReplayReport> replay(const config::Config& config, const Trace& trace,
                                   std::string* error) {
  auto policy = policy::CallPolicy::create(config.policy, error);
  if (!policy) return std::nullopt;
  FraudDetector detector(config.fraud);
  Replayer replayer(*policy, detector, trace);
  return replayer.run();
}

}  // namespace tg::guard::fraud
