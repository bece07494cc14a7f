#pragma once

// A decision that blocked (or, in shadow mode, would have blocked) traffic. Every one is
// logged, counted and stored in the security_events table (db/event_store.h).

#include <chrono>
#include <string>

#include "base/address.h"
#include "transport/transport.h"

namespace tg::guard {

struct SecurityEvent {
  std::chrono::system_clock::time_point time;
  transport::Zone zone = transport::Zone::kPublic;
  base::Address source;
  std::string rule;    // "scanner.user_agent", "ratelimit.invite", "ban", "acl.deny", ...
  std::string reason;  // for people: what was seen
  std::string action;  // "drop", "reply 403", "ban 600s", "shadow" (enforce: false)
  std::string sample;  // a bounded, printable prefix of the message (may be empty)
};

// Where events go. Implementations are thread-safe and never block the message path.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void record(SecurityEvent event) = 0;
};

}  // namespace tg::guard
