#pragma once

// Rate limits (guard.rate_limit): a sliding window per source and method class, and one per
// zone and method class for the zone as a whole. Untrusted sources over a limit are dropped,
// and banned once they were over it in `ban_after_violations` windows; trusted peers (the PBX,
// providers, guard.trusted) have their own, larger limits and get 503 with Retry-After. One
// instance per worker: a source's limits hold as configured (the UDP listeners steer each
// source address to one worker, transport/reuseport_steering.h), and each of `workers`
// instances takes its share of a zone aggregate, since many sources spread evenly.

#include <array>
#include <cstdint>

#include "config/guard_config.h"
#include "guard/common/sliding_window.h"
#include "guard/common/source_table.h"
#include "guard/filter.h"

namespace tg::guard::ratelimit {

enum class MethodClass : uint8_t { kInvite, kRegister, kOptions, kOther };
inline constexpr size_t kMethodClassCount = 4;

// In-dialog requests of untrusted sources count as "other" whatever their method: a re-INVITE
// flood must not spend the INVITE budget of new calls, nor escape every limit.
MethodClass classify(sip::Method method, bool inDialog);

class RateLimitFilter final : public Filter {
 public:
  explicit RateLimitFilter(const config::RateLimitSettings& settings, int workers = 1);

  std::string_view name() const override { return "ratelimit"; }
  Verdict onRequest(const Request& request) override;
  // A STUN Binding request (RFC 5626 keep-alive) on a SIP port: counted as an OPTIONS, the
  // other keep-alive, so a flood of them is limited and banned like one.
  Verdict onKeepAlive(transport::Zone zone, const base::Address& source, bool trusted,
                      base::TimePoint now);
  void expire(base::TimePoint now) override;

  size_t trackedSources() const { return sources_.size(); }

 private:
  using Limits = std::array<double, kMethodClassCount>;  // per window; 0: unlimited
  struct Source {
    std::array<SlidingWindow, kMethodClassCount> windows;
    base::TimePoint lastSeen{};
    int64_t lastViolationWindow = -1;  // index of the last window with a violation
    uint16_t violations = 0;           // windows with a violation, in a row (see onRequest)
  };

  Limits limitsOf(const config::MethodRates& rates) const;
  // True when one more request still fits (0 = unlimited).
  static bool fits(SlidingWindow& w, base::TimePoint now, base::Duration window, double limit);
  Verdict check(MethodClass c, transport::Zone zone, const base::Address& address, bool trusted,
                base::TimePoint now);
  Verdict overSourceLimit(Source& s, MethodClass c, base::TimePoint now);

  config::RateLimitSettings settings_;
  base::Duration window_;
  uint32_t retryAfterS_;
  std::array<Limits, 3> perSource_{};  // by zone
  std::array<Limits, 3> aggregate_{};  // by zone
  Limits trusted_{};
  std::array<std::array<SlidingWindow, kMethodClassCount>, 3> zoneWindows_{};
  SourceTable<Source> sources_;
};

}  // namespace tg::guard::ratelimit
