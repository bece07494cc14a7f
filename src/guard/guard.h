#pragma once

// One worker's guard (ARCHITECTURE.md "perimeter" and "guard chain"):
//   admitSource()  before parsing: ban list, then the zone ACL. One lookup each, silent drop.
//   checkRequest() after parsing and validation: overload shedding, scanner detection, rate
//                  limits, in that order; the first verdict that blocks wins.
// It applies each filter's enforce switch (shadow mode logs and records what would have been
// blocked and lets it through), turns `ban` verdicts into bans on the shared list (never for
// trusted sources), and writes a SecurityEvent for every decision that blocks.
//
// The ban list, the event sink and the ACL are shared by all workers; the filters' per-source
// state is per worker (the UDP listeners steer each source address to one worker's socket,
// transport/reuseport_steering.h).

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/counters.h"
#include "config/config.h"
#include "guard/acl/zone_acl.h"
#include "guard/ban/ban_list.h"
#include "guard/common/source_table.h"
#include "guard/filter.h"
#include "guard/overload/overload_detector.h"
#include "guard/ratelimit/rate_limit_filter.h"
#include "guard/security_event.h"
#include "guard/stream_offences.h"
#include "transport/stream_offence.h"
#include "transport/transport.h"

namespace tg::guard {

#define TG_GUARD_COUNTERS(X)                                                             \
  X(bannedDrops, "before parsing: the source is banned")                                 \
  X(aclDrops, "before parsing: not allowed in that zone")                                \
  X(filterDrops, "after parsing: silence")                                               \
  X(filterReplies, "after parsing: answered (503 to trusted peers, ...)")                \
  X(shadowed, "would have been blocked (enforce: false)")                                \
  X(bansIssued, "bans the filters issued")                                               \
  X(unknownDialogs, "in-dialog requests for no dialog of ours (forged or stale To tag)") \
  X(streamOffences, "failed TLS handshakes, framing errors on inbound connections")

struct alignas(base::kCounterAlign) GuardStats {
  TG_GUARD_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(GuardStats, TG_GUARD_COUNTERS)
};

// The guard chain's filters, in the order they run.
enum class FilterId : uint8_t { kOverload, kScanner, kRateLimit };
inline constexpr size_t kFilterCount = 3;
// As named in config and events: "overload", "scanner", "ratelimit".
std::string_view filterName(FilterId id);

// What one filter decided about the requests (and, for the rate limit, STUN keep-alives) that
// reached it; the three add up to what it saw.
#define TG_FILTER_COUNTERS(X)       \
  X(passed, "let through")          \
  X(blocked, "dropped or answered") \
  X(shadowBlocked, "would have been blocked, let through (enforce: false)")

struct FilterStats {
  TG_FILTER_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(FilterStats, TG_FILTER_COUNTERS)
};

// Every filter's counters, by FilterId. The guard keeps them rather than the filters, so a
// reload that rebuilds the filters does not reset them; a disabled filter counts nothing.
struct alignas(base::kCounterAlign) FilterStatsTable {
  std::array<FilterStats, kFilterCount> byId{};

  FilterStats& operator[](FilterId id) { return byId[static_cast<size_t>(id)]; }
  const FilterStats& operator[](FilterId id) const { return byId[static_cast<size_t>(id)]; }
  FilterStatsTable& operator+=(const FilterStatsTable& other) {
    for (size_t i = 0; i < kFilterCount; ++i) byId[i] += other.byId[i];
    return *this;
  }
};

class Guard {
 public:
  Guard(config::ConfigPtr config, std::shared_ptr<const acl::ZoneAcl> acl, BanList& bans,
        EventSink* events, const base::Clock& clock);
  ~Guard();

  // A reloaded configuration: filters are rebuilt (their per-source state starts over).
  void updateConfig(config::ConfigPtr config, std::shared_ptr<const acl::ZoneAcl> acl);

