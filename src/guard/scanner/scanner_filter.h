#pragma once

// Scanner detection (guard.scanner): known tool signatures, and behaviour that survives a
// changed User-Agent: one source probing many distinct users (svwar, DID sweeps), OPTIONS
// sweeps (svmap) and a high share of 400/401/403/404/407/484/505 answers (svcrack, guessing,
// fuzzing with broken requests). A scanner gets silence and a ban. Trusted sources are never
// judged. One instance per worker.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config/guard_config.h"
#include "guard/common/source_table.h"
#include "guard/filter.h"

namespace tg::guard::scanner {

class ScannerFilter final : public Filter {
 public:
  // Upper bound of guard.scanner.max_distinct_users: each source keeps one more hash than
  // that, in place.
  static constexpr int kMaxDistinctUsers = 31;

  explicit ScannerFilter(const config::ScannerSettings& settings);

  std::string_view name() const override { return "scanner"; }
  Verdict onRequest(const Request& request) override;
  void onResponseSent(transport::Zone zone, const base::Address& to, int code,
                      base::TimePoint now) override;
  void expire(base::TimePoint now) override;

  size_t trackedSources() const { return sources_.size(); }
  size_t signatureCount() const { return signatures_.size(); }

 private:
  struct Pattern {
    std::string lower;
    std::string reason;  // "User-Agent matches 'friendly-scanner'": lives as long as the filter
  };
  struct Source {
    base::TimePoint windowStart{};
    base::TimePoint lastSeen{};
    std::array<uint32_t, kMaxDistinctUsers + 1> users{};
    uint8_t userCount = 0;
    uint16_t options = 0;
    uint16_t responses = 0;
    uint16_t failures = 0;
    // The rule that marked it a scanner: it stays one while it keeps sending (bans may be
    // off, or the chain in shadow mode).
    std::string_view flagged;
    std::string_view flaggedReason;
  };

  const Pattern* matchSignature(const sip::Message& m) const;
  void roll(Source& s, base::TimePoint now) const;
  Verdict flag(Source& s, std::string_view rule, std::string_view reason) const;

  config::ScannerSettings settings_;
  base::Duration window_;
  std::vector<Pattern> signatures_;
  SourceTable<Source> sources_;
};

}  // namespace tg::guard::scanner
