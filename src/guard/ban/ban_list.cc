#include "guard/ban/ban_list.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tg::guard {

namespace {

using std::chrono::seconds;

int64_t epochMs(base::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

base::SystemTime fromEpochMs(int64_t ms) {
  return base::SystemTime{} + std::chrono::milliseconds(ms);
}

std::atomic<uint64_t> nextBanListId{1};

}  // namespace

std::string_view originName(BanOrigin origin) {
  switch (origin) {
    case BanOrigin::kAuto:
      return "auto";
    case BanOrigin::kManual:
      return "manual";
    case BanOrigin::kBlocklist:
      return "blocklist";
  }
  return "auto";
}

std::optional<BanOrigin> parseOrigin(std::string_view name) {
  if (name == "auto") return BanOrigin::kAuto;
  if (name == "manual") return BanOrigin::kManual;
  if (name == "blocklist") return BanOrigin::kBlocklist;
  return std::nullopt;
}

seconds BanPolicy::durationFor(int offences) const {
  if (offences < 1) offences = 1;
  const double d = static_cast<double>(duration.count()) * std::pow(factor, offences - 1);
  const auto cap = static_cast<double>(maxDuration.count());
  if (!std::isfinite(d) || d >= cap) return maxDuration;
  return seconds(std::max<int64_t>(1, std::llround(d)));
}

std::vector<IpPrefix> trustedNetworks(const config::Config& config) {
  std::vector<IpPrefix> out;
  auto add = [&out](const std::vector<config::Cidr>& cidrs) {
    for (const config::Cidr& c : cidrs) {
      if (auto p = IpPrefix::of(c.network, c.prefixLength)) out.push_back(*p);
    }
  };
  add(config.guard.trusted);
  add(config.pbx.allowedSources);
  for (const config::Provider& p : config.trunk.providers) add(p.allowedSources);
  return out;
}

db::BanRecord Ban::toRecord() const {
  db::BanRecord r;
  r.network = network.toString();
  r.origin = std::string(originName(origin));
  r.rule = rule;
  r.reason = reason;
  r.createdMs = epochMs(created);
  if (expiresWall) r.expiresMs = epochMs(*expiresWall);
  r.offences = offences;
  return r;
}

BanList::BanList(const base::Clock& clock, BanPolicy policy)
    : id_(nextBanListId.fetch_add(1, std::memory_order_relaxed)),
      clock_(clock),
      policy_(policy),
      trustedTrie_(std::make_shared<const CidrTrie<uint8_t>>()) {
  std::lock_guard lock(mutex_);
  publish();
}

void BanList::fold() {
  if (settled_ == nullptr) return rebuild();
  auto settled = std::make_shared<CidrTrie<base::TimePoint>>(*settled_);  // one vector copy
  recent_.forEach([&](const IpPrefix& p, const base::TimePoint& end) {
    if (end == kLifted) {
      settled->erase(p);
    } else {
      settled->insert(p, end);
    }
  });
  settled_ = std::move(settled);
  recent_.clear();
}

void BanList::rebuild() {
  auto settled = std::make_shared<CidrTrie<base::TimePoint>>();
  bans_.forEach([&](const IpPrefix& p, const Ban& b) { settled->insert(p, b.expires); });
  settled_ = std::move(settled);
  recent_.clear();
}

void BanList::publish() {
  if (settled_ == nullptr) rebuild();
  if (recent_.size() > kMaxRecentChanges) fold();
  // The pointer first, then the generation: a reader that sees the new generation fetches a
  // snapshot at least this new.
  snapshot_.store(std::make_shared<const Snapshot>(Snapshot{settled_, recent_, trustedTrie_}),
                  std::memory_order_release);
  version_.fetch_add(1, std::memory_order_release);
}

const BanList::Snapshot& BanList::current() const {
  struct Cached {
    uint64_t owner = 0;
    uint64_t generation = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };
  thread_local Cached cached;
  const uint64_t generation = version_.load(std::memory_order_acquire);
  if (cached.owner != id_ || cached.generation != generation || cached.snapshot == nullptr) {
    cached.snapshot = snapshot_.load(std::memory_order_acquire);
    cached.owner = id_;
    cached.generation = generation;
  }
  return *cached.snapshot;
}

bool BanList::isBanned(const base::Address& source, base::TimePoint now) const {
  const Snapshot& snap = current();
  if (snap.recent.empty() && snap.settled->empty()) return false;
  // Every covering ban is looked at: an ended /32 must not hide a live /24 above it.
  const auto active = [now](const IpPrefix&, const base::TimePoint& end) { return now < end; };
  bool banned = !snap.recent.empty() && snap.recent.anyMatch(source, active);
  if (!banned && !snap.settled->empty()) {
    banned = snap.settled->anyMatch(source, [&](const IpPrefix& p, const base::TimePoint& end) {
      return now < end && snap.recent.find(p) == nullptr;  // a recent change overrides it
    });
  }
  return banned && !snap.trusted->contains(source);
}

bool BanList::isTrusted(const base::Address& source) const {
  return current().trusted->contains(source);
}

void BanList::putBan(const IpPrefix& network, Ban ban) {
  recent_.insert(network, ban.expires);
  bans_.insert(network, std::move(ban));
}

bool BanList::dropBan(const IpPrefix& network) {
  if (!bans_.erase(network)) return false;
  recent_.insert(network, kLifted);
  return true;
}

base::SystemTime BanList::wallAt(base::TimePoint t) const {
  return clock_.wallNow() +
         std::chrono::duration_cast<base::SystemTime::duration>(t - clock_.now());
}

const IpPrefix* BanList::overlapsTrusted(const IpPrefix& network) const {
  for (const IpPrefix& t : trusted_) {
    if (t.covers(network) || network.covers(t)) return &t;
  }
  return nullptr;
}

void BanList::queueChange(db::BanWrite write) {
  if (!trackChanges_) return;
  if (changes_.size() >= kMaxPendingChanges) {
    ++droppedChanges_;
    return;
  }
  changes_.push_back(std::move(write));
}

BanResult BanList::ban(const base::Address& source, std::string_view rule, std::string_view reason,
                       BanOrigin origin, base::TimePoint now, std::optional<seconds> duration) {
  const auto network = IpPrefix::host(source);
  if (!network) return {};
  return ban(*network, rule, reason, origin, now, duration);
}

BanResult BanList::ban(const IpPrefix& network, std::string_view rule, std::string_view reason,
                       BanOrigin origin, base::TimePoint now, std::optional<seconds> duration) {
  BanResult result;
  std::lock_guard lock(mutex_);
  if (const IpPrefix* t = overlapsTrusted(network)) {
    result.outcome = BanResult::Outcome::kTrusted;
    result.trustedNetwork = *t;
    return result;
  }
  const bool escalate = !duration.has_value();
  if (escalate) {
    // Several workers see the same flood: the first ban counts, the rest are no-ops.
    const bool covered = bans_.anyMatch(network.address(), [&](const IpPrefix& p, const Ban& b) {
      return p.covers(network) && b.activeAt(now);
    });
    if (covered) {
      result.outcome = BanResult::Outcome::kAlreadyBanned;
      return result;
    }
  }
  const base::SystemTime wallNow = wallAt(now);
  Ban b;
  b.network = network;
  b.origin = origin;
  b.rule = std::string(rule);
  b.reason = std::string(reason);
  b.created = wallNow;
  std::optional<db::OffenceRecord> offenceRecord;
  if (escalate) {
    Offence& o = offences_[network];
    if (o.count > 0 && wallNow - o.lastEnd > policy_.forgetAfter) o.count = 0;
    ++o.count;
    result.duration = policy_.durationFor(o.count);
    b.offences = o.count;
    b.expires = now + result.duration;
    b.expiresWall = wallNow + result.duration;
    o.lastEnd = *b.expiresWall;
    offenceRecord = db::OffenceRecord{network.toString(), o.count, epochMs(o.lastEnd)};
  } else {
    result.duration = std::max(seconds(0), *duration);
    if (result.duration.count() > 0) {
      b.expires = now + result.duration;
      b.expiresWall = wallNow + result.duration;
    }
  }
  result.outcome = BanResult::Outcome::kBanned;
  result.offences = b.offences;
  queueChange({db::BanWrite::Kind::kUpsert, b.toRecord(), std::move(offenceRecord)});
  putBan(network, std::move(b));
  publish();
  return result;
}

bool BanList::unban(const IpPrefix& network) {
  std::lock_guard lock(mutex_);
  if (!dropBan(network)) return false;
  db::BanWrite w;
  w.kind = db::BanWrite::Kind::kRemove;
  w.ban.network = network.toString();
  queueChange(std::move(w));
  publish();
  return true;
}

size_t BanList::replaceBlocklist(const std::vector<IpPrefix>& networks, std::string_view rule,
                                 base::TimePoint now) {
  std::lock_guard lock(mutex_);
  CidrTrie<uint8_t> wanted;
  for (const IpPrefix& p : networks) wanted.insert(p, 1);
  std::vector<IpPrefix> stale;
  bans_.forEach([&](const IpPrefix& p, const Ban& b) {
    if (b.origin == BanOrigin::kBlocklist && wanted.find(p) == nullptr) stale.push_back(p);
  });
  for (const IpPrefix& p : stale) {
    dropBan(p);
    db::BanWrite w;
    w.kind = db::BanWrite::Kind::kRemove;
    w.ban.network = p.toString();
    queueChange(std::move(w));
  }
  size_t added = 0;
  const base::SystemTime wallNow = wallAt(now);
  wanted.forEach([&](const IpPrefix& p, uint8_t) {
    if (overlapsTrusted(p) != nullptr) return;
    if (const Ban* existing = bans_.find(p); existing != nullptr && existing->activeAt(now)) {
      if (existing->origin == BanOrigin::kBlocklist) ++added;
      return;  // a manual or automatic ban of the same network stays as it is
    }
    Ban b;
    b.network = p;
    b.origin = BanOrigin::kBlocklist;
    b.rule = std::string(rule);
    b.reason = "listed in a blocklist feed";
    b.created = wallNow;
    queueChange({db::BanWrite::Kind::kUpsert, b.toRecord(), std::nullopt});
    putBan(p, std::move(b));
    ++added;
  });
  rebuild();  // a feed is a bulk change: rebuilt once here rather than carried as recent changes
  publish();
  return added;
}

std::vector<Ban> BanList::list(base::TimePoint now) const {
  std::vector<Ban> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(bans_.size());
    bans_.forEach([&](const IpPrefix&, const Ban& b) {
      if (b.activeAt(now)) out.push_back(b);
    });
  }
  std::sort(out.begin(), out.end(), [](const Ban& a, const Ban& b) {
    if (a.network.v4 != b.network.v4) return a.network.v4;
    if (a.network.hi != b.network.hi) return a.network.hi < b.network.hi;
    if (a.network.lo != b.network.lo) return a.network.lo < b.network.lo;
    return a.network.length < b.network.length;
  });
  return out;
}

