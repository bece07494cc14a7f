#pragma once

// The toll-fraud call policy engine (issue 7): the one object the B2BUA asks about every new
// INVITE. It normalises the dialled number, classifies it, runs the ordered rules, checks the
// call codes, the caller lists and the live limits (concurrency, rate, duration, spend), and
// tracks admitted calls until they end so that spend caps can end calls in progress.
//
// The counters of the limits live in the state store (store/store.h), under "policy:{<scope>}:"
// where a scope is "<rule>|<account>" (or "<rule>|*" for a rule-wide limit): "live" (calls in
// progress, a counter), "rate" (admissions of the last minute, a window), "repeat:<digits>"
// (calls to one number, a window) and "spend" (what ended calls cost, in per-minute buckets of
// micro-units, kept a day). Each admission checks and counts them in one store step
// (Store::countAll), so workers, and later gateways sharing a RedisStore, never admit past a
// limit together. What the calls in progress cost is known only to the gateway that carries
// them: it stays here with the calls, as do the call-code lockouts.
//
// Thread-safe: one instance is shared by all workers. Nothing here throws after create().

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "transport/transport.h"

namespace tg::config {
struct PolicySettings;
}
namespace tg::store {
class Store;
}

namespace tg::guard::policy {

class Engine;  // the compiled, immutable rules (engine.h)

// One new INVITE as the policy sees it.
struct CallAttempt {
  transport::Zone zone = transport::Zone::kPbx;  // kPbx: outbound from the PBX; kTrunk: inbound
  std::string account;      // who calls: the authenticated account (public zone), the extension
                            // the PBX asserts or else the PBX peer (pbx zone; b2bua/pbx_caller.h)
  bool wholePbx = false;    // `account` is a PBX peer, not one extension: the per-person default
                            // caps (policy.default_limits) do not apply, zone_limits and the
                            // admin's own caps do
  std::string source;       // where it came from, as far as the gateway can tell: the PBX peer's
                            // name, the source address; call-code failures lock it too
  std::string dialled;      // Request-URI user as received (may start with a call code)
  std::string callerId;     // From user (outbound: must be one of our own numbers)
  std::string assertedId;   // P-Asserted-Identity user, empty when absent
  bool anonymous = false;   // the From names nobody (anonymous.invalid): assertedId is checked
  base::SystemTime when{};  // wall clock: time windows and holidays
  base::TimePoint now{};    // monotonic: rate windows, lockouts, spend
};

// One line of `trunkguard explain`: a rule looked at, and why it did or did not decide.
struct RuleTrace {
  std::string rule;
  bool matched = false;
  std::string why;  // "class international not in [national, mobile]", "denied", ...
};

struct Admission {
  bool allowed = true;      // false: answer `code` `reason` (the B2BUA adds a Reason header)
  bool shadow = false;      // enforce: false and the rules would have rejected: allowed stays
                            // true, code/reason/rule say what would have happened
  int code = 0;             // 403 by default (policy.reject_code) when rejected
  std::string reason;       // "Destination Not Allowed", ...
  std::string rule;         // the rule that decided: a rule name, "default", "call_code",
                            // "caller_id", "inbound.deny", "emergency", "limit.concurrent", ...
  std::string account;      // the account counted: the call code's user when one was given
  std::string forwardUser;  // the user part to send on: call code stripped, otherwise as dialled
  std::string e164;         // "+447700900123"; empty for internal and unrecognised numbers
  std::string destinationClass;  // "international", "internal", "emergency", ... (CDR column)
  bool emergency = false;        // passed every rule; log it
  bool authFailure = false;      // a wrong call code (or a code while locked out): count it as an
                                 // authentication failure for bans
  std::optional<std::string> callerIdRewrite;  // send this From/PAI user instead (spoofed ID)
  std::chrono::seconds maxDuration{0};         // 0 = none: otherwise the B2BUA ends the call then
  uint64_t handle = 0;  // report answered()/ended() with it; 0 when nothing is tracked

