#pragma once

// Runs a new INVITE through the admission filters, in their fixed order (standard_chain.h), on
// the worker that owns the call:
//
//   - a disabled filter is skipped;
//   - Continue goes on to the next filter; past the last, the call is handed to `admitted`;
//   - Reply, Challenge and Drop end it there (answered, challenged, or left without a final
//     answer), and every filter before is told to release() what it took; with the filter's
//     `enforce` off (shadow mode) the refusal is logged, recorded as a security event and
//     counted instead, and the call goes on;
//   - Defer parks the call: the filter calls resume(ticket, verdict) later on this worker, and
//     the chain goes on from the next filter. While parked the chain owns the INVITE's server
//     transaction: a CANCEL answers it 487, a deadline that passes answers it 504, and either
//     way the call is forgotten, so a late resume() finds nothing (returns false).

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/admission/call_filter.h"
#include "b2bua/leg_messages.h"
#include "base/counters.h"
#include "base/timer_queue.h"
#include "transaction/transaction_owner.h"

namespace tg::b2bua::admission {

// The answer to a call whose deferring filter did not resume it in time: the check it waited
// for (an external lookup) did not answer, RFC 3261 §21.5.5.
inline constexpr int kDeadlineCode = 504;
inline constexpr std::string_view kDeadlineReason = "Admission Check Timed Out";

#define TG_ADMISSION_FILTER_COUNTERS(X)                             \
  X(passed, "calls it let through")                                 \
  X(refused, "calls it refused (answered, challenged or dropped)")  \
  X(shadowRefused, "calls it would have refused (enforce: false)")  \
  X(deferred, "calls it deferred")                                  \
  X(deferTimeouts, "deferred calls answered 504 at their deadline") \
  X(deferCancelled, "deferred calls the caller cancelled")

struct FilterStats {
  TG_ADMISSION_FILTER_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(FilterStats, TG_ADMISSION_FILTER_COUNTERS)
};

// One worker's counters, by filter in chain order; summed over workers by position.
struct AdmissionStats {
  std::vector<std::string_view> names;  // the filters' names (static text)
  std::vector<FilterStats> filters;

  AdmissionStats& operator+=(const AdmissionStats& other);
  // The counters of the filter called `name`; null when there is none.
  const FilterStats* of(std::string_view name) const;
};

class AdmissionChain final : public transaction::TransactionOwner {
 public:
  using Admitted = std::function<void(CallContext& call)>;

  AdmissionChain(AdmissionServices& services, const LegMessages& messages,
                 std::vector<std::unique_ptr<CallFilter>> filters);
  ~AdmissionChain() override;
  AdmissionChain(const AdmissionChain&) = delete;
  AdmissionChain& operator=(const AdmissionChain&) = delete;

  // Where an admitted call goes (the B2BUA starts it). Set before traffic flows.
  void setAdmitted(Admitted admitted) { admitted_ = std::move(admitted); }

  // Appends a filter after those given at construction (tests; a deployment's own checks).
  void append(std::unique_ptr<CallFilter> filter);

  // Runs `call` from the first filter. Returns once it is admitted, refused or parked.
  void run(CallContext&& call);
  // The verdict of the filter that deferred `ticket`; false when that call is no longer parked
  // (cancelled, timed out). Call on the owning worker, after the filter's check() returned.
  bool resume(uint64_t ticket, Verdict verdict);
  // The call parked under `ticket`; null when it is not (any more). On the owning worker.
  CallContext* parked(uint64_t ticket);

  size_t parkedCount() const { return parked_.size(); }
  const AdmissionStats& stats() const { return stats_; }
  const std::vector<std::unique_ptr<CallFilter>>& filters() const { return filters_; }

  // TransactionOwner: the INVITEs of parked calls.
  void onResponse(transaction::ClientTransaction& /*ct*/, const sip::Message& /*r*/) override {}
  void onClientFailure(transaction::ClientTransaction& /*ct*/, bool /*transport*/) override {}
  void onCancel(transaction::ServerTransaction& invite) override;
  void onTerminated(transaction::Transaction& t) override;

 private:
  struct Parked {
    CallContext call;
    size_t filter = 0;  // the one that deferred it
    base::TimerId deadline = base::kNoTimer;
  };

  void runFrom(CallContext&& call, size_t index);
  // Acts on filter `index`'s verdict (`enforce`: its switch). True: go on with the next
  // filter; false: `call` was answered or parked (moved from).
  bool settle(CallContext& call, size_t index, bool enforce, Verdict verdict);
  void park(CallContext&& call, size_t index, base::Duration deadline);
  // Ends a refused or abandoned call: every filter up to `last` releases it, and a call the
  // events already know of is told as rejected with `code` and `why`. `refusedBy`: the rule of
  // the filter that refused it (its CDR says rejected, by that rule); empty when the caller
  // gave up or time ran out.
  void abandon(CallContext& call, size_t last, int code, std::string_view why,
               std::string_view refusedBy = {});
  void answer(CallContext& call, const Verdict& verdict);
  void reportShadow(const CallContext& call, const CallFilter& filter, const Verdict& verdict);
  void expire(uint64_t ticket);

  AdmissionServices& services_;
  const LegMessages& messages_;
  std::vector<std::unique_ptr<CallFilter>> filters_;
  Admitted admitted_;
  AdmissionStats stats_;
  std::unordered_map<uint64_t, Parked> parked_;
  uint64_t nextTicket_ = 1;
};

}  // namespace tg::b2bua::admission
