// SipProber::inviteAndCancel: one unauthenticated INVITE toward an external number, cancelled
// the moment the server shows it is routing it. Kept apart from the OPTIONS/REGISTER probe
// because an INVITE transaction has its own rules (RFC 3261 9.1 CANCEL, 17.1.1.3 ACK).

#include <algorithm>

#include "audit/sip_prober.h"
#include "base/random.h"

namespace tg::audit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kT1{500};
// After 100 Trying, a server that challenges does so at once; silence this long means routing.
constexpr milliseconds kProgressWait{2000};

}  // namespace

std::string SipProber::sdpOffer() const {
  const char* family = target_.isV6() ? "IP6" : "IP4";
  // Port 9 (discard): should the call be answered, its media goes nowhere.
  return std::string("v=0\r\no=audit 1 1 IN ") + family + " " + localIp_ + "\r\ns=-\r\nc=IN " +
         family + " " + localIp_ + "\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";
}

std::optional<InviteOutcome> SipProber::inviteAndCancel(const std::string& number,
                                                        std::string* error) {
  if (!open(error)) return std::nullopt;
  pace();
  const std::string self = localHost_ + ":" + std::to_string(localPort_);
  const std::string ruri = "sip:" + number + "@" + targetHost_;
  const std::string branch = "z9hG4bK-tga-" + base::randomHex(8);
  const std::string callId = base::randomHex(12) + "@" + localHost_;
  const std::string from = "<sip:audit@" + self + ">;tag=" + base::randomHex(6);
  const std::string toPlain = "<" + ruri + ">";
  const int cseq = ++cseq_;
  const std::string body = sdpOffer();
  // One request of this dialog: `via` selects the transaction (the INVITE's for CANCEL and the
  // ACK of a refusal, a new one for the ACK of a 2xx and for BYE).
  // In-dialog requests (the ACK of a 2xx, BYE) go to the answer's Contact (RFC 3261 12.2.1.1).
  std::string remoteTarget = ruri;
  auto request = [&](std::string_view method, const std::string& via, const std::string& to,
                     int sequence, const std::string& content) {
    const bool inDialog = method == "BYE" || (method == "ACK" && via != branch);
    std::string r = std::string(method) + " " + (inDialog ? remoteTarget : ruri) + " SIP/2.0\r\n";
    r += "Via: SIP/2.0/UDP " + self + ";branch=" + via + ";rport\r\n";
    r += "Max-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to + "\r\n";
    r += "Call-ID: " + callId + "\r\nCSeq: " + std::to_string(sequence) + " " +
         std::string(method) + "\r\n";
    if (method == "INVITE") {
      r += "Contact: <sip:audit@" + self + ">\r\nContent-Type: application/sdp\r\n";
    }
    r += "User-Agent: trunkguard-audit\r\nContent-Length: " + std::to_string(content.size()) +
         "\r\n\r\n" + content;
    return r;
  };
  const std::string invite = request("INVITE", branch, toPlain, cseq, body);
  const std::string cancel = request("CANCEL", branch, toPlain, cseq, "");

  InviteOutcome outcome;
  const auto deadline = Clock::now() + timeout_ + kProgressWait;
  std::optional<Clock::time_point> trying;  // when 100 arrived
  bool cancelSent = false;
  bool responded = false;
  milliseconds interval = kT1;
  auto retransmitAt = Clock::now();
  while (Clock::now() < deadline) {
    if (Clock::now() >= retransmitAt) {  // INVITE until any answer, then CANCEL until answered
      if (!send(cancelSent ? cancel : invite, error)) return std::nullopt;
      retransmitAt = Clock::now() + interval;
      interval = std::min(interval * 2, milliseconds(4000));
    }
    auto until = std::min(retransmitAt, deadline);
    if (trying && !cancelSent) until = std::min(until, *trying + kProgressWait);
    const auto r = receive(callId, until);
    if (!r) {
      if (trying && !cancelSent && Clock::now() >= *trying + kProgressWait) {
        outcome.progressed = true;  // 100 Trying and no challenge: it is being routed
        cancelSent = true;
        interval = kT1;
        retransmitAt = Clock::now();
      }
      continue;
    }
    if (r->cseqMethod == "CANCEL") {
      if (r->answer.status >= 200) retransmitAt = deadline;  // stop resending the CANCEL
      continue;
    }
    if (r->cseqMethod != "INVITE") continue;  // the BYE's answer, if any
    if (!responded) {
      responded = true;
      retransmitAt = cancelSent ? retransmitAt : deadline;  // a provisional stops INVITE resends
    }
    const int status = r->answer.status;
    if (status == 100) {
      if (!trying) trying = Clock::now();
      if (outcome.answer.status == 0) outcome.answer = r->answer;
      continue;
    }
    if (status < 200) {
      outcome.answer = r->answer;
      outcome.progressed = true;
      if (!cancelSent) {
        cancelSent = true;
        interval = kT1;
        retransmitAt = Clock::now();
      }
      continue;
    }
    if (!outcome.progressed) outcome.answer = r->answer;  // else keep the 18x that showed it
    if (status < 300) {  // answered: ACK (a new transaction) and hang up at once
      outcome.answered = true;
      outcome.progressed = true;
      outcome.answer = r->answer;
      if (!r->contact.empty()) remoteTarget = r->contact;
      if (!send(request("ACK", "z9hG4bK-tga-" + base::randomHex(8), r->to, cseq, ""), error) ||
          !send(request("BYE", "z9hG4bK-tga-" + base::randomHex(8), r->to, ++cseq_, ""), error)) {
        return std::nullopt;
      }
      return outcome;
    }
    // A final refusal (a challenge, 403, 404, or 487 after our CANCEL): ACK it (same branch).
    if (!send(request("ACK", branch, r->to, cseq, ""), error)) return std::nullopt;
    return outcome;
  }
  if (!responded) {
    *error = "no answer to INVITE from " + target_.toString() + " within " +
             std::to_string(timeout_.count()) + " ms";
    return std::nullopt;
  }
  return outcome;  // progressed and cancelled, but the server never closed the INVITE
}

}  // namespace tg::audit
