#pragma once

// The banned networks, shared by every worker. isBanned() runs for every packet before it is
// parsed, so it reads a read-copy-update snapshot: immutable CIDR tries of ban expiries (and
// the trusted networks) behind an atomic pointer. Writers (ban, unban, restore, ...) change
// their own tables under a mutex, then build a new snapshot and swap it in; a reader never
// takes a lock and never waits. Each thread keeps the snapshot it last used with its
// generation number, so a packet costs one atomic load of the generation and a trie walk (no
// reference counting, no allocation, no formatting); only after a change does a thread fetch
// the new snapshot. All the bookkeeping (escalation, trust, the change log for SQLite) happens
// when a ban is made, which is rare.
//
// A snapshot is two tries: the settled bans (shared between snapshots, rebuilt by a fold) and
// the changes since the last fold (copied into each snapshot). A ban or unban therefore costs a
// copy of the recent changes only, however many networks a blocklist holds, so a flood of new
// attackers cannot make every ban a full copy; the fold runs on housekeeping's expire() and
// whenever the changes pass kMaxRecentChanges.
//
// Escalation (fail2ban's bantime.increment): the n-th automatic ban of a network lasts
// min(duration * factor^(n-1), maxDuration); a network whose last ban ended more than
// forgetAfter ago starts over at n = 1. Trusted networks (guard.trusted, the PBX's and the
// providers' allowed sources) are never banned, and a ban made before a network became trusted
// is ignored by isBanned().
//
// Expiry is checked on the monotonic clock; what is persisted (db::BanRecord) is wall-clock
// epoch ms, converted with the Clock given at construction.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/clock.h"
#include "config/config.h"
#include "db/ban_store.h"
#include "guard/common/cidr_trie.h"

namespace tg::guard {

enum class BanOrigin : uint8_t {
  kAuto,       // a filter's verdict asked for it
  kManual,     // `trunkguard ban add`
  kBlocklist,  // imported from a feed
};
std::string_view originName(BanOrigin origin);  // "auto", "manual", "blocklist"
std::optional<BanOrigin> parseOrigin(std::string_view name);

struct BanPolicy {
  std::chrono::seconds duration{600};
  double factor = 2.0;
  std::chrono::seconds maxDuration{604800};
  std::chrono::seconds forgetAfter{2592000};

  static BanPolicy from(const config::BanSettings& s) {
    return {s.duration, s.factor, s.maxDuration, s.forgetAfter};
  }
  // How long the n-th ban (n >= 1) lasts.
  std::chrono::seconds durationFor(int offences) const;
};

// The networks never banned: guard.trusted, the PBX's and every provider's allowed sources.
std::vector<IpPrefix> trustedNetworks(const config::Config& config);

struct Ban {
  IpPrefix network;
  BanOrigin origin = BanOrigin::kAuto;
  std::string rule;
  std::string reason;
  base::SystemTime created{};
  std::optional<base::SystemTime> expiresWall;  // nullopt: until removed
  base::TimePoint expires = base::TimePoint::max();
  int offences = 1;

  bool permanent() const { return !expiresWall.has_value(); }
  bool activeAt(base::TimePoint now) const { return now < expires; }
  db::BanRecord toRecord() const;
};

struct BanResult {
  enum class Outcome : uint8_t {
    kBanned,         // a new ban (or a manual/blocklist ban replacing the same network's)
    kAlreadyBanned,  // an automatic ban of a source an active ban already covers: nothing done
    kTrusted,        // refused: overlaps a trusted network
    kInvalid,        // not an IP network
  };
  Outcome outcome = Outcome::kInvalid;
  std::chrono::seconds duration{0};  // kBanned: 0 means until removed
  int offences = 0;                  // kBanned: this network's ban count, this one included
  IpPrefix trustedNetwork;           // kTrusted: the trusted network it overlaps

  bool banned() const { return outcome == Outcome::kBanned; }
};

class BanList {
 public:
  explicit BanList(const base::Clock& clock, BanPolicy policy = {});

  // --- the message path: no lock, no allocation ---
  bool isBanned(const base::Address& source, base::TimePoint now) const;
  bool isTrusted(const base::Address& source) const;

