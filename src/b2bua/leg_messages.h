#pragma once

// Every message the B2BUA writes on a leg is built here, from that leg's own state: Via and
// Contact of this gateway, in-dialog requests, responses, B's INVITE, CANCEL. What crosses from
// the other leg is only the allowlisted headers (b2bua.copy_headers, less those that describe a
// hop or a dialog) and the body, which goes through the OfferAnswerProcessor: this is the one
// place a body crosses between legs (B2BUA.md "What never crosses").

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/offer_answer.h"
#include "sip/builder.h"
#include "sip/message.h"
#include "transaction/transaction.h"

namespace tg::b2bua {

// A name-addr value with ";tag=" appended.
std::string withTag(std::string_view value, std::string_view tag);
// The Contact URI of a message; empty when it has none.
std::string_view contactUri(const sip::Message& m);
// The first element of each `id` field, in order (Record-Route and Route lists).
std::vector<std::string> listElements(const sip::Message& m, sip::HeaderId id);

class LegMessages {
 public:
  using ExtraHeaders = std::vector<std::pair<std::string_view, std::string>>;

  // A message from the other leg whose allowlisted headers and body go into the one built.
  struct Crossing {
    const sip::Message& message;
    const Call& call;
    Side from;  // the leg `message` arrived on
  };

  explicit LegMessages(const B2buaContext& context) : ctx_(context) {}

  // Where bodies go on their way across (default: unchanged); must outlive this.
  void setOfferAnswer(OfferAnswerProcessor* processor) {
    offerAnswer_ = processor != nullptr ? processor : &passThrough_;
  }

  std::string via(transport::Zone zone, config::TransportKind transport,
                  const std::string& branch) const;
  std::string contactFor(transport::Zone zone, config::TransportKind transport,
                         bool sips = false) const;

  // When the offer/answer processor refuses a crossing body, the message is built without it
  // and the reason goes to `refused` (when given): the caller answers 488 instead of sending
  // an offer, or sends an answer without its body (never half-rewritten).

  // A request within `leg`'s dialog (BYE, ACK, PRACK, a relayed request).
  std::string inDialog(const Leg& leg, transport::Zone zone, std::string_view method, uint32_t cseq,
                       const std::string& branch, const Crossing* crossing = nullptr,
                       const ExtraHeaders& extra = {}, std::string* refused = nullptr) const;
  // A response on `st`, in `leg`'s dialog; a relayed one copies from the other leg.
  std::string response(const transaction::ServerTransaction& st, const Leg& leg, int code,
                       std::string_view reason, const Crossing* crossing,
                       std::string* refused = nullptr) const;
  // B's initial INVITE, from B's leg state and A's INVITE (the body is A's offer), with
  // `extra` headers the B leg adds (a phone's credentials for the PBX, the asserted identity).
  std::string bLegInvite(const Call& call, const sip::Message& aInvite, const std::string& branch,
                         uint32_t maxForwards, const ExtraHeaders& extra,
                         std::string* refused = nullptr) const;
  // 488 Not Acceptable Here in `leg`'s dialog for an offer the processor refused, with a
  // Warning (RFC 3261 §20.43, code 399) saying why.
  std::string notAcceptable(const transaction::ServerTransaction& st, const Leg& leg,
                            std::string_view why) const;
  // The CANCEL for a client INVITE transaction (§9.1: same branch, Route and CSeq number);
  // empty when its bytes do not parse. The branch is the INVITE's.
  std::string cancelFor(const transaction::ClientTransaction& invite, std::string& branch) const;
  // An OPTIONS ping from this gateway to `target` (health checks); empty without a listener.
  std::string ping(const transport::SendTarget& target, std::string& branch) const;

  // A response that crosses nothing: responseTo() with this gateway's Server header.
  sip::MessageBuilder answer(const sip::Message& request, int code, std::string_view reason,
                             std::string_view toTag) const;
  // The gateway's own answer to a request it handles itself (OPTIONS, refusals).
  std::string localAnswer(const transaction::ServerTransaction& st, int code,
                          std::string_view reason = {}) const;

 private:
  void copyAllowedHeaders(const sip::Message& from, sip::MessageBuilder& out) const;
  // Headers and body of `crossing` into `out`; `answer` says which side of offer/answer the
  // body is. Returns why the body was refused, or "".
  std::string copyAcross(const Crossing& crossing, bool answer, sip::MessageBuilder& out) const;
  // The body of a message leaving leg `from` for the other, through the processor; why it was
  // refused, or "".
  std::string copyBody(const Call& call, Side from, const sip::Message& message, bool answer,
                       sip::MessageBuilder& out) const;

  const B2buaContext& ctx_;
  PassThroughBodies passThrough_;
  OfferAnswerProcessor* offerAnswer_ = &passThrough_;
};

}  // namespace tg::b2bua