  // Before parsing. False: drop silently.
  bool admitSource(const transport::Packet& packet);
  // The same check for a TCP or TLS connection at accept, before it costs a handshake.
  bool admitConnection(transport::Zone zone, const base::Address& source, base::TimePoint now);
  // After parsing and validation, for requests. `inDialog`: the request belongs to a dialog
  // the gateway knows (Call-ID and To tag of a live call), not merely carries a To tag: only
  // then is it spared overload shedding and the scanner's counters.
  Verdict checkRequest(const sip::Message& request, const transport::Packet& packet, bool inDialog);
  // A request with a To tag no live dialog has, answered 481: a security event (at most one per
  // source per events.repeat_interval) and counted. `checkAgain`: it passed the chain as
  // in-dialog on arrival (its call's worker decided), so the filters see it again now as the
  // out-of-dialog request it is.
  void unknownDialog(const sip::Message& request, transport::Zone zone, const base::Address& source,
                     bool checkAgain);
  // A request the validator rejects goes through the same chain before it is answered, so a
  // flood of broken requests is shed, rate-limited and banned like any other. It never counts
  // as in-dialog: a broken request is no traffic of an established call.
  Verdict checkRejected(const sip::Message& request, const transport::Packet& packet);
  // A STUN Binding request on a SIP port, before it is answered: the rate limit only (a
  // keep-alive says nothing a scanner would). False: drop it silently.
  bool admitKeepAlive(const transport::Packet& packet);
  // An inbound TCP/TLS connection's offence (failed or stalled TLS handshake, framing error,
  // oversize message). A public-zone source that commits tcp.offences_before_ban of them within
  // tcp.offence_window_s, counted over every guard that shares the table, is banned (never a
  // trusted one); the ban is the event.
  void streamOffence(transport::Zone zone, const base::Address& source,
                     transport::StreamOffence offence, base::TimePoint now);
  // The offence counts. Each guard starts with its own; workers share one by passing the first
  // worker's to the others (Gateway::setPeers).
  std::shared_ptr<StreamOffences> offences() const { return offences_; }
  void shareOffences(std::shared_ptr<StreamOffences> offences) { offences_ = std::move(offences); }
  // A final response the gateway sent (feeds the scanner's failure ratio).
  void responseSent(transport::Zone zone, const base::Address& to, int code);
  // About once a second: expire per-source state, and one load sample for overload shedding.
  void housekeeping(const overload::LoadSample& load);

  bool isTrusted(const base::Address& source) const { return bans_.isTrusted(source); }
  overload::OverloadLevel overloadLevel() const;
  const GuardStats& stats() const { return stats_; }
  const FilterStatsTable& filterStats() const { return filterStats_; }

 private:
  // Ban list, then zone ACL; `sample` goes into the event of an ACL drop.
  bool admit(transport::Zone zone, const base::Address& source, base::TimePoint now,
             std::string_view sample);

  struct Slot {
    std::unique_ptr<Filter> filter;
    bool enforce = true;
    FilterId id = FilterId::kOverload;
  };

  void buildFilters();
  Verdict check(const sip::Message& request, const transport::Packet& packet, bool inDialog);
  // A filter's blocking verdict: shadow mode, the ban, the stats (the guard's and the
  // filter's) and the event. Returns whether it blocks (false in shadow mode).
  bool enforce(const Slot& slot, const Verdict& v, bool trusted, const transport::Packet& packet,
               std::string_view sample);
  void record(transport::Zone zone, const base::Address& source, std::string_view rule,
              std::string_view reason, std::string action, std::string_view bytes);

  // Whether an ACL event for this source and rule was recorded within
  // events.repeat_interval; checked before building one, so a flood of drops costs no
  // allocation. Direct-mapped: a
  // collision only lets an extra event through (the sink throttles again).
  bool recentlyRecorded(const base::Address& source, std::string_view rule, base::TimePoint now);

  config::ConfigPtr config_;
  std::shared_ptr<const acl::ZoneAcl> acl_;
  BanList& bans_;
  EventSink* events_;
  const base::Clock& clock_;
  overload::OverloadDetector* overload_ = nullptr;   // one of slots_, when enabled
  ratelimit::RateLimitFilter* rateLimit_ = nullptr;  // one of slots_, when enabled
  size_t rateLimitSlot_ = 0;
  std::vector<Slot> slots_;
  GuardStats stats_;
  FilterStatsTable filterStats_;
  struct Recent {
    uint64_t key = 0;
    base::TimePoint at{};
  };
  std::array<Recent, 1024> recent_{};
  std::shared_ptr<StreamOffences> offences_ = std::make_shared<StreamOffences>();
};

// The event text for a verdict: "drop", "reply 503", with " + ban 600s" when it banned.
std::string actionText(const Verdict& verdict, const BanResult* ban);

}  // namespace tg::guard
