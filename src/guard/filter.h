#pragma once

// The guard contract (ARCHITECTURE.md "Contracts"): every filter of the perimeter and of the
// guard chain looks at one request at a time and returns a Verdict. No filter throws, and no
// filter includes another: shared pieces live in guard/common/.

#include <cstdint>
#include <string_view>

#include "base/address.h"
#include "base/clock.h"
#include "sip/message.h"
#include "transport/transport.h"

namespace tg::guard {

enum class Action : uint8_t {
  kContinue,  // no objection: the next filter decides
  kReply,     // answer with `code` and `reason` (trusted peers: 503 + Retry-After)
  kDrop,      // silence: scanners and floods learn nothing
};

struct Verdict {
  Action action = Action::kContinue;
  int code = 0;              // kReply only
  std::string_view reason;   // static text: the reason phrase, or why it was dropped
  std::string_view rule;     // static text naming the rule, e.g. "ratelimit.invite"
  bool ban = false;          // also ban the source (never applied to trusted sources)
  uint32_t retryAfterS = 0;  // kReply 503 only: the Retry-After value

  bool passes() const { return action == Action::kContinue; }
  static Verdict next() { return {}; }
  static Verdict drop(std::string_view rule, std::string_view reason, bool ban = false) {
    return {Action::kDrop, 0, reason, rule, ban, 0};
  }
  static Verdict reply(int code, std::string_view rule, std::string_view reason) {
    return {Action::kReply, code, reason, rule, false, 0};
  }
};

// What a filter sees of one parsed, validated request.
struct Request {
  const sip::Message& message;
  transport::Zone zone;
  const base::Address& source;
  bool trusted = false;   // a configured peer (the PBX, a provider) or on guard.trusted
  bool inDialog = false;  // has a To tag: traffic of an established call
  base::TimePoint now{};
};

class Filter {
 public:
  virtual ~Filter() = default;

  // "scanner", "ratelimit", ... as named in config and in events.
  virtual std::string_view name() const = 0;
  virtual Verdict onRequest(const Request& request) = 0;
  // A final response the gateway sent to `to` (a failure ratio feeds scanner detection).
  virtual void onResponseSent(transport::Zone /*zone*/, const base::Address& /*to*/, int /*code*/,
                              base::TimePoint /*now*/) {}
  // Called about once a second: drop per-source state that has aged out (bounded memory).
  virtual void expire(base::TimePoint /*now*/) {}
};

}  // namespace tg::guard
