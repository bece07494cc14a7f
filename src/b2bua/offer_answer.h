#pragma once

// The hook where a session description crosses from one leg to the other (RFC 3264
// offer/answer). LegMessages hands it every body it copies across, and nothing else copies a
// body: the media relay rewrites the connection addresses here. The default passes each body
// through unchanged.

#include <optional>
#include <string>
#include <string_view>

#include "b2bua/call.h"

namespace tg::b2bua {

struct SessionBody {
  std::string_view contentType;
  std::string_view content;
};

class OfferAnswerProcessor {
 public:
  virtual ~OfferAnswerProcessor() = default;

  // A body leaving leg `from` of `call` for the other leg: an offer (in a request, or in a
  // response to a request that had none) or an answer (in a response to an offer, an ACK or a
  // PRACK). Returns the body to send instead; nullopt sends it as it came.
  virtual std::optional<std::string> offer(const Call& call, Side from, SessionBody body) = 0;
  virtual std::optional<std::string> answer(const Call& call, Side from, SessionBody body) = 0;
};

class PassThroughBodies final : public OfferAnswerProcessor {
 public:
  std::optional<std::string> offer(const Call&, Side, SessionBody) override {
    return std::nullopt;
  }
  std::optional<std::string> answer(const Call&, Side, SessionBody) override {
    return std::nullopt;
  }
};

}  // namespace tg::b2bua
