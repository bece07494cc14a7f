#include "db/cdr_history.h"

#include <stdexcept>

#include "db/database.h"

namespace tg::db {
namespace {

// Uses cdrs_start_ms. 'rejected' rows are calls the gateway refused.
constexpr std::string_view kOutboundSinceSql = R"sql(
SELECT account, dialled_e164, destination_class, start_ms, end_ms, end_reason FROM cdrs
WHERE start_ms >= ?1 AND direction = 'outbound' AND account != '' AND disposition != 'rejected'
ORDER BY start_ms, id)sql";

constexpr std::string_view kInboundIdentitySql = R"sql(
SELECT verstat, attestation, COUNT(*) FROM cdrs
WHERE start_ms >= ?1 AND direction = 'inbound' AND provider = ?2
GROUP BY verstat, attestation ORDER BY verstat, attestation)sql";

constexpr std::string_view kUnansweredInboundSinceSql = R"sql(
SELECT from_uri, start_ms, end_ms FROM cdrs
WHERE start_ms >= ?1 AND direction = 'inbound' AND answer_ms IS NULL AND end_ms IS NOT NULL
  AND disposition != 'rejected'
ORDER BY start_ms, id)sql";

// Steps `s` to its end, handing each row to `row`; returns the rows.
template <typename Row>
size_t eachRow(const std::string& path, Statement& s, Row&& row) {
  size_t n = 0;
  for (;;) {
    const Statement::Step step = s.step();
    if (step == Statement::Step::kDone) return n;
    if (step != Statement::Step::kRow) {
      throw std::runtime_error(path + ": read cdrs: " + s.errorMessage());
    }
    row();
    ++n;
  }
}

}  // namespace

size_t forEachOutboundCallSince(const std::string& path, base::SystemTime since,
                                const std::function<void(const PastCall&)>& each) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  Statement s = db.prepare(kOutboundSinceSql);
  s.bind(1, toEpochMillis(since));
  PastCall call;
  return eachRow(path, s, [&] {
    call.account = s.columnText(0);
    call.dialledE164 = s.columnText(1);
    call.destinationClass = s.columnText(2);
    call.start = fromEpochMillis(s.columnInt64(3));
    call.end = s.columnIsNull(4) ? std::nullopt : std::optional(fromEpochMillis(s.columnInt64(4)));
    call.endedByGateway = s.columnText(5).starts_with("ended-by-gateway");
    each(call);
  });
}

size_t forEachUnansweredInboundCallSince(const std::string& path, base::SystemTime since,
                                         const std::function<void(const PastRing&)>& each) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  Statement s = db.prepare(kUnansweredInboundSinceSql);
  s.bind(1, toEpochMillis(since));
  PastRing ring;
  return eachRow(path, s, [&] {
    ring.fromUri = s.columnText(0);
    ring.start = fromEpochMillis(s.columnInt64(1));
    ring.end = fromEpochMillis(s.columnInt64(2));
    each(ring);
  });
}

std::vector<IdentityCount> countInboundIdentitySince(const std::string& path,
                                                     const std::string& provider,
                                                     base::SystemTime since) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  Statement s = db.prepare(kInboundIdentitySql);
  s.bind(1, toEpochMillis(since)).bind(2, provider);
  std::vector<IdentityCount> counts;
  eachRow(path, s, [&] { counts.push_back({s.columnText(0), s.columnText(1), s.columnInt64(2)}); });
  return counts;
}

}  // namespace tg::db
