#include "app/events_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "app/database_option.h"
#include "db/database.h"
#include "db/event_store.h"

namespace tg::app {
namespace {

// Events carry text from the network: control bytes are shown, never sent to the terminal.
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

void printTable(const std::vector<db::SecurityEventRecord>& events, std::ostream& out) {
  constexpr size_t kColumns = 6;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows{{"TIME (UTC)", "ZONE", "SOURCE", "RULE", "ACTION", "REASON"}};
  for (const auto& e : events) {
    rows.push_back({db::formatUtcMillis(db::fromEpochMillis(e.timeMs)), printable(e.zone),
                    printable(e.source), printable(e.rule), printable(e.action),
                    printable(e.reason)});
  }
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

void printJson(const std::vector<db::SecurityEventRecord>& events, std::ostream& out) {
  using Json = nlohmann::ordered_json;
  Json array = Json::array();
  for (const auto& e : events) {
    array.push_back({{"time", db::formatUtcMillis(db::fromEpochMillis(e.timeMs))},
                     {"zone", e.zone},
                     {"source", e.source},
                     {"rule", e.rule},
                     {"action", e.action},
                     {"reason", e.reason},
                     {"sample", e.sample}});
  }
  out << array.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace

int runEventsList(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
                  std::ostream& err) {
  if (!existingDatabase(dbPath, "events list", err)) return 2;
  std::vector<db::SecurityEventRecord> events;
  try {
    events = db::readRecentEvents(dbPath, limit);
  } catch (const std::exception& e) {
    err << "events list: " << e.what() << "\n";
    return 2;
  }
  if (json) {
    printJson(events, out);
  } else if (events.empty()) {
    out << "no security events recorded in " << dbPath << "\n";
  } else {
    printTable(events, out);
  }
  return 0;
}

}  // namespace tg::app
