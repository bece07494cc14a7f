#pragma once

// The hook where a session description crosses from one leg to the other (RFC 3264
// offer/answer). LegMessages hands it every body it copies across, and nothing else copies a
// body: the media relay (src/media/) rewrites the connection addresses here, or refuses what it
// cannot rewrite. The default passes each body through unchanged.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "b2bua/call.h"

namespace tg::b2bua {

struct SessionBody {
  std::string_view contentType;
  std::string_view content;
};

// What the processor makes of one body: send it as it came, send another instead, or refuse
// the message (an offer in a request is answered 488 with a Warning carrying `text`). A body is
// never sent half-rewritten: what cannot be rewritten is refused.
struct BodyDecision {
  enum class Kind : uint8_t { kKeep, kReplace, kRefuse };
  Kind kind = Kind::kKeep;
  std::string text;  // the body to send (kReplace) or why it is refused (kRefuse)

  static BodyDecision keep() { return {}; }
  static BodyDecision replace(std::string body) { return {Kind::kReplace, std::move(body)}; }
  static BodyDecision refuse(std::string why) { return {Kind::kRefuse, std::move(why)}; }
  bool refused() const { return kind == Kind::kRefuse; }
};

class OfferAnswerProcessor {
 public:
  virtual ~OfferAnswerProcessor() = default;

  // A body leaving leg `from` of `call` for the other leg: an offer (in a request, or in a
  // response to a request that had none) or an answer (in a response to an offer, an ACK or a
  // PRACK).
  virtual BodyDecision offer(const Call& call, Side from, SessionBody body) = 0;
  virtual BodyDecision answer(const Call& call, Side from, SessionBody body) = 0;
};

class PassThroughBodies final : public OfferAnswerProcessor {
 public:
  BodyDecision offer(const Call&, Side, SessionBody) override { return BodyDecision::keep(); }
  BodyDecision answer(const Call&, Side, SessionBody) override { return BodyDecision::keep(); }
};

}  // namespace tg::b2bua