std::optional<Ban> BanList::find(const IpPrefix& network) const {
  std::lock_guard lock(mutex_);
  if (const Ban* b = bans_.find(network)) return *b;
  return std::nullopt;
}

size_t BanList::size() const {
  std::lock_guard lock(mutex_);
  return bans_.size();
}

size_t BanList::expire(base::TimePoint now) {
  std::lock_guard lock(mutex_);
  std::vector<IpPrefix> ended;
  bans_.forEach([&](const IpPrefix& p, const Ban& b) {
    if (!b.activeAt(now)) ended.push_back(p);
  });
  for (const IpPrefix& p : ended) dropBan(p);
  if (!ended.empty() || !recent_.empty()) {
    fold();  // housekeeping pays for the rebuild, not the writers
    publish();
  }
  const base::SystemTime wallNow = wallAt(now);
  std::erase_if(offences_, [&](const auto& entry) {
    return wallNow - entry.second.lastEnd > policy_.forgetAfter;
  });
  return ended.size();
}

void BanList::setTrusted(std::vector<IpPrefix> networks) {
  std::lock_guard lock(mutex_);
  auto trie = std::make_shared<CidrTrie<uint8_t>>();
  for (const IpPrefix& p : networks) trie->insert(p, 1);
  trustedTrie_ = std::move(trie);
  trusted_ = std::move(networks);
  publish();
}

