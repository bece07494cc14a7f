#include "db/cdr_store.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <variant>

#include "db/batch_writer.h"
#include "db/database.h"

namespace tg::db {
namespace {

// A batch is committed this long after its first write was queued, or as soon as kBatchSize
// writes wait, whichever comes first: one fsync per batch instead of one per write.
constexpr auto kBatchWindow = std::chrono::milliseconds(50);
constexpr size_t kBatchSize = 256;

// Which B leg the call is on: set when B's INVITE goes out (again, after a failover) and
// when B answers with its tag.
struct LegWrite {
  std::string callUuid;
  std::string provider;
  std::string bCallId;
  std::string bFromTag;
  std::string bToTag;
  std::string bTransport;  // "" keeps what is there
};

struct AnswerWrite {
  std::string callUuid;
  base::SystemTime when;
};

struct EndWrite {
  std::string callUuid;
  base::SystemTime when;
  std::string disposition;
  int sipCode;
  std::string endReason;
  int64_t durationMs;
  double cost;
  CdrMedia media;
};

using Write = std::variant<CdrRecord, AnswerWrite, EndWrite, LegWrite>;

// An existing call_uuid keeps its first row: a duplicate start must not wipe an answer or end.
constexpr std::string_view kInsertSql = R"sql(
INSERT INTO cdrs(call_uuid, direction, a_call_id, a_from_tag, a_to_tag, b_call_id, b_from_tag,
                 b_to_tag, provider, from_uri, to_uri, source_address, start_time, start_ms,
                 answer_time, answer_ms, end_time, end_ms, disposition, sip_code, end_reason,
                 duration_ms, account, dialled_e164, destination_class, policy_rule, cost,
                 a_transport, verstat, attestation)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)
ON CONFLICT(call_uuid) DO NOTHING)sql";

// An answer reported after the end (should not happen) keeps the end's disposition and code.
constexpr std::string_view kAnswerSql = R"sql(
UPDATE cdrs SET answer_time = ?2, answer_ms = ?3,
                disposition = CASE WHEN end_ms IS NULL THEN 'answered' ELSE disposition END,
                sip_code = CASE WHEN end_ms IS NULL THEN 200 ELSE sip_code END
WHERE call_uuid = ?1)sql";

constexpr std::string_view kLegSql = R"sql(
UPDATE cdrs SET provider = ?2, b_call_id = ?3, b_from_tag = ?4, b_to_tag = ?5,
                b_transport = CASE WHEN ?6 = '' THEN b_transport ELSE ?6 END
WHERE call_uuid = ?1)sql";

constexpr std::string_view kEndSql = R"sql(
UPDATE cdrs SET end_time = ?2, end_ms = ?3, disposition = ?4, sip_code = ?5, end_reason = ?6,
                duration_ms = ?7, cost = ?8, media_packets_a_to_b = ?9, media_packets_b_to_a = ?10,
                media_bytes_a_to_b = ?11, media_bytes_b_to_a = ?12, media_foreign_dropped = ?13,
                media_unauthenticated_dropped = ?14, srtp_a = ?15, srtp_b = ?16,
                media_over_rate_dropped = ?17, media_payload_type_dropped = ?18
WHERE call_uuid = ?1)sql";

// The columns readRow() reads, in its order.
#define TG_CDR_COLUMNS                                                                         \
  "SELECT call_uuid, direction, a_call_id, a_from_tag, a_to_tag, b_call_id, b_from_tag, "      \
  "b_to_tag, provider, from_uri, to_uri, source_address, start_ms, answer_ms, end_ms, "        \
  "disposition, sip_code, end_reason, duration_ms, account, dialled_e164, destination_class, " \
  "policy_rule, cost, a_transport, b_transport, media_packets_a_to_b, media_packets_b_to_a, "  \
  "media_bytes_a_to_b, media_bytes_b_to_a, media_foreign_dropped, "                            \
  "media_unauthenticated_dropped, srtp_a, srtp_b, media_over_rate_dropped, "                   \
  "media_payload_type_dropped, verstat, attestation FROM cdrs "

