#include "identity/sip_date.h"

#include <ctime>

namespace tg::identity {
namespace {

bool readNumber(std::string_view& s, size_t minDigits, size_t maxDigits, int& out) {
  size_t n = 0;
  out = 0;
  while (n < s.size() && n < maxDigits && s[n] >= '0' && s[n] <= '9') {
    out = out * 10 + (s[n] - '0');
    ++n;
  }
  if (n < minDigits) return false;
  s.remove_prefix(n);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<int64_t> parseSipDate(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  bool dayOk = false;
  for (auto d : kDays) dayOk = dayOk || s.substr(0, 3) == d;
  if (!dayOk) return std::nullopt;
  s.remove_prefix(3);
  if (!expect(s, ',') || !expect(s, ' ')) return std::nullopt;
  std::tm tm{};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!readNumber(s, 1, 2, day) || !expect(s, ' ')) return std::nullopt;
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (s.substr(0, 3) == kMonths[i]) month = i;
  }
  if (month < 0) return std::nullopt;
  s.remove_prefix(3);
  if (!expect(s, ' ') || !readNumber(s, 4, 4, year) || !expect(s, ' ')) return std::nullopt;
  if (!readNumber(s, 2, 2, hour) || !expect(s, ':') || !readNumber(s, 2, 2, minute) ||
      !expect(s, ':') || !readNumber(s, 2, 2, second)) {
    return std::nullopt;
  }
  if (s != " GMT") return std::nullopt;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace tg::identity
