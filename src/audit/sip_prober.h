#pragma once

// The few SIP requests `trunkguard audit pbx` sends to the one address the admin names: OPTIONS
// (what the server says it is), unauthenticated REGISTERs (how it answers for an existing and a
// missing user) and, when asked, one unauthenticated INVITE cancelled as soon as it progresses.
// UDP with RFC 3261 retransmissions, or one TCP or TLS connection (audit provider on a TLS
// trunk), and paced: at most one new transaction every `spacing`, so an audit can never turn
// into a flood.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"

namespace tg::audit {

class SipStream;

enum class ProbeTransport : uint8_t { kUdp, kTcp, kTls };
std::string_view probeTransportName(ProbeTransport t);  // "UDP", "TCP", "TLS" (as in Via)

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
  std::string sdp;      // the body when it is application/sdp (an OPTIONS answer's capabilities)
  std::string message;  // the whole response as received, when `challenged` (to answer it)
};

// What an unauthenticated INVITE got.
struct InviteOutcome {
  SipAnswer answer;            // the first answer beyond 100 Trying (or 100 itself, see below)
  bool progressed = false;     // 18x or 2xx, or 100 and no challenge within 2 s: it was routed
  bool answered = false;       // 2xx: the call was set up (and hung up at once with BYE)
  bool authenticated = false;  // the INVITE that got `answer` carried credentials
};

struct InviteProbeOptions {
  // Offer SRTP (RTP/SAVP with an SDES a=crypto line, RFC 4568) instead of RTP/AVP.
  bool offerSrtp = false;
  std::string fromUser = "audit";  // the From user (a provider may check it is the trunk's)
  // Answers a 401/407 to the INVITE: the credentials header line ("Authorization: Digest ...")
  // for this Request-URI and body, or nullopt. Used once; unset: a challenge ends the probe.
  std::function<std::optional<std::string>(const SipAnswer& challenge, std::string_view uri,
                                           std::string_view body)>
      answerChallenge;
};

class SipProber {
 public:
  SipProber(base::Address target, std::string targetHost,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(4000),
            std::chrono::milliseconds spacing = std::chrono::milliseconds(250));
  ~SipProber();
  SipProber(const SipProber&) = delete;
  SipProber& operator=(const SipProber&) = delete;

  // Speak over TCP or TLS (one connection, opened by the first request) instead of UDP. For
  // TLS, `serverName` is sent as SNI; the certificate is judged by the TLS probes, not here.
  void useStream(ProbeTransport transport, std::string serverName);
  // Request-URIs (and To) with the sips: scheme (RFC 5630), for the SIPS support check.
  void useSipsUri(bool sips) { scheme_ = sips ? "sips:" : "sip:"; }

  // The final answer, or nullopt with *error (no answer within the timeout, socket errors).
  std::optional<SipAnswer> options(std::string* error);
  std::optional<SipAnswer> registerUser(const std::string& user, std::string* error);
  // INVITE sip:NUMBER@host with no credentials; CANCEL as soon as it progresses (ACK and BYE
  // should it be answered), ACK for a final refusal.
  std::optional<InviteOutcome> inviteAndCancel(const std::string& number, std::string* error,
                                               const InviteProbeOptions& options = {});

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
  // The first retransmission interval: T1 over UDP; a reliable transport never retransmits.
  std::chrono::milliseconds firstInterval() const;
  std::string via(const std::string& branch) const;
  std::string contactUri(const std::string& user)
      const;  // where answers would come back  // "Via: SIP/2.0/UDP host:port;..."
  std::optional<Response> parseResponse(std::string text, const std::string& callId) const;
  // The next response with this Call-ID before `until`; nullopt on timeout.
  std::optional<Response> receive(const std::string& callId,
                                  std::chrono::steady_clock::time_point until);
  std::string sdpOffer(bool srtp) const;

  base::Address target_;
  std::string targetHost_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds spacing_;
  ProbeTransport transport_ = ProbeTransport::kUdp;
  std::string serverName_;  // TLS SNI
  std::string scheme_ = "sip:";
  std::unique_ptr<SipStream> stream_;
  int fd_ = -1;
  std::string localHost_;  // for Via and Contact (IPv6 in brackets)
  std::string localIp_;    // for SDP
  uint16_t localPort_ = 0;
  std::optional<std::chrono::steady_clock::time_point> lastSent_;
  int cseq_ = 0;
};

}  // namespace tg::audit
