#pragma once

// The `fraud:` section (fraud_section.cc): the detectors that learn each account's normal calling
// and stop what the call policy's fixed rules did not foresee (docs/fraud.md).

#include <chrono>

namespace tg::config {

struct FraudSwitch {
  bool enabled = true;
  bool enforce = true;  // false: shadow mode, a block is recorded but the call goes on
};

struct FraudSettings {
  bool enabled = true;
  // A call is blocked when the scores of its enforcing detectors add up to this; the account's
  // calls to risky destinations stay blocked for `block_s` and its live ones are torn down.
  double blockScore = 1.0;
  std::chrono::seconds blockFor{3600};
  // How far back an account's destinations count as its normal, and how old a first call to a
  // country must be before that country counts as known.
  std::chrono::hours learning{24 * 30};
  std::chrono::hours settle{24};

  FraudSwitch wangiri;         // calls back to one-ring numbers
  FraudSwitch enumeration;     // many numbers of one block in a short time
  FraudSwitch shortCalls;      // bursts of short or unanswered calls to one prefix
  FraudSwitch newDestination;  // a country the account (or the site) never called
  FraudSwitch unusualHours;    // risky calls when the account is normally idle
  FraudSwitch concurrency;     // more parallel risky calls than the account ever had

  std::chrono::hours wangiriMemory{72};         // how long an unanswered inbound call is remembered
  std::chrono::seconds wangiriMaxRing{15};      // a ring at most this long is a "one ring"
  int enumerationNumbers = 4;                   // distinct numbers in one block ...
  std::chrono::seconds enumerationWindow{900};  // ... within this window
  int shortCallBurst = 4;                       // short/unanswered calls to one prefix ...
  std::chrono::seconds shortCallWindow{1800};   // ... within this window
  std::chrono::seconds shortCallMax{10};        // talk time at most this is "short"
  int concurrencyFloor = 3;                     // risky calls at once always allowed
};

}  // namespace tg::config