  bool rejected() const { return !allowed; }
};

// What a number is, whoever dials it: the fraud detectors classify callers' numbers too.
struct NumberFacts {
  std::string e164;              // "+447700900123"; empty when not an E.164 number
  std::string destinationClass;  // "international", "internal", "unknown", ...
};

class CallPolicy {
 public:
  // The prefix of its keys in the store, and the cap the process's store gives them.
  static constexpr std::string_view kKeyPrefix = "policy:";
  static constexpr size_t kMaxKeys = 1000000;

  // Builds the engine from settings (reads the rate table file). nullptr and *error on failure.
  // The counters go to `store` (the process's shared one: it must outlive the
  // policy; its windows run on `storeClock`); given none, the policy keeps a store of its own
  // whose clock is the `now` it is told (tests, `trunkguard explain`).
  static std::unique_ptr<CallPolicy> create(const config::PolicySettings& settings,
                                            std::string* error, store::Store* store = nullptr,
                                            const base::Clock* storeClock = nullptr);
  ~CallPolicy();
  CallPolicy(const CallPolicy&) = delete;
  CallPolicy& operator=(const CallPolicy&) = delete;

  // Swaps in new settings (config reload); calls in progress and counters are kept.
  bool reload(const config::PolicySettings& settings, std::string* error);

  bool enabled() const;
  bool enforcing() const;

  // Decides one new call. When allowed with a handle, the call is counted (concurrency, rate,
  // repeats) until ended(handle). `trace`, when given, receives every rule considered. Needs a
  // store that answers inline (answersInline()); otherwise the call is refused (500).
  Admission admit(const CallAttempt& attempt, std::vector<RuleTrace>* trace = nullptr);
  // The same, answered through `done`: before this returns with a store that answers inline,
  // otherwise when the store has answered (a RedisStore: on the thread that called, when it
  // set a poster; docs/cluster.md).
  void admitAsync(const CallAttempt& attempt, std::function<void(Admission)> done);
  bool answersInline() const;

  // `number` normalised with the numbering plan of `zone` (and `account`'s own plan) and
  // classified, without running any rule or counting anything.
  NumberFacts classify(std::string_view number, transport::Zone zone,
                       std::string_view account = {}) const;

  void answered(uint64_t handle, base::TimePoint now);
  // Also for calls never answered. Returns the call's final cost (0 when unrated/unanswered).
  double ended(uint64_t handle, base::TimePoint now);
  // The cost so far (CDR at end, or live display). 0 for unknown handles.
  double cost(uint64_t handle, base::TimePoint now) const;

  // Calls to end now because, billed up to `now + lookahead`, the calls of a spend cap's scope
  // would cost more than the cap: each call uses the billing increments already paid for and
  // ends before one the cap cannot pay. The B2BUA calls this every `lookahead` (its poll
  // interval) and ends them on both legs. Each handle is returned once.
  std::vector<uint64_t> overCap(base::TimePoint now, base::Duration lookahead);

  // At start-up, before any call: counts again what an ended call cost (from its CDR) in the
  // spend windows of `rule` for `account`, as if it had ended at `endedAt` (monotonic). Calls
  // of rules without a spend cap, or of rules no longer configured, are skipped; returns
  // whether this one was counted.
  bool restoreSpend(const std::string& rule, const std::string& account, base::TimePoint endedAt,
                    double cost);

  // Drops lockouts and idle scopes that have aged out (bounded memory), and sweeps its own store
  // (a shared store is swept by its owner); about once a second.
  void expire(base::TimePoint now);

 private:
  class State;
  struct Flow;  // one admission waiting for the store
  CallPolicy(store::Store* store, const base::Clock* storeClock);
  void start(const CallAttempt& attempt, std::vector<RuleTrace>* trace, Flow& flow,
             std::shared_ptr<Flow> keep);
  void count(Flow& flow, std::shared_ptr<Flow> keep);
  void finish(Flow& flow);
  std::unique_ptr<State> state_;
};

}  // namespace tg::guard::policy