void BanList::setPolicy(BanPolicy policy) {
  std::lock_guard lock(mutex_);
  policy_ = policy;
}

void BanList::restore(const std::vector<db::BanRecord>& bans,
                      const std::vector<db::OffenceRecord>& offences) {
  const base::TimePoint now = clock_.now();
  const base::SystemTime wallNow = clock_.wallNow();
  std::lock_guard lock(mutex_);
  bans_.clear();
  offences_.clear();
  for (const db::BanRecord& r : bans) {
    const auto network = IpPrefix::parse(r.network);
    if (!network) continue;
    Ban b;
    b.network = *network;
    b.origin = parseOrigin(r.origin).value_or(BanOrigin::kManual);
    b.rule = r.rule;
    b.reason = r.reason;
    b.created = fromEpochMs(r.createdMs);
    b.offences = r.offences;
    if (r.expiresMs) {
      b.expiresWall = fromEpochMs(*r.expiresMs);
      if (*b.expiresWall <= wallNow) continue;  // ended while we were down
      b.expires = now + std::chrono::duration_cast<base::Duration>(*b.expiresWall - wallNow);
    }
    putBan(*network, std::move(b));
  }
  for (const db::OffenceRecord& o : offences) {
    const auto network = IpPrefix::parse(o.network);
    if (!network || o.offences < 1) continue;
    offences_[*network] = Offence{o.offences, fromEpochMs(o.lastMs)};
  }
  rebuild();  // bans_ was replaced wholesale: what recent_ held no longer applies
  publish();
}

void BanList::trackChanges(bool on) {
  std::lock_guard lock(mutex_);
  trackChanges_ = on;
  if (!on) changes_.clear();
}

std::vector<db::BanWrite> BanList::drainChanges() {
  std::vector<db::BanWrite> out;
  std::lock_guard lock(mutex_);
  out.swap(changes_);
  return out;
}

uint64_t BanList::droppedChanges() const {
  std::lock_guard lock(mutex_);
  return droppedChanges_;
}

}  // namespace tg::guard
