#pragma once

// Small realistic messages shared by the sip unit tests.

#include <string>

namespace tg::sip::testing {

inline std::string crlf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n')
      out += "\r\n";
    else
      out += c;
  }
  return out;
}

inline const std::string kInvite = crlf(
    "INVITE sip:+15551234567@trunk.example.com;user=phone SIP/2.0\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds;rport\n"
    "Max-Forwards: 70\n"
    "To: <sip:+15551234567@trunk.example.com>\n"
    "From: \"Alice\" <sip:201@pbx.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pbx.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:201@10.0.0.5:5060>\n"
    "User-Agent: Asterisk PBX 18.0\n"
    "X-Internal: secret\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 127\n"
    "\n"
    "v=0\n"
    "o=- 1 1 IN IP4 10.0.0.5\n"
    "s=-\n"
    "c=IN IP4 10.0.0.5\n"
    "t=0 0\n"
    "m=audio 10000 RTP/AVP 0 8 101\n"
    "a=rtpmap:101 telephone-event/8000\n");

inline const std::string kOk = crlf(
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds;rport=5060;received=10.0.0.5\n"
    "To: <sip:+15551234567@trunk.example.com>;tag=as1234\n"
    "From: \"Alice\" <sip:201@pbx.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pbx.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:trunk@192.0.2.1>\n"
    "Content-Length: 0\n"
    "\n");

}  // namespace tg::sip::testing
