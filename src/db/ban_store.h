#pragma once

// Bans and the offence counts behind their escalation, in the `bans` and `ban_offences` tables
// (migration 2). The gateway restores the unexpired bans at start-up and writes its changes
// back; the `trunkguard ban` CLI edits the same tables and bumps ban_edits, and the gateway
// notices through changedSinceLastCheck().
//
// Threads: every method runs synchronously on the caller's thread and may wait for the disk
// (and for another process's write lock, up to busy_timeout). The gateway must therefore call
// it from a housekeeping thread, never from a SIP worker: workers only touch guard::BanList,
// whose drainChanges() hands the pending writes to that thread (guard::BanSync does both, on
// app::GuardServices' thread).
// One BanStore is used by one thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"

namespace tg::db {

struct BanRecord {
  std::string network;  // normalized CIDR, "192.0.2.7/32"
  std::string origin;   // "auto" | "manual" | "blocklist"
  std::string rule;     // the rule that fired, "scanner.user_agent", "manual", ...
  std::string reason;
  int64_t createdMs = 0;             // wall clock, ms since the Unix epoch
  std::optional<int64_t> expiresMs;  // nullopt: until removed
  int offences = 1;
};

// How often a network has been banned; kept after its ban ends so repeat offenders get longer
// bans across restarts. lastMs is when the latest ban ends (epoch ms).
struct OffenceRecord {
  std::string network;
  int offences = 0;
  int64_t lastMs = 0;
};

struct BanWrite {
  enum class Kind : uint8_t { kUpsert, kRemove };
  Kind kind = Kind::kUpsert;
  BanRecord ban;                         // kRemove: only ban.network is used
  std::optional<OffenceRecord> offence;  // written alongside an upsert when set
};

class BanStore {
 public:
  // Opens (creating and migrating) the database at path. Throws std::runtime_error with the
  // path and SQLite's message: start-up only.
  explicit BanStore(const std::string& path);
  ~BanStore();
  BanStore(const BanStore&) = delete;
  BanStore& operator=(const BanStore&) = delete;

  // Bans not expired at nowMs (permanent ones included), oldest first. On a read error returns
  // what it read and sets lastError().
  std::vector<BanRecord> loadActive(int64_t nowMs);
  std::vector<OffenceRecord> loadOffences();
  // The ban stored for exactly this network, expired or not.
  std::optional<BanRecord> find(const std::string& network);

  // Each returns "" or SQLite's message (also kept in lastError()).
  std::string upsert(const BanRecord& ban);
  std::string upsertOffence(const OffenceRecord& offence);
  // Removes the ban of exactly this network; *removed says whether one was there.
  std::string remove(const std::string& network, bool* removed = nullptr);
  // All of them in one transaction: one fsync for a burst of bans.
  std::string apply(const std::vector<BanWrite>& writes);
  // Deletes bans that ended before nowMs and offence counts whose last ban ended before
  // forgetBeforeMs. Returns "" or SQLite's message; *bansPruned counts the bans deleted.
  std::string prune(int64_t nowMs, int64_t forgetBeforeMs, int64_t* bansPruned = nullptr);

  // Records that the bans were edited from outside the gateway (the CLI calls it after each
  // change): bumps ban_edits.edits. Returns "" or SQLite's message.
  std::string noteEdited();
  // Whether the bans were edited (noteEdited, by any connection) since the previous call; the
  // first call only takes the baseline and returns false. The gateway's own writes and the
  // other tables' writes (events, CDRs) do not count. Cheap: one single-row read.
  bool changedSinceLastCheck();

  std::string lastError() const { return lastError_; }

 private:
  std::string note(std::string error);

  Database db_;
  Statement upsert_;
  Statement upsertOffence_;
  Statement remove_;
  Statement editsRead_;
  Statement editsBump_;
  Statement selectActive_;
  Statement selectOffences_;
  Statement find_;
  Statement pruneBans_;
  Statement pruneOffences_;
  std::optional<int64_t> lastEdits_;
  std::string lastError_;
};

}  // namespace tg::db
