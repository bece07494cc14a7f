#include "guard/policy/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tg::guard::policy {
namespace {

int64_t readBig(std::string_view b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

bool validName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::fromTzif(std::string_view b, std::string name,
                                                   std::string* error) {
  auto fail = [&](const char* why) -> std::shared_ptr<const TimeZone> {
    if (error) *error = "time zone '" + name + "': " + why;
    return nullptr;
  };
  if (b.size() < 44 || b.substr(0, 4) != "TZif") return fail("not a TZif file");
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = readBig(b, at + 20 + 4 * i, 4);
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t at = 44;
  size_t width = 4;
  if (b[4] >= '2') {  // skip the 32-bit block: the 64-bit one follows with its own header
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (b.size() < at + 44 || b.substr(at, 4) != "TZif") return fail("truncated TZif file");
    counts(at, c);
    at += 44;
    width = 8;
  }
  const int64_t timecnt = c[3];
  const int64_t typecnt = c[4];
  if (typecnt <= 0 || b.size() < at + timecnt * (width + 1) + typecnt * 6) {
    return fail("truncated TZif file");
  }
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  std::vector<int32_t> typeOffset(typecnt);
  std::vector<bool> typeDst(typecnt);
  const size_t types = at + timecnt * (width + 1);
  for (int64_t i = 0; i < typecnt; ++i) {
    typeOffset[i] = static_cast<int32_t>(readBig(b, types + i * 6, 4));
    typeDst[i] = b[types + i * 6 + 4] != 0;
  }
  for (int64_t i = 0; i < timecnt; ++i) {
    const auto type = static_cast<unsigned char>(b[at + timecnt * width + i]);
    if (type >= typecnt) return fail("bad TZif type index");
    zone->transitions_.push_back(readBig(b, at + i * width, width));
    zone->offsets_.push_back(typeOffset[type]);
  }
  // Before the first transition: the first standard-time type (RFC 8536 §3.2).
  zone->initial_ = typeOffset[0];
  for (int64_t i = 0; i < typecnt; ++i) {
    if (!typeDst[i]) {
      zone->initial_ = typeOffset[i];
      break;
    }
  }
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::load(std::string_view name, std::string* error) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") {
    auto utc = std::make_shared<TimeZone>();
    utc->name_ = "UTC";
    return utc;
  }
  if (!validName(name)) {
    if (error) *error = "'" + std::string(name) + "' is not an IANA time zone name";
    return nullptr;
  }
  const char* dir = std::getenv("TZDIR");
  const std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" +
      std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) {
      *error = "unknown time zone '" + std::string(name) +
               "'; use an IANA name such as Europe/London or America/New_York";
    }
    return nullptr;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return fromTzif(bytes.str(), std::string(name), error);
}

std::chrono::seconds TimeZone::offset(base::SystemTime t) const {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (it == transitions_.begin()) return std::chrono::seconds(initial_);
  return std::chrono::seconds(offsets_[it - transitions_.begin() - 1]);
}

LocalTime toLocal(base::SystemTime t, const TimeZone* zone) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (zone != nullptr) s += zone->offset(t).count();
  LocalTime l;
  l.day = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  l.minute = static_cast<int>((s - l.day * 86400) / 60);
  l.weekday = static_cast<int>(((l.day % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
  return l;
}

bool parseDate(std::string_view text, int64_t* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto num = [&](size_t at, size_t n, int* out) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!num(0, 4, &y) || !num(5, 2, &m) || !num(8, 2, &d)) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return false;
  *day = daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

}  // namespace tg::guard::policy
