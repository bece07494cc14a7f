#pragma once

// Call detail records in SQLite (WAL). Writes are queued and committed in batches by a
// background thread so the message path never waits on the disk; a row is inserted when a
// call starts and updated on answer and end, so a crash leaves the started calls visible.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace tg::db {

// What the media relay saw of a call (zeros and "" when its media was not relayed).
struct CdrMedia {
  int64_t packetsAtoB = 0;  // relayed from leg A's peer to leg B's
  int64_t packetsBtoA = 0;
  int64_t bytesAtoB = 0;
  int64_t bytesBtoA = 0;
  int64_t foreignDropped = 0;          // from sources other than the latched peers
  int64_t unauthenticatedDropped = 0;  // SRTP that failed authentication or was replayed
  int64_t overRateDropped = 0;         // above the packet-rate or bitrate ceiling
  int64_t payloadTypeDropped = 0;      // RTP with a payload type the SDP did not list
  std::string srtpA;                   // leg A's SRTP suite, "" for plain RTP
  std::string srtpB;
};

struct CdrRecord {
  std::string callUuid;   // the gateway's correlation id for the call
  std::string direction;  // "outbound" (PBX to trunk) or "inbound" (trunk to PBX)
  std::string aCallId;    // leg A: where the INVITE came from
  std::string aFromTag;
  std::string aToTag;
  std::string bCallId;  // leg B: the one trunkguard created
  std::string bFromTag;
  std::string bToTag;
  std::string aTransport;     // how leg A reached us: "udp", "tcp", "tls" (tls = encrypted)
  std::string bTransport;     // the B leg in use (set by recordLeg)
  std::string provider;       // provider name (outbound: chosen; inbound: source)
  std::string fromUri;        // caller as received
  std::string toUri;          // callee as received
  std::string sourceAddress;  // where leg A came from, "ip:port"
  base::SystemTime startTime{};
  std::optional<base::SystemTime> answerTime;
  std::optional<base::SystemTime> endTime;
  std::string disposition;  // "in-progress", "answered", "busy", "no-answer", "cancelled",
                            // "failed", "rejected", "declined"
  int sipCode = 0;          // final response code of the INVITE (200 when answered)
  std::string endReason;    // "bye-from-a", "bye-from-b", "ended-by-gateway: <why>", ...
  int64_t durationMs = 0;   // answer to end; 0 when never answered
  // The call policy's view (empty / 0 when no policy engine runs).
  std::string account;           // the user the call was admitted for (call code owner, ...)
  std::string dialledE164;       // the dialled number normalised to E.164
  std::string destinationClass;  // "national", "international", "premium", "emergency", ...
  std::string policyRule;        // the rule that decided (allowed or rejected)
  double cost = 0;               // the call's price from the rate table, set at the end
  // STIR/SHAKEN verification of an inbound call ("" when none ran): identity/verification.h.
  std::string verstat;      // "TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"
  std::string attestation;  // "A", "B", "C" or ""
  CdrMedia media;           // set at the end
};

class CdrStore {
 public:
  // Writes waiting for the disk (queued plus the batch being committed) beyond which new writes
  // are dropped and counted: a stalled disk costs records, never unbounded memory.
  static constexpr size_t kDefaultMaxPendingWrites = 100000;

  // Opens (creating or migrating) the database. Throws std::runtime_error with the path and
  // SQLite's message on failure: start-up only.
  explicit CdrStore(const std::string& path, size_t maxPendingWrites = kDefaultMaxPendingWrites);
  ~CdrStore();  // flushes
  CdrStore(const CdrStore&) = delete;
  CdrStore& operator=(const CdrStore&) = delete;

  void recordStart(const CdrRecord& r);
  void recordAnswer(const std::string& callUuid, base::SystemTime when);
  // The B leg in use (again after a failover, and with its To tag once answered).
  void recordLeg(const std::string& callUuid, const std::string& provider,
                 const std::string& bCallId, const std::string& bFromTag, const std::string& bToTag,
                 const std::string& bTransport = {});
  void recordEnd(const std::string& callUuid, base::SystemTime when, const std::string& disposition,
                 int sipCode, const std::string& endReason, int64_t durationMs, double cost = 0,
                 const CdrMedia& media = {});

  // Blocks until every write queued before the call is committed (or, if SQLite failed its
  // batch, counted in failedWrites()).
  void flush();

  // Most recent first (by start time). Flushes first, then reads the database on its own
  // connection; on a read error returns what it read and sets lastError().
  std::vector<CdrRecord> recent(size_t limit);
  // The calls that ended at or after `since` and cost something, oldest end first: what the
  // call policy's spend caps counted, to count again after a restart. Flushes first.
  std::vector<CdrRecord> costedSince(base::SystemTime since);

  // For the caller to log or export; this class logs nothing. Never reset.
  uint64_t droppedWrites() const;  // refused because maxPendingWrites were waiting
  uint64_t failedWrites() const;   // lost because SQLite failed their batch (disk full, I/O...)
  std::string lastError() const;   // SQLite's message for the latest failure, "" if none

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The most recent CDRs of the database at path, opened read-only: it is never created or
// migrated, so a CLI can read while the gateway writes. Throws std::runtime_error
// ("<path>: <what>: <message>") when the file cannot be opened or holds no cdrs table.
std::vector<CdrRecord> readRecentCdrs(const std::string& path, size_t limit);

}  // namespace tg::db