constexpr std::string_view kRecentSql = TG_CDR_COLUMNS "ORDER BY start_ms DESC, id DESC LIMIT ?1";
// The calls that ended since ?1 with a cost, oldest end first.
constexpr std::string_view kCostedSinceSql =
    TG_CDR_COLUMNS "WHERE end_ms >= ?1 AND cost > 0 ORDER BY end_ms, id";
#undef TG_CDR_COLUMNS

void bindTime(Statement& s, int textIndex, int msIndex, const std::optional<base::SystemTime>& t) {
  if (t) {
    s.bind(textIndex, formatUtcMillis(*t)).bind(msIndex, toEpochMillis(*t));
  } else {
    s.bindNull(textIndex).bindNull(msIndex);
  }
}

std::optional<base::SystemTime> optionalTime(const Statement& s, int index) {
  if (s.columnIsNull(index)) return std::nullopt;
  return fromEpochMillis(s.columnInt64(index));
}

CdrRecord readRow(const Statement& s) {
  CdrRecord r;
  r.callUuid = s.columnText(0);
  r.direction = s.columnText(1);
  r.aCallId = s.columnText(2);
  r.aFromTag = s.columnText(3);
  r.aToTag = s.columnText(4);
  r.bCallId = s.columnText(5);
  r.bFromTag = s.columnText(6);
  r.bToTag = s.columnText(7);
  r.provider = s.columnText(8);
  r.fromUri = s.columnText(9);
  r.toUri = s.columnText(10);
  r.sourceAddress = s.columnText(11);
  r.startTime = fromEpochMillis(s.columnInt64(12));
  r.answerTime = optionalTime(s, 13);
  r.endTime = optionalTime(s, 14);
  r.disposition = s.columnText(15);
  r.sipCode = s.columnInt(16);
  r.endReason = s.columnText(17);
  r.durationMs = s.columnInt64(18);
  r.account = s.columnText(19);
  r.dialledE164 = s.columnText(20);
  r.destinationClass = s.columnText(21);
  r.policyRule = s.columnText(22);
  r.cost = s.columnDouble(23);
  r.aTransport = s.columnText(24);
  r.bTransport = s.columnText(25);
  r.media.packetsAtoB = s.columnInt64(26);
  r.media.packetsBtoA = s.columnInt64(27);
  r.media.bytesAtoB = s.columnInt64(28);
  r.media.bytesBtoA = s.columnInt64(29);
  r.media.foreignDropped = s.columnInt64(30);
  r.media.unauthenticatedDropped = s.columnInt64(31);
  r.media.srtpA = s.columnText(32);
  r.media.srtpB = s.columnText(33);
  r.media.overRateDropped = s.columnInt64(34);
  r.media.payloadTypeDropped = s.columnInt64(35);
  r.verstat = s.columnText(36);
  r.attestation = s.columnText(37);
  return r;
}

// A row count for LIMIT ?1 (SQLite's integers are signed).
int64_t sqlLimit(size_t limit) {
  constexpr size_t kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(limit, kMax));
}

// Runs a query of readRow's columns on s (already prepared) with ?1 bound to `param`; "" or
// SQLite's message.
std::string readRows(Statement& s, int64_t param, std::vector<CdrRecord>& out) {
  s.reset();
  s.bind(1, param);
  std::string error;
  for (;;) {
    const Statement::Step step = s.step();
    if (step == Statement::Step::kRow) {
      out.push_back(readRow(s));
      continue;
    }
    if (step == Statement::Step::kError) error = s.errorMessage();
    break;
  }
  s.reset();  // ends the read transaction so checkpoints are not held back
  return error;
}

bool hasCdrTable(Database& db) {
  Statement s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cdrs'");
  return s.step() == Statement::Step::kRow;
}

}  // namespace

