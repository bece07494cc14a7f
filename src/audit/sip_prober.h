#pragma once

// The few SIP requests `trunkguard audit pbx` sends to the one address the admin names: OPTIONS
// (what the server says it is), unauthenticated REGISTERs (how it answers for an existing and a
// missing user) and, when asked, one unauthenticated INVITE cancelled as soon as it progresses.
// UDP, with RFC 3261 retransmissions, and paced: at most one new transaction every `spacing`,
// so an audit can never turn into a flood.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"

namespace tg::audit {

// "host", "host:port", "[v6]:port". Ranges, networks and lists (anything with '/', '*', ',' or
// white space) are refused: the audit probes exactly one named address.
struct ProbeTarget {
  std::string host;
  uint16_t port = 5060;
  std::string text() const;  // "host:port" ("[v6]:port")
};
std::optional<ProbeTarget> parseProbeTarget(std::string_view text, std::string* error);

// One address for the target's host (the first the resolver gives); nullopt with *error.
std::optional<base::Address> resolveProbeTarget(const ProbeTarget& target, std::string* error);

struct SipAnswer {
  int status = 0;
  std::string reason;
  std::string server;       // Server header
  std::string userAgent;    // User-Agent header (some servers put their name there)
  bool challenged = false;  // WWW-Authenticate or Proxy-Authenticate present
  // The digest algorithms of its challenges, as written ("MD5" where a challenge names none,
  // RFC 7616 section 3.3), in order.
  std::vector<std::string> digestAlgorithms;
  std::string sdp;  // the body when it is application/sdp (an OPTIONS answer's capabilities)
};

// What an unauthenticated INVITE got.
struct InviteOutcome {
  SipAnswer answer;         // the first answer beyond 100 Trying (or 100 itself, see below)
  bool progressed = false;  // 18x or 2xx, or 100 and no challenge within 2 s: it was routed
  bool answered = false;    // 2xx: the call was set up (and hung up at once with BYE)
};

class SipProber {
 public:
  SipProber(base::Address target, std::string targetHost,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(4000),
            std::chrono::milliseconds spacing = std::chrono::milliseconds(250));
  ~SipProber();
  SipProber(const SipProber&) = delete;
  SipProber& operator=(const SipProber&) = delete;

  // The final answer, or nullopt with *error (no answer within the timeout, socket errors).
  std::optional<SipAnswer> options(std::string* error);
  std::optional<SipAnswer> registerUser(const std::string& user, std::string* error);
  // INVITE sip:NUMBER@host with no credentials; CANCEL as soon as it progresses (ACK and BYE
  // should it be answered), ACK for a final refusal.
  std::optional<InviteOutcome> inviteAndCancel(const std::string& number, std::string* error);

 private:
  struct Response {
    SipAnswer answer;
    std::string to;          // the To header as received (with the tag)
    std::string cseqMethod;  // which request it answers
    std::string contact;     // the Contact URI (a 2xx's remote target), or ""
  };
  std::optional<SipAnswer> transact(std::string_view method, const std::string& user,
                                    std::string* error);
  bool open(std::string* error);
  void pace();
  bool send(const std::string& text, std::string* error);
  // The next response with this Call-ID before `until`; nullopt on timeout.
  std::optional<Response> receive(const std::string& callId,
                                  std::chrono::steady_clock::time_point until);
  std::string sdpOffer() const;

  base::Address target_;
  std::string targetHost_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds spacing_;
  int fd_ = -1;
  std::string localHost_;  // for Via and Contact (IPv6 in brackets)
  std::string localIp_;    // for SDP
  uint16_t localPort_ = 0;
  std::optional<std::chrono::steady_clock::time_point> lastSent_;
  int cseq_ = 0;
};

}  // namespace tg::audit
