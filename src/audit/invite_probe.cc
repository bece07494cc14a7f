// SipProber::inviteAndCancel: one INVITE toward a number, cancelled the moment the server shows
// it is routing it. Unauthenticated (audit pbx), or answering one challenge with the trunk's
// credentials (audit provider, to read the SDP the provider answers with). Kept apart from the
// OPTIONS/REGISTER probe because an INVITE transaction has its own rules (RFC 3261 9.1 CANCEL,
// 17.1.1.3 ACK).

#include <algorithm>

#include "audit/sip_prober.h"
#include "audit/sip_stream.h"
#include "base/random.h"

namespace tg::audit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After 100 Trying, a server that challenges does so at once; silence this long means routing.
constexpr milliseconds kProgressWait{2000};

// An SDES key nobody keeps: 30 random bytes (AES_CM_128_HMAC_SHA1_80's key and salt) written
// as 40 base64 characters, each carrying 6 random bits.
std::string throwawaySdesKey() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string key;
  uint64_t bits = 0;
  for (int i = 0; i < 40; ++i) {
    if (i % 10 == 0) bits = base::randomU64();
    key += kAlphabet[bits & 63];
    bits >>= 6;
  }
  return key;
}

}  // namespace

std::string SipProber::sdpOffer(bool srtp) const {
  const char* family = target_.isV6() ? "IP6" : "IP4";
  // Port 9 (discard): should the call be answered, its media goes nowhere.
  std::string sdp = std::string("v=0\r\no=audit 1 1 IN ") + family + " " + localIp_ +
                    "\r\ns=-\r\nc=IN " + family + " " + localIp_ + "\r\nt=0 0\r\n";
  if (!srtp) return sdp + "m=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";
  return sdp + "m=audio 9 RTP/SAVP 0 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" +
         throwawaySdesKey() + "\r\na=sendrecv\r\n";
}

std::optional<InviteOutcome> SipProber::inviteAndCancel(const std::string& number,
                                                        std::string* error,
                                                        const InviteProbeOptions& options) {
  if (!open(error)) return std::nullopt;
  pace();
  const std::string ruri = scheme_ + number + "@" + targetHost_;
  const std::string callId = base::randomHex(12) + "@" + localHost_;
  const std::string from = "<" + scheme_ + options.fromUser + "@" + localHost_ + ":" +
                           std::to_string(localPort_) + ">;tag=" + base::randomHex(6);
  const std::string toPlain = "<" + ruri + ">";
  const std::string body = sdpOffer(options.offerSrtp);
  std::string branch = "z9hG4bK-tga-" + base::randomHex(8);
  int cseq = ++cseq_;
  std::string credentials;  // "Authorization: ..." once a challenge was answered
  // One request of this dialog: `via` selects the transaction (the INVITE's for CANCEL and the
  // ACK of a refusal, a new one for the ACK of a 2xx and for BYE).
  // In-dialog requests (the ACK of a 2xx, BYE) go to the answer's Contact (RFC 3261 12.2.1.1).
  std::string remoteTarget = ruri;
  auto request = [&](std::string_view method, const std::string& viaBranch, const std::string& to,
                     int sequence, const std::string& content) {
    const bool inDialog = method == "BYE" || (method == "ACK" && viaBranch != branch);
    std::string r = std::string(method) + " " + (inDialog ? remoteTarget : ruri) + " SIP/2.0\r\n";
    r += via(viaBranch);
    r += "Max-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to + "\r\n";
    r += "Call-ID: " + callId + "\r\nCSeq: " + std::to_string(sequence) + " " +
         std::string(method) + "\r\n";
    // RFC 3261 22.4: a CANCEL and the ACK of a refusal carry the INVITE's credentials.
    if (method != "BYE" && viaBranch == branch) r += credentials;
    if (method == "INVITE") {
      r += "Contact: <" + contactUri("audit") + ">\r\nContent-Type: application/sdp\r\n";
    }
    r += "User-Agent: trunkguard-audit\r\nContent-Length: " + std::to_string(content.size()) +
         "\r\n\r\n" + content;
    return r;
  };
  std::string invite = request("INVITE", branch, toPlain, cseq, body);
  std::string cancel = request("CANCEL", branch, toPlain, cseq, "");

  InviteOutcome outcome;
  auto deadline = Clock::now() + timeout_ + kProgressWait;
  // When 100 Trying arrived (a plain value: GCC cannot follow an optional reset in the loop).
  bool sawTrying = false;
  Clock::time_point trying{};
  bool cancelSent = false;
  bool responded = false;
  milliseconds interval = firstInterval();
  const milliseconds cap = std::max(firstInterval(), milliseconds(4000));
  auto retransmitAt = Clock::now();
  while (Clock::now() < deadline) {
    if (Clock::now() >= retransmitAt) {  // INVITE until any answer, then CANCEL until answered
      if (!send(cancelSent ? cancel : invite, error)) return std::nullopt;
      retransmitAt = Clock::now() + interval;
      interval = std::min(interval * 2, cap);
    }
    auto until = std::min(retransmitAt, deadline);
    if (sawTrying && !cancelSent) until = std::min(until, trying + kProgressWait);
    const auto r = receive(callId, until);
    if (!r) {
      if (stream_ && stream_->closed()) {
        *error = target_.toString() + " closed the connection during the INVITE";
        return std::nullopt;
      }
      if (sawTrying && !cancelSent && Clock::now() >= trying + kProgressWait) {
        outcome.progressed = true;  // 100 Trying and no challenge: it is being routed
        cancelSent = true;
        interval = firstInterval();
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
      if (!sawTrying) {
        sawTrying = true;
        trying = Clock::now();
      }
      if (outcome.answer.status == 0) outcome.answer = r->answer;
      continue;
    }
    if (status < 200) {
      outcome.answer = r->answer;
      outcome.progressed = true;
      if (!cancelSent) {
        cancelSent = true;
        interval = firstInterval();
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
    const bool challenge = (status == 401 || status == 407) && r->answer.challenged;
    if (!challenge || !credentials.empty() || !options.answerChallenge || outcome.progressed) {
      return outcome;
    }
    // Once: the same INVITE again with credentials, a new transaction of the same dialog.
    const auto header = options.answerChallenge(r->answer, ruri, body);
    if (!header) return outcome;
    credentials = *header + "\r\n";
    pace();
    branch = "z9hG4bK-tga-" + base::randomHex(8);
    cseq = ++cseq_;
    invite = request("INVITE", branch, toPlain, cseq, body);
    cancel = request("CANCEL", branch, toPlain, cseq, "");
    outcome = InviteOutcome{};
    outcome.authenticated = true;
    deadline = Clock::now() + timeout_ + kProgressWait;
    sawTrying = false;
    responded = false;
    interval = firstInterval();
    retransmitAt = Clock::now();
  }
  if (!responded) {
    *error = "no answer to INVITE from " + target_.toString() + " within " +
             std::to_string(timeout_.count()) + " ms";
    return std::nullopt;
  }
  return outcome;  // progressed and cancelled, but the server never closed the INVITE
}

}  // namespace tg::audit
