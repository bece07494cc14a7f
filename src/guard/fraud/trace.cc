#include "guard/fraud/trace.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <string_view>

namespace tg::guard::fraud {
namespace {

constexpr std::array<std::string_view, 8> kRequired = {
    "start", "zone", "source", "account", "from", "to", "answer_after_s", "duration_s"};

// One CSV line into fields: RFC 4180 quotes ("a,b" and "" for a quote) are understood.
std::vector<std::string> splitCsv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}

std::optional<double> parseSeconds(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > 1e7) return {};
  return v;
}

}  // namespace

std::optional<base::SystemTime> parseUtcTime(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  const std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%*[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) !=
      6) {
    return {};
  }
  std::string_view rest = text.substr(static_cast<size_t>(used));
  double fraction = 0;
  if (!rest.empty() && rest.front() == '.') {
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    fraction = std::stod("0" + std::string(rest.substr(0, n)));
    rest.remove_prefix(n);
  }
  if (!(rest.empty() || rest == "Z" || rest == "+00:00" || rest == "+0000")) return {};
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return {};
  const auto at = sys_days(ymd) + hours(h) + minutes(mi) + seconds(s) +
                  duration_cast<system_clock::duration>(duration<double>(fraction));
  return base::SystemTime(at.time_since_epoch());
}

Trace readTrace(std::istream& in, const std::string& name) {
  Trace trace;
  std::string line;
  if (!std::getline(in, line)) {
    trace.error = name + ": empty; the first line must be the CSV header";
    return trace;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = splitCsv(line);
  auto column = [&](std::string_view key) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == key) return static_cast<int>(i);
    }
    return -1;
  };
  for (std::string_view key : kRequired) {
    if (column(key) < 0) {
      trace.error = fmt::format(
          "{}:1: the header has no column '{}' (needed: start, zone, "
          "source, account, from, to, answer_after_s, duration_s)",
          name, key);
      return trace;
    }
  }
  const int cStart = column("start"), cZone = column("zone"), cSource = column("source"),
            cAccount = column("account"), cFrom = column("from"), cTo = column("to"),
            cAnswer = column("answer_after_s"), cDuration = column("duration_s"),
            cRing = column("ring_s"), cLabel = column("label");
  int lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> f = splitCsv(line);
    if (f.size() < header.size()) {
      trace.error =
          fmt::format("{}:{}: {} fields, the header has {}", name, lineNo, f.size(), header.size());
      return trace;
    }
    auto bad = [&](std::string_view key, std::string_view why) {
      trace.error = fmt::format("{}:{}: column '{}': {}", name, lineNo, key, why);
      return trace;
    };
    TraceCall c;
    const auto start = parseUtcTime(f[cStart]);
    if (!start) return bad("start", "'" + f[cStart] + "' is not an ISO-8601 UTC time");
    c.start = *start;
    if (f[cZone] == "pbx") {
      c.zone = transport::Zone::kPbx;
    } else if (f[cZone] == "trunk") {
      c.zone = transport::Zone::kTrunk;
    } else if (f[cZone] == "public") {
      c.zone = transport::Zone::kPublic;
    } else {
      return bad("zone", "'" + f[cZone] + "' is not pbx, trunk or public");
    }
    c.source = f[cSource];
    c.account = f[cAccount];
    c.from = f[cFrom];
    c.to = f[cTo];
    if (!f[cAnswer].empty()) {
      c.answerAfterS = parseSeconds(f[cAnswer]);
      if (!c.answerAfterS) return bad("answer_after_s", "not a number of seconds");
    }
    if (!f[cDuration].empty()) {
      const auto d = parseSeconds(f[cDuration]);
      if (!d) return bad("duration_s", "not a number of seconds");
      c.durationS = *d;
    }
    if (cRing >= 0 && !f[cRing].empty()) {
      c.ringS = parseSeconds(f[cRing]);
      if (!c.ringS) return bad("ring_s", "not a number of seconds");
    }
    if (cLabel >= 0) c.label = f[cLabel];
    trace.calls.push_back(std::move(c));
  }
  return trace;
}

}  // namespace tg::guard::fraud
