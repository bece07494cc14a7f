#include "guard/ratelimit/rate_limit_filter.h"

#include <algorithm>
#include <cmath>

namespace tg::guard::ratelimit {
namespace {

constexpr std::array<std::string_view, kMethodClassCount> kSourceRules = {
    "ratelimit.invite", "ratelimit.register", "ratelimit.options", "ratelimit.other"};
constexpr std::array<std::string_view, kMethodClassCount> kZoneRules = {
    "ratelimit.zone.invite", "ratelimit.zone.register", "ratelimit.zone.options",
    "ratelimit.zone.other"};
constexpr std::array<std::string_view, kMethodClassCount> kTrustedRules = {
    "ratelimit.trusted.invite", "ratelimit.trusted.register", "ratelimit.trusted.options",
    "ratelimit.trusted.other"};

size_t zoneIndex(transport::Zone z) { return static_cast<size_t>(z) % 3; }

}  // namespace

MethodClass classify(sip::Method method, bool inDialog) {
  if (inDialog) return MethodClass::kOther;
  switch (method) {
    case sip::Method::kInvite:
      return MethodClass::kInvite;
    case sip::Method::kRegister:
      return MethodClass::kRegister;
    case sip::Method::kOptions:
      return MethodClass::kOptions;
    default:
      return MethodClass::kOther;
  }
}

RateLimitFilter::RateLimitFilter(const config::RateLimitSettings& settings, int workers)
    : settings_(settings),
      window_(std::chrono::duration_cast<base::Duration>(settings.window)),
      sources_(settings.maxSources) {
  if (window_ <= base::Duration::zero()) window_ = std::chrono::seconds(1);
  // A refused peer may retry once the window has slid past its burst.
  retryAfterS_ = static_cast<uint32_t>(
      std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(window_).count()));
  perSource_[zoneIndex(transport::Zone::kPbx)] = limitsOf(settings.pbx.perSource);
  perSource_[zoneIndex(transport::Zone::kTrunk)] = limitsOf(settings.trunk.perSource);
  perSource_[zoneIndex(transport::Zone::kPublic)] = limitsOf(settings.publicZone.perSource);
  aggregate_[zoneIndex(transport::Zone::kPbx)] = limitsOf(settings.pbx.aggregate);
  aggregate_[zoneIndex(transport::Zone::kTrunk)] = limitsOf(settings.trunk.aggregate);
  aggregate_[zoneIndex(transport::Zone::kPublic)] = limitsOf(settings.publicZone.aggregate);
  // This worker's share of each zone aggregate (never below one request per window).
  for (Limits& zone : aggregate_) {
    for (double& limit : zone) {
      if (limit > 0 && workers > 1) limit = std::max(1.0, limit / workers);
    }
  }
  trusted_ = limitsOf(settings.trustedPerSource);
}

RateLimitFilter::Limits RateLimitFilter::limitsOf(const config::MethodRates& r) const {
  const auto one = [this](double perSecond) {
    return perSecond > 0 ? perWindow(perSecond, window_) : 0.0;
  };
  return {one(r.invite), one(r.registration), one(r.options), one(r.other)};
}

bool RateLimitFilter::fits(SlidingWindow& w, base::TimePoint now, base::Duration window,
                           double limit) {
  return limit <= 0 || w.estimate(now, window) + 1 <= limit;
}

Verdict RateLimitFilter::onRequest(const Request& request) {
  if (!settings_.enabled) return Verdict::next();
  // Established calls of trusted peers are never held up by a rate limit.
  if (request.trusted && request.inDialog) return Verdict::next();
  return check(classify(request.message.method(), request.inDialog), request.zone, request.source,
               request.trusted, request.now);
}

Verdict RateLimitFilter::onKeepAlive(transport::Zone zone, const base::Address& source,
                                     bool trusted, base::TimePoint now) {
  if (!settings_.enabled) return Verdict::next();
  return check(MethodClass::kOptions, zone, source, trusted, now);
}

Verdict RateLimitFilter::check(MethodClass c, transport::Zone zone, const base::Address& address,
                               bool trusted, base::TimePoint now) {
  const size_t ci = static_cast<size_t>(c);
  const size_t zi = zoneIndex(zone);

  // Per source first: a single flooder is its own problem, not the zone's.
  const double sourceLimit = trusted ? trusted_[ci] : perSource_[zi][ci];
  Source* source = nullptr;
  if (sourceLimit > 0) {
    source = &sources_.findOrInsert(SourceKey::of(address, static_cast<uint8_t>(zi)));
    source->lastSeen = now;
    if (!fits(source->windows[ci], now, window_, sourceLimit)) {
      if (trusted) {
        Verdict v = Verdict::reply(503, kTrustedRules[ci], "Service Unavailable");
        v.retryAfterS = retryAfterS_;
        return v;
      }
      return overSourceLimit(*source, c, now);
    }
  }

  SlidingWindow& zoneWindow = zoneWindows_[zi][ci];
  if (!fits(zoneWindow, now, window_, aggregate_[zi][ci])) {
    // Not this source's fault alone: no ban.
    if (trusted) {
      Verdict v = Verdict::reply(503, kZoneRules[ci], "Service Unavailable");
      v.retryAfterS = retryAfterS_;
      return v;
    }
    return Verdict::drop(kZoneRules[ci], "the zone is over its request rate");
  }
  // Only what passes is counted, so a refused flood does not lock out the zone.
  if (source != nullptr) source->windows[ci].add(now, window_);
  if (aggregate_[zi][ci] > 0) zoneWindow.add(now, window_);
  return Verdict::next();
}

Verdict RateLimitFilter::overSourceLimit(Source& s, MethodClass c, base::TimePoint now) {
  const int64_t windowIndex = (now - base::TimePoint{}) / window_;
  if (windowIndex != s.lastViolationWindow) {
    // Violations count while they keep coming: a gap longer than the ban threshold (in
    // windows) starts the count over, so an occasional burst is never banned.
    const int64_t gap = windowIndex - s.lastViolationWindow;
    const bool recent = s.lastViolationWindow >= 0 && gap <= settings_.banAfterViolations;
    s.violations =
        static_cast<uint16_t>(recent && s.violations < UINT16_MAX ? s.violations + 1 : 1);
    s.lastViolationWindow = windowIndex;
  }
  const bool ban = settings_.banAfterViolations > 0 && s.violations >= settings_.banAfterViolations;
  return Verdict::drop(kSourceRules[static_cast<size_t>(c)], "over the per-source request rate",
                       ban);
}

void RateLimitFilter::expire(base::TimePoint now) {
  // After two windows every count has slid out; the violation streak ends with the gap.
  const base::Duration idle = window_ * std::max(2, settings_.banAfterViolations + 1);
  sources_.dropStale([&](const Source& s) { return now - s.lastSeen >= idle; });
}

}  // namespace tg::guard::ratelimit