class CdrStore::Impl {
 public:
  Impl(const std::string& path, size_t maxPending)
      : writeDb_(path),
        insert_(writeDb_.prepare(kInsertSql)),
        answer_(writeDb_.prepare(kAnswerSql)),
        end_(writeDb_.prepare(kEndSql)),
        leg_(writeDb_.prepare(kLegSql)),
        // Its own connection: WAL lets recent() read while the writer commits.
        readDb_(path, DatabaseOptions{.access = Access::kReadOnly}),
        recent_(readDb_.prepare(kRecentSql)),
        costedSince_(readDb_.prepare(kCostedSinceSql)),
        writer_({.threadName = "tg-cdr-writer",
                 .maxPending = maxPending,
                 .batchWindow = kBatchWindow,
                 .batchSize = kBatchSize},
                [this](const std::vector<Write>& batch) { return commit(batch); }) {}

  void enqueue(Write&& w) { writer_.enqueue(std::move(w)); }
  void flush() { writer_.flush(); }

  std::vector<CdrRecord> recent(size_t limit) {
    if (limit == 0) return {};
    std::vector<CdrRecord> out;
    out.reserve(std::min<size_t>(limit, 1024));
    read(recent_, sqlLimit(limit), out);
    return out;
  }

  std::vector<CdrRecord> costedSince(base::SystemTime since) {
    std::vector<CdrRecord> out;
    read(costedSince_, toEpochMillis(since), out);
    return out;
  }

  uint64_t droppedWrites() const { return writer_.dropped(); }
  uint64_t failedWrites() const { return writer_.failed(); }
  std::string lastError() const { return writer_.lastError(); }

 private:
  // One transaction for the whole batch, in queue order, so an end queued right behind its
  // start lands after it. Any failure loses the batch: the statements cannot fail on their own
  // data (no constraint can trip), so a failure means the disk or the file, not one record.
  std::string commit(const std::vector<Write>& batch) {
    Transaction tx(writeDb_);
    std::string error = tx.ok() ? "" : "begin: " + tx.error();
    for (size_t i = 0; error.empty() && i < batch.size(); ++i) {
      error = std::visit([this](const auto& w) { return apply(w); }, batch[i]);
    }
    if (error.empty()) {
      if (std::string e = tx.commit(); !e.empty()) error = "commit: " + e;
    }
    return error.empty() ? error : writeDb_.path() + ": " + error;
  }

  static std::string stepOnce(Statement& s) {
    std::string error;
    if (s.step() == Statement::Step::kError) error = s.errorMessage();
    s.reset();
    return error;
  }

  std::string apply(const CdrRecord& r) {
    Statement& s = insert_;
    s.bind(1, r.callUuid).bind(2, r.direction).bind(3, r.aCallId).bind(4, r.aFromTag);
    s.bind(5, r.aToTag).bind(6, r.bCallId).bind(7, r.bFromTag).bind(8, r.bToTag);
    s.bind(9, r.provider).bind(10, r.fromUri).bind(11, r.toUri).bind(12, r.sourceAddress);
    bindTime(s, 13, 14, r.startTime);
    bindTime(s, 15, 16, r.answerTime);
    bindTime(s, 17, 18, r.endTime);
    s.bind(19, r.disposition.empty() ? std::string_view("in-progress") : r.disposition);
    s.bind(20, r.sipCode).bind(21, r.endReason).bind(22, r.durationMs);
    s.bind(23, r.account).bind(24, r.dialledE164).bind(25, r.destinationClass);
    s.bind(26, r.policyRule).bind(27, r.cost).bind(28, r.aTransport);
    s.bind(29, r.verstat).bind(30, r.attestation);
    return stepOnce(s);
  }

  std::string apply(const AnswerWrite& w) {
    answer_.bind(1, w.callUuid);
    bindTime(answer_, 2, 3, w.when);
    return stepOnce(answer_);
  }

