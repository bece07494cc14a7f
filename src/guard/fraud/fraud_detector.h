#pragma once

// Fraud and anomaly detection (docs/fraud.md): learns each account's normal calling from the
// calls it sees and scores every new outbound call that the call policy let through. Detectors
// each give a score and an explanation; when the enforcing scores of a call add up to
// fraud.block_score the call is refused, the account's calls to risky destinations are blocked
// for fraud.block_s and its live risky calls are handed back to be torn down.
//
// Inbound calls (trunk zone) are only remembered, for the Wangiri detector.
//
// Thread-safe: one instance is shared by all workers; each call takes one mutex (per call
// admission, never per packet).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "config/fraud_config.h"
#include "transport/transport.h"

namespace tg::guard::fraud {

// One new call as the detectors see it.
struct FraudCall {
  uint64_t id = 0;  // the caller's handle for answered()/ended(); unique among live calls
  transport::Zone zone = transport::Zone::kPbx;
  std::string account;
  std::string e164;              // the destination, "+<digits>"; empty when not E.164
  std::string destinationClass;  // the call policy's class of the destination
  std::string callerE164;        // inbound: the number that rings us
  std::string callerClass;       // its class as if dialled from here
  base::SystemTime when{};       // wall clock: hour of the week
  base::TimePoint now{};         // monotonic: windows
};

// One outbound call from before the start (the CDR database), to learn from.
struct PastCall {
  std::string account;
  std::string e164;
  std::string destinationClass;
  base::SystemTime start{};
  std::optional<base::SystemTime> end;  // none: the gateway stopped while it was live
  bool endedByGateway = false;          // torn down (fraud, caps...): not the account's normal
};

struct Finding {
  std::string_view detector;  // "wangiri", "enumeration", ...
  double score = 0;
  bool enforce = true;
  bool blocksAccount = true;  // false: only this call (a Wangiri callback)
  std::string why;
};

struct Assessment {
  bool block = false;        // refuse the call (rule(), explanation())
  bool shadowBlock = false;  // shadow mode: would have been refused, goes on
  double score = 0;          // enforcing and shadow scores together
  std::vector<Finding> findings;

  // "fraud.<detector>" of the highest score ("fraud.blocked" while the account is blocked).
  std::string rule() const;
  // "enumeration 1.0: 4 numbers of +3725912xxx in 95 s; new_destination 0.6: ...".
  std::string explanation() const;
};

class FraudDetector {
 public:
  explicit FraudDetector(const config::FraudSettings& settings);
  ~FraudDetector();
  FraudDetector(const FraudDetector&) = delete;
  FraudDetector& operator=(const FraudDetector&) = delete;

  void reload(const config::FraudSettings& settings);
  bool enabled() const;

  // Start-up, before any live call: learns from the calls of the past, given oldest first, what
  // live calls teach (hours of the week, countries seen by the account and the site, the most
  // risky calls at once, the last minutes' numbers); `wallNow` and `now` place them on the
  // monotonic clock. restoreDone() after the last one frees what only the restore needed.
  void restore(const PastCall& call, base::SystemTime wallNow, base::TimePoint now);
  // Start-up too: an inbound call of the past from `callerE164` (of `callerClass`) that rang
  // from `start` to `end` unanswered. A short ring from a risky number is remembered as a live
  // one would be, so a callback to it after a restart is still a Wangiri callback.
  void restoreRing(const std::string& callerE164, std::string_view callerClass,
                   base::SystemTime start, base::SystemTime end, base::SystemTime wallNow,
                   base::TimePoint now);
  void restoreDone();

  // A call the policy allowed. Unless refused, it is followed until ended(call.id).
  Assessment assess(const FraudCall& call);
  void answered(uint64_t id, base::TimePoint now);
  void ended(uint64_t id, base::TimePoint now);
  // Live calls whose account was blocked after they started; each id is returned once.
  std::vector<uint64_t> takeCallsToEnd();
  // The same, only the ids `mine` accepts (a worker takes the calls it owns; the others stay
  // for their owners).
  std::vector<uint64_t> takeCallsToEnd(const std::function<bool(uint64_t)>& mine);
  // Forgets windows and memories that aged out (bounded memory); about once a minute.
  void expire(base::TimePoint now);

 private:
  class State;
  std::unique_ptr<State> state_;
};

// Whether calls to this class can be pumped for revenue share (international, premium,
// high-risk, satellite, unknown): the detectors look at these only.
bool isRiskyClass(std::string_view destinationClass);

}  // namespace tg::guard::fraud
