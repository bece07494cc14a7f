#pragma once

// UTC offsets of an IANA time zone read from the system tz database (TZif files under
// /usr/share/zoneinfo, or $TZDIR). GCC 12 has no std::chrono::tzdb, and localtime_r with TZ
// would change process-wide state under the other threads' feet.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace tg::guard::policy {

class TimeZone {
 public:
  // "UTC" or "" gives UTC. nullptr and *error when the zone is unknown or the file is bad.
  static std::shared_ptr<const TimeZone> load(std::string_view name, std::string* error);
  // For tests: a zone read from TZif bytes.
  static std::shared_ptr<const TimeZone> fromTzif(std::string_view bytes, std::string name,
                                                  std::string* error);

  const std::string& name() const { return name_; }
  // Local time minus UTC at t. After the file's last transition (2037 in "fat" files) the
  // last offset holds.
  std::chrono::seconds offset(base::SystemTime t) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int32_t> offsets_;      // offset after each transition
  int32_t initial_ = 0;               // before the first transition
};

// Civil time of a local instant.
struct LocalTime {
  int64_t day = 0;  // days since 1970-01-01 (local)
  int weekday = 0;  // 0 = Monday ... 6 = Sunday
  int minute = 0;   // minutes since local midnight
};
LocalTime toLocal(base::SystemTime t, const TimeZone* zone);

// "2026-12-25" -> days since 1970-01-01; false when malformed.
bool parseDate(std::string_view text, int64_t* day);

}  // namespace tg::guard::policy