  std::string apply(const EndWrite& w) {
    end_.bind(1, w.callUuid);
    bindTime(end_, 2, 3, w.when);
    end_.bind(4, w.disposition).bind(5, w.sipCode).bind(6, w.endReason).bind(7, w.durationMs);
    end_.bind(8, w.cost);
    end_.bind(9, w.media.packetsAtoB).bind(10, w.media.packetsBtoA);
    end_.bind(11, w.media.bytesAtoB).bind(12, w.media.bytesBtoA);
    end_.bind(13, w.media.foreignDropped).bind(14, w.media.unauthenticatedDropped);
    end_.bind(15, w.media.srtpA).bind(16, w.media.srtpB).bind(17, w.media.overRateDropped);
    end_.bind(18, w.media.payloadTypeDropped);
    return stepOnce(end_);
  }

  std::string apply(const LegWrite& w) {
    leg_.bind(1, w.callUuid).bind(2, w.provider).bind(3, w.bCallId).bind(4, w.bFromTag);
    leg_.bind(5, w.bToTag).bind(6, w.bTransport);
    return stepOnce(leg_);
  }

  // Used by the writer thread only (and by the constructor before it starts).
  Database writeDb_;
  Statement insert_;
  Statement answer_;
  Statement end_;
  Statement leg_;

  // Flushes first, so that what was recorded before the call is read.
  void read(Statement& query, int64_t param, std::vector<CdrRecord>& out) {
    flush();
    std::string error;
    {
      std::lock_guard lock(readMutex_);
      error = readRows(query, param, out);
    }
    if (!error.empty()) writer_.noteError(writeDb_.path() + ": read: " + error);
  }

  std::mutex readMutex_;  // guards readDb_ and the read statements
  Database readDb_;
  Statement recent_;
  Statement costedSince_;

  // Last: its thread starts once the statements exist, and it is destroyed (draining the queue)
  // before they are.
  BatchWriter<Write> writer_;
};

CdrStore::CdrStore(const std::string& path, size_t maxPendingWrites)
    : impl_(std::make_unique<Impl>(path, maxPendingWrites)) {}

CdrStore::~CdrStore() = default;

void CdrStore::recordStart(const CdrRecord& r) { impl_->enqueue(Write(std::in_place_index<0>, r)); }

void CdrStore::recordAnswer(const std::string& callUuid, base::SystemTime when) {
  impl_->enqueue(AnswerWrite{callUuid, when});
}

void CdrStore::recordLeg(const std::string& callUuid, const std::string& provider,
                         const std::string& bCallId, const std::string& bFromTag,
                         const std::string& bToTag, const std::string& bTransport) {
  impl_->enqueue(LegWrite{callUuid, provider, bCallId, bFromTag, bToTag, bTransport});
}

void CdrStore::recordEnd(const std::string& callUuid, base::SystemTime when,
                         const std::string& disposition, int sipCode, const std::string& endReason,
                         int64_t durationMs, double cost, const CdrMedia& media) {
  impl_->enqueue(
      EndWrite{callUuid, when, disposition, sipCode, endReason, durationMs, cost, media});
}

void CdrStore::flush() { impl_->flush(); }

std::vector<CdrRecord> CdrStore::recent(size_t limit) { return impl_->recent(limit); }
std::vector<CdrRecord> CdrStore::costedSince(base::SystemTime since) {
  return impl_->costedSince(since);
}

uint64_t CdrStore::droppedWrites() const { return impl_->droppedWrites(); }

uint64_t CdrStore::failedWrites() const { return impl_->failedWrites(); }

std::string CdrStore::lastError() const { return impl_->lastError(); }

std::vector<CdrRecord> readRecentCdrs(const std::string& path, size_t limit) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  if (!hasCdrTable(db)) {
    throw std::runtime_error(path + ": no cdrs table (not a trunkguard database?)");
  }
  if (limit == 0) return {};
  Statement s = db.prepare(kRecentSql);
  std::vector<CdrRecord> out;
  if (std::string error = readRows(s, sqlLimit(limit), out); !error.empty()) {
    throw std::runtime_error(path + ": read cdrs: " + error);
  }
  return out;
}

}  // namespace tg::db
