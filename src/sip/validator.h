#pragma once

// The validator judges a parsed message the way an edge element must before acting on it
// (RFC 3261 §8.2, §16.3; RFC 4475). It is separate from the parser so that the parser stays a
// pure syntax step and the limits stay configurable.

#include <cstddef>
#include <string_view>

#include "sip/message.h"

namespace tg::sip {

struct Limits {
  size_t maxMessageBytes = 65535;  // the largest UDP payload; streams are cut to this too
  size_t maxHeaders = 128;
  size_t maxVias = 70;  // no more hops than the usual initial Max-Forwards
  size_t maxUriLength = 1024;
  size_t maxHeaderValueBytes = 4096;
};

enum class VerdictAction : uint8_t {
  kAccept,  // well formed: process it
  kReject,  // a request to answer with `code` (400, 416, 505, 513...)
  kDrop,    // a response, or something not worth an answer: discard silently
};

struct Verdict {
  VerdictAction action = VerdictAction::kAccept;
  int code = 0;  // the response to send for kReject
  std::string_view reason;

  bool ok() const { return action == VerdictAction::kAccept; }
  static Verdict accept() { return {}; }
  static Verdict reject(int code, std::string_view reason) {
    return {VerdictAction::kReject, code, reason};
  }
  static Verdict drop(std::string_view reason) { return {VerdictAction::kDrop, 0, reason}; }
};

// The verdict for bytes that did not even parse: requests get 400, responses are dropped.
// `bytes` is what was received (used to tell a request from a response).
Verdict verdictForParseError(std::string_view bytes, std::string_view reason);

// Checks a successfully parsed message: version, required headers and their syntax, CSeq vs
// method, single-value headers, scalar ranges, Request-URI scheme and the configured limits.
Verdict validate(const Message& message, const Limits& limits = {});

}  // namespace tg::sip
