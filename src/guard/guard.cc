#include "guard/guard.h"

#include <fmt/format.h>

#include "base/log.h"
#include "guard/scanner/scanner_filter.h"

namespace tg::guard {

std::string actionText(const Verdict& verdict, const BanResult* ban) {
  std::string text = verdict.action == Action::kReply ? fmt::format("reply {}", verdict.code)
                                                      : std::string("drop");
  if (ban != nullptr && ban->banned()) {
    text += ban->duration.count() == 0 ? std::string(" + ban")
                                       : fmt::format(" + ban {}s", ban->duration.count());
  }
  return text;
}

std::string_view filterName(FilterId id) {
  switch (id) {
    case FilterId::kOverload:
      return "overload";
    case FilterId::kScanner:
      return "scanner";
    case FilterId::kRateLimit:
      return "ratelimit";
  }
  return "unknown";
}

Guard::Guard(config::ConfigPtr config, std::shared_ptr<const acl::ZoneAcl> acl, BanList& bans,
             EventSink* events, const base::Clock& clock)
    : config_(std::move(config)),
      acl_(std::move(acl)),
      bans_(bans),
      events_(events),
      clock_(clock) {
  buildFilters();
}

Guard::~Guard() = default;

void Guard::updateConfig(config::ConfigPtr config, std::shared_ptr<const acl::ZoneAcl> acl) {
  config_ = std::move(config);
  acl_ = std::move(acl);
  buildFilters();
}

void Guard::buildFilters() {
  slots_.clear();
  overload_ = nullptr;
  rateLimit_ = nullptr;
  const config::GuardSettings& g = config_->guard;
  // Shedding first: under overload nothing else should spend time on a request it drops.
  if (g.overload.enabled) {
    auto detector = std::make_unique<overload::OverloadDetector>(g.overload);
    overload_ = detector.get();
    slots_.push_back({std::move(detector), g.overload.enforce, FilterId::kOverload});
  }
  if (g.scanner.enabled) {
    slots_.push_back({std::make_unique<scanner::ScannerFilter>(g.scanner), g.scanner.enforce,
                      FilterId::kScanner});
  }
  if (g.rateLimit.enabled) {
    auto limits = std::make_unique<ratelimit::RateLimitFilter>(g.rateLimit, config_->workers);
    rateLimit_ = limits.get();
    rateLimitSlot_ = slots_.size();
    slots_.push_back({std::move(limits), g.rateLimit.enforce, FilterId::kRateLimit});
  }
}

overload::OverloadLevel Guard::overloadLevel() const {
  return overload_ != nullptr ? overload_->level() : overload::OverloadLevel::kNormal;
}

bool Guard::admitSource(const transport::Packet& packet) {
  return admit(packet.zone, packet.source, packet.received, packet.bytes);
}

bool Guard::admitConnection(transport::Zone zone, const base::Address& source,
                            base::TimePoint now) {
  return admit(zone, source, now, "(a TCP or TLS connection)");
}

bool Guard::admit(transport::Zone zone, const base::Address& source, base::TimePoint now,
                  std::string_view sample) {
  if (bans_.isBanned(source, now)) {
    ++stats_.bannedDrops;  // the ban itself was the event
    return false;
  }
  if (acl_ == nullptr) return true;
  const acl::AclVerdict v = acl_->check(zone, source);
  if (v.allowed && !v.shadow) return true;
  // ACL drops do not end in a ban, so a flood of them would build an event per packet: skip
  // the ones the sink would fold anyway.
  if (!recentlyRecorded(source, v.rule, now)) {
    record(zone, source, v.rule, v.reason, v.shadow ? "shadow" : "drop", sample);
  }
  if (v.shadow) {
    ++stats_.shadowed;
    return true;
  }
  ++stats_.aclDrops;
  TG_LOG(kGuard, debug, "dropped traffic from {} on the {} zone: {}", source.toString(),
         transport::zoneName(zone), v.reason);
  return false;
}

Verdict Guard::checkRequest(const sip::Message& request, const transport::Packet& packet,
                            bool inDialog) {
  return check(request, packet, inDialog);
}

void Guard::unknownDialog(const sip::Message& request, transport::Zone zone,
                          const base::Address& source, bool checkAgain) {
  ++stats_.unknownDialogs;
  const base::TimePoint now = clock_.now();
  if (checkAgain) {
    transport::Packet packet;
    packet.source = source;
    packet.zone = zone;
    packet.received = now;
    check(request, packet, /*inDialog=*/false);  // bans and events; it is answered already
  }
  constexpr std::string_view kRule = "dialog.unknown";
  if (recentlyRecorded(source, kRule, now)) return;
  record(zone, source, kRule, "in-dialog request for no dialog of ours (forged or stale To tag)",
         "reply 481", request.text());
}

Verdict Guard::checkRejected(const sip::Message& request, const transport::Packet& packet) {
  return check(request, packet, /*inDialog=*/false);
}

Verdict Guard::check(const sip::Message& request, const transport::Packet& packet, bool inDialog) {
  const Request r{request,  packet.zone,    packet.source, bans_.isTrusted(packet.source),
                  inDialog, packet.received};
  for (Slot& slot : slots_) {
    const Verdict v = slot.filter->onRequest(r);
    if (v.passes()) {
      ++filterStats_[slot.id].passed;
      continue;
    }
    if (enforce(slot, v, r.trusted, packet, request.text())) return v;
  }
  return Verdict::next();
}

bool Guard::admitKeepAlive(const transport::Packet& packet) {
  if (rateLimit_ == nullptr) return true;
  const bool trusted = bans_.isTrusted(packet.source);
  const Verdict v = rateLimit_->onKeepAlive(packet.zone, packet.source, trusted, packet.received);
  if (v.passes()) {
    ++filterStats_[FilterId::kRateLimit].passed;
    return true;
  }
  return !enforce(slots_[rateLimitSlot_], v, trusted, packet, "(a STUN Binding request)");
}

bool Guard::enforce(const Slot& slot, const Verdict& v, bool trusted,
                    const transport::Packet& packet, std::string_view sample) {
  FilterStats& counts = filterStats_[slot.id];
  if (!slot.enforce) {
    ++stats_.shadowed;
    ++counts.shadowBlocked;
    record(packet.zone, packet.source, v.rule, v.reason, "shadow", sample);
    return false;
  }
  BanResult ban;
  // bans.enabled false: filters still block, but nobody is banned automatically.
  if (v.ban && !trusted && config_->guard.bans.enabled) {
    ban = bans_.ban(packet.source, v.rule, v.reason, BanOrigin::kAuto, packet.received);
    if (ban.banned()) {
      ++stats_.bansIssued;
      TG_LOG(kGuard, warn, "banned {} for {}s ({}: {}; offence {})", packet.source.toString(),
             ban.duration.count(), v.rule, v.reason, ban.offences);
    }
  }
  ++counts.blocked;
  if (v.action == Action::kReply) {
    ++stats_.filterReplies;
  } else {
    ++stats_.filterDrops;
  }
  record(packet.zone, packet.source, v.rule, v.reason, actionText(v, &ban), sample);
  return true;
}

void Guard::streamOffence(transport::Zone zone, const base::Address& source,
                          transport::StreamOffence offence, base::TimePoint now) {
  // Peers in the pbx and trunk zones are configured ones: a provider's broken TLS setup is the
  // operator's to fix, not a reason to cut the trunk.
  if (zone != transport::Zone::kPublic || bans_.isTrusted(source)) return;
  ++stats_.streamOffences;
  const config::TcpSettings& tcp = config_->tcp;
  if (!offences_->add(source, now, tcp.offencesBeforeBan, tcp.offenceWindow)) return;
  if (!config_->guard.bans.enabled) return;
  const std::string reason =
      fmt::format("{} offences on TCP/TLS connections within {}s (last: {})", tcp.offencesBeforeBan,
                  tcp.offenceWindow.count(), transport::offenceName(offence));
  constexpr std::string_view kRule = "stream-offences";
  const BanResult ban = bans_.ban(source, kRule, reason, BanOrigin::kAuto, now);
  if (!ban.banned()) return;
  ++stats_.bansIssued;
  TG_LOG(kGuard, warn, "banned {} for {}s ({}: {}; offence {})", source.toString(),
         ban.duration.count(), kRule, reason, ban.offences);
  record(zone, source, kRule, reason,
         ban.duration.count() == 0 ? std::string("reset + ban")
                                   : fmt::format("reset + ban {}s", ban.duration.count()),
         "");
}

void Guard::responseSent(transport::Zone zone, const base::Address& to, int code) {
  if (code < 200) return;
  const base::TimePoint now = clock_.now();
  for (Slot& slot : slots_) slot.filter->onResponseSent(zone, to, code, now);
}

void Guard::housekeeping(const overload::LoadSample& load) {
  const base::TimePoint now = clock_.now();
  if (overload_ != nullptr) {
    const overload::OverloadLevel before = overload_->level();
    overload_->recordSample(load);
    if (overload_->level() != before) {
      TG_LOG(kGuard, warn,
             "overload: {} -> {} (loop busy {:.0f}%, {} datagrams queued; pbx and trunk zones "
             "{:.0f}% busy, {} queued)",
             overload::levelName(before), overload::levelName(overload_->level()),
             overload_->lastCpuPercent(), load.queuedDatagrams,
             load.interval > base::Duration::zero()
                 ? 100.0 * static_cast<double>(load.trustedBusy.count()) / load.interval.count()
                 : 0.0,
             load.trustedQueuedDatagrams);
    }
  }
  for (Slot& slot : slots_) slot.filter->expire(now);
  offences_->expire(now, config_->tcp.offenceWindow);
}

void Guard::record(transport::Zone zone, const base::Address& source, std::string_view rule,
                   std::string_view reason, std::string action, std::string_view bytes) {
  if (events_ == nullptr) return;
  SecurityEvent e;
  e.time = clock_.wallNow();
  e.zone = zone;
  e.source = source;
  e.rule = std::string(rule);
  e.reason = std::string(reason);
  e.action = std::move(action);
  // The sink truncates and makes it printable; pass no more than it could keep.
  e.sample = std::string(
      bytes.substr(0, std::min<size_t>(bytes.size(), config_->guard.events.sampleBytes)));
  events_->record(std::move(e));
}

bool Guard::recentlyRecorded(const base::Address& source, std::string_view rule,
                             base::TimePoint now) {
  const auto host = IpPrefix::host(source);
  const uint64_t key = (host ? host->hi * 0x9E3779B97F4A7C15ULL ^ host->lo : 0) ^
                       std::hash<std::string_view>{}(rule);
  Recent& slot = recent_[key % recent_.size()];
  if (slot.key == key && slot.at != base::TimePoint{} &&
      now - slot.at < config_->guard.events.repeatInterval) {
    return true;
  }
  slot.key = key;
  slot.at = now;
  return false;
}

}  // namespace tg::guard