  // --- making and lifting bans (any thread) ---
  // An automatic ban escalates with the network's offences. `duration` overrides it (manual
  // bans, imports): 0 means until removed. Rule and reason are copied.
  BanResult ban(const IpPrefix& network, std::string_view rule, std::string_view reason,
                BanOrigin origin, base::TimePoint now,
                std::optional<std::chrono::seconds> duration = std::nullopt);
  BanResult ban(const base::Address& source, std::string_view rule, std::string_view reason,
                BanOrigin origin, base::TimePoint now,
                std::optional<std::chrono::seconds> duration = std::nullopt);
  // Lifts the ban of exactly this network. The offence count stays (escalation).
  bool unban(const IpPrefix& network);
  // Replaces every blocklist ban with these networks (a fresh feed), skipping trusted ones.
  // Returns how many were banned.
  size_t replaceBlocklist(const std::vector<IpPrefix>& networks, std::string_view rule,
                          base::TimePoint now);

  // Active bans, sorted by network text.
  std::vector<Ban> list(base::TimePoint now) const;
  std::optional<Ban> find(const IpPrefix& network) const;
  size_t size() const;

  // Drops bans that ended and offence counts older than forgetAfter; returns the bans dropped.
  // Called about once a second from housekeeping (not needed for correctness: isBanned
  // ignores ended bans).
  size_t expire(base::TimePoint now);

  // Trust: replaces the trusted networks (on start and on every config reload).
  void setTrusted(std::vector<IpPrefix> networks);
  void setPolicy(BanPolicy policy);

  // --- persistence ---
  // Replaces every ban and offence count with what the store holds (start-up, and after the
  // CLI changed the table). Records already ended or unparsable are skipped.
  void restore(const std::vector<db::BanRecord>& bans,
               const std::vector<db::OffenceRecord>& offences);
  // When on, every ban and unban is also queued for drainChanges() (bounded: beyond
  // kMaxPendingChanges the oldest are kept and the rest counted in droppedChanges()).
  void trackChanges(bool on);
  std::vector<db::BanWrite> drainChanges();
  uint64_t droppedChanges() const;
  // Bumped by every change: lets a reader see cheaply that something changed. Also the
  // generation of the published snapshot.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  static constexpr size_t kMaxPendingChanges = 100000;
  static constexpr size_t kMaxRecentChanges = 4096;

 private:
  struct Offence {
    int count = 0;
    base::SystemTime lastEnd{};  // when the latest ban ends (wall clock)
  };
  struct PrefixHash {
    size_t operator()(const IpPrefix& p) const {
      return std::hash<uint64_t>()(p.hi * 31 + p.lo) ^ (size_t{p.length} << 1) ^ p.v4;
    }
  };

  // What the message path reads: immutable once published. A network in `recent` overrides
  // its entry in `settled` (kLifted: unbanned since the fold).
  struct Snapshot {
    std::shared_ptr<const CidrTrie<base::TimePoint>> settled;  // bans' monotonic ends
    CidrTrie<base::TimePoint> recent;
    std::shared_ptr<const CidrTrie<uint8_t>> trusted;
  };
  static constexpr base::TimePoint kLifted = base::TimePoint::min();

  base::SystemTime wallAt(base::TimePoint t) const;
  const IpPrefix* overlapsTrusted(const IpPrefix& network) const;  // caller holds the lock
  void queueChange(db::BanWrite write);                            // caller holds the lock
  // bans_ and recent_ move together. Caller holds the lock.
  void putBan(const IpPrefix& network, Ban ban);
  bool dropBan(const IpPrefix& network);
  // Applies recent_ to a copy of settled_ and empties recent_. Caller holds the lock.
  void fold();
  // Builds settled_ afresh from bans_ and empties recent_ (after a wholesale change). Caller
  // holds the lock.
  void rebuild();
  // Swaps in a snapshot (folding first when recent_ grew past its bound) and bumps version_.
  // Caller holds the lock.
  void publish();
  // The snapshot this thread should read: its cached one while the generation is unchanged.
  const Snapshot& current() const;

  const uint64_t id_;  // tells apart the BanLists a thread's cache may have seen
  const base::Clock& clock_;
  mutable std::mutex mutex_;  // writers only
  BanPolicy policy_;
  CidrTrie<Ban> bans_;
  std::shared_ptr<const CidrTrie<base::TimePoint>> settled_;
  CidrTrie<base::TimePoint> recent_;
  std::shared_ptr<const CidrTrie<uint8_t>> trustedTrie_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::vector<IpPrefix> trusted_;
  std::unordered_map<IpPrefix, Offence, PrefixHash> offences_;
  bool trackChanges_ = false;
  std::vector<db::BanWrite> changes_;
  uint64_t droppedChanges_ = 0;
  std::atomic<uint64_t> version_{0};
};

}  // namespace tg::guard
