#include "app/cdr_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "app/database_option.h"
#include "db/cdr_store.h"
#include "db/database.h"

namespace tg::app {
namespace {

constexpr size_t kColumns = 9;
using Row = std::array<std::string, kColumns>;

// CDR text comes from the network (URIs, tags): control bytes would reach the operator's
// terminal as escape sequences, so they are shown as \xNN.
std::string printable(std::string_view s) {
  if (s.empty()) return "-";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string duration(const db::CdrRecord& r) {
  if (!r.endTime) return "-";  // still in progress (or the gateway stopped mid-call)
  const int64_t ms = std::max<int64_t>(r.durationMs, 0);
  return fmt::format("{}.{:03}s", ms / 1000, ms % 1000);
}

Row tableRow(const db::CdrRecord& r) {
  return {db::formatUtcMillis(r.startTime),
          printable(r.direction),
          printable(r.provider),
          printable(r.fromUri),
          printable(r.toUri),
          printable(r.disposition),
          r.sipCode > 0 ? std::to_string(r.sipCode) : "-",
          duration(r),
          printable(r.callUuid)};
}

void printTable(const std::vector<db::CdrRecord>& cdrs, std::ostream& out) {
  std::vector<Row> rows;
  rows.reserve(cdrs.size() + 1);
  rows.push_back({"START (UTC)", "DIRECTION", "PROVIDER", "FROM", "TO", "DISPOSITION", "CODE",
                  "DURATION", "CALL UUID"});
  for (const db::CdrRecord& r : cdrs) rows.push_back(tableRow(r));
  std::array<size_t, kColumns> width{};
  for (const Row& row : rows) {
    for (size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const Row& row : rows) {
    std::string line;
    for (size_t c = 0; c < kColumns; ++c) {
      line += row[c];
      if (c + 1 < kColumns) line.append(width[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

// ordered_json: keys in a fixed reading order (who, where, when, outcome), not alphabetical.
using Json = nlohmann::ordered_json;

Json optionalTime(const std::optional<base::SystemTime>& t) {
  return t ? Json(db::formatUtcMillis(*t)) : Json(nullptr);
}

void printJson(const std::vector<db::CdrRecord>& cdrs, std::ostream& out) {
  Json array = Json::array();
  for (const db::CdrRecord& r : cdrs) array.push_back(cdrJson(r));
  // Network text need not be UTF-8: replace bad bytes rather than throw.
  out << array.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace

nlohmann::ordered_json cdrJson(const db::CdrRecord& r) {
  return {{"call_uuid", r.callUuid},
          {"direction", r.direction},
          {"provider", r.provider},
          {"from_uri", r.fromUri},
          {"to_uri", r.toUri},
          {"source_address", r.sourceAddress},
          {"a_call_id", r.aCallId},
          {"a_from_tag", r.aFromTag},
          {"a_to_tag", r.aToTag},
          {"b_call_id", r.bCallId},
          {"b_from_tag", r.bFromTag},
          {"b_to_tag", r.bToTag},
          {"a_transport", r.aTransport},
          {"b_transport", r.bTransport},
          {"start_time", db::formatUtcMillis(r.startTime)},
          {"answer_time", optionalTime(r.answerTime)},
          {"end_time", optionalTime(r.endTime)},
          {"disposition", r.disposition},
          {"sip_code", r.sipCode},
          {"end_reason", r.endReason},
          {"duration_ms", r.durationMs},
          {"account", r.account},
          {"dialled_e164", r.dialledE164},
          {"destination_class", r.destinationClass},
          {"policy_rule", r.policyRule},
          {"cost", r.cost},
          {"verstat", r.verstat},
          {"attestation", r.attestation},
          {"media",
           {{"packets_a_to_b", r.media.packetsAtoB},
            {"packets_b_to_a", r.media.packetsBtoA},
            {"bytes_a_to_b", r.media.bytesAtoB},
            {"bytes_b_to_a", r.media.bytesBtoA},
            {"foreign_dropped", r.media.foreignDropped},
            {"unauthenticated_dropped", r.media.unauthenticatedDropped},
            {"over_rate_dropped", r.media.overRateDropped},
            {"payload_type_dropped", r.media.payloadTypeDropped},
            {"srtp_a", r.media.srtpA},
            {"srtp_b", r.media.srtpB}}}};
}

int runCdrList(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
               std::ostream& err) {
  if (!existingDatabase(dbPath, "cdr list", err)) return 2;
  std::vector<db::CdrRecord> cdrs;
  try {
    cdrs = db::readRecentCdrs(dbPath, limit);
  } catch (const std::exception& e) {
    err << "cdr list: " << e.what() << "\n";
    return 2;
  }
  if (json) {
    printJson(cdrs, out);
  } else if (cdrs.empty()) {
    out << "no calls recorded in " << dbPath << "\n";
  } else {
    printTable(cdrs, out);
  }
  return 0;
}

}  // namespace tg::app
