#pragma once

// SDP session descriptions (RFC 8866) as an editable model. The media relay rewrites
// addresses, ports and attributes before forwarding, so every field is an owned std::string and
// serializeSdp() writes the model back in canonical order. Typed attribute accessors
// (rtpmap, crypto, fingerprint...) return views into the attribute values: they stay valid until
// that attribute is changed or the description destroyed.
//
// The parser is strict about line syntax and liberal where real equipment differs harmlessly:
// bare LF line ends, runs of spaces between fields, a missing t= line, an empty s= line.
// Unknown single-letter line types are dropped (never forwarded).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/result.h"

namespace tg::sip {

// Bounds on attacker-controlled input: memory stays proportional to these, not to the body.
struct SdpLimits {
  size_t maxBodySize = 64 * 1024;
  size_t maxMediaSections = 64;
  size_t maxAttributesPerSection = 256;
  size_t maxFormatsPerMedia = 256;
  size_t maxRepeatedLines = 32;  // e=, p=, c=, b=, t=, r= lines, each per section
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
struct SdpOrigin {
  std::string username;        // "-" when the host has no user ids
  std::string sessionId;       // digits, kept as text: may be wider than 64 bits
  std::string sessionVersion;  // digits, ditto
  std::string netType;         // "IN"
  std::string addrType;        // "IP4" or "IP6"
  std::string address;

  bool operator==(const SdpOrigin&) const = default;
};

// c=<nettype> <addrtype> <connection-address>, the address optionally followed by /ttl (IP4
// multicast) and /count (number of consecutive multicast addresses).
struct SdpConnection {
  std::string netType;
  std::string addrType;
  std::string address;          // without the /ttl/count suffix for IP4 and IP6
  std::optional<uint32_t> ttl;  // IP4 only
  std::optional<uint32_t> count;

  bool isIp4() const;
  bool isIp6() const;
  // 0.0.0.0 or ::, the RFC 2543 way of putting a call on hold.
  bool isUnspecified() const;

  bool operator==(const SdpConnection&) const = default;
};

// b=<bwtype>:<bandwidth>, e.g. AS:64 (kbit/s) or TIAS:64000 (bit/s).
struct SdpBandwidth {
  std::string type;
  uint64_t value = 0;

  bool operator==(const SdpBandwidth&) const = default;
};

// t=<start-time> <stop-time> and the r= lines that follow it (kept as written).
struct SdpTiming {
  uint64_t start = 0;
  uint64_t stop = 0;
  std::vector<std::string> repeats;

  bool operator==(const SdpTiming&) const = default;
};

// a=<name>[:<value>]; value is empty for property attributes such as a=sendrecv.
struct SdpAttribute {
  std::string name;
  std::string value;

  bool operator==(const SdpAttribute&) const = default;
};

enum class SdpDirection : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view sdpDirectionName(SdpDirection d);

// a=setup (RFC 4145), which end opens the DTLS/TCP connection.
enum class SdpSetup : uint8_t { kActive, kPassive, kActPass, kHoldConn };

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
struct SdpRtpMap {
  uint8_t payloadType = 0;
  std::string_view encoding;  // "PCMU", "opus", "telephone-event"...
  uint32_t clockRate = 0;
  uint32_t channels = 1;  // the audio encoding parameter; 1 when omitted
};

// a=fmtp:<format> <format specific parameters>
struct SdpFmtp {
  std::string_view format;
  std::string_view params;  // e.g. "0-16" or "profile-level-id=42e01f;packetization-mode=1"

  // Value of a `name=value` item of a ';'-separated list, names compared case-insensitively;
  // empty when absent.
  std::string_view param(std::string_view name) const;
};

// One key-param of a=crypto (RFC 4568 §9.2): "inline:<key||salt>[|<lifetime>][|<MKI>:<len>]".
struct SdpCryptoKey {
  std::string_view method;  // "inline"; other methods keep their key-info unparsed in `key`
  std::string_view key;     // base64 key||salt for "inline"
  std::optional<uint64_t> lifetime;  // in packets; "2^31" is stored as 2147483648
  std::string_view mki;              // MKI value (decimal digits), empty when absent
  uint32_t mkiLength = 0;            // MKI length in bytes, 1..128 when an MKI is present
};

// a=crypto:<tag> <crypto-suite> <key-params> *(SP <session-param>)
struct SdpCrypto {
  uint32_t tag = 0;
  std::string_view suite;  // "AES_CM_128_HMAC_SHA1_80"...
  std::vector<SdpCryptoKey> keys;
  std::vector<std::string_view> sessionParams;  // "UNENCRYPTED_SRTCP", "KDR=1"...
};

// a=fingerprint:<hash-func> <fingerprint> (RFC 8122).
struct SdpFingerprint {
  std::string_view hashFunction;  // "sha-256"...
  std::string_view fingerprint;   // colon-separated hex bytes as written
};

// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605).
struct SdpRtcp {
  uint16_t port = 0;
  std::string_view netType;  // these three are empty when the address is omitted
  std::string_view addrType;
  std::string_view address;
};

// Typed parsers for attribute values (the part after "a=name:"). nullopt when malformed.
std::optional<SdpRtpMap> parseSdpRtpMap(std::string_view value);
std::optional<SdpFmtp> parseSdpFmtp(std::string_view value);
std::optional<SdpCrypto> parseSdpCrypto(std::string_view value);
std::optional<SdpFingerprint> parseSdpFingerprint(std::string_view value);
std::optional<SdpSetup> parseSdpSetup(std::string_view value);
std::optional<SdpRtcp> parseSdpRtcp(std::string_view value);
// Packet time in whole milliseconds; a fractional part ("20.5") is accepted and dropped.
std::optional<uint32_t> parseSdpPtime(std::string_view value);

// The a= lines of one section, in order. Names compare case-insensitively on lookup.
class SdpAttributes {
 public:
  const std::vector<SdpAttribute>& items() const { return items_; }
  std::vector<SdpAttribute>& items() { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  bool has(std::string_view name) const { return find(name) != nullptr; }
  const SdpAttribute* find(std::string_view name) const;  // the first with that name
  std::string_view value(std::string_view name) const;    // its value, or empty
  void add(std::string name, std::string value = {});
  size_t removeAll(std::string_view name);

  // Typed accessors; nullopt (or empty) when absent or malformed.
  std::optional<SdpRtpMap> rtpmap(uint32_t payloadType) const;
  std::vector<SdpRtpMap> rtpmaps() const;
  std::optional<SdpFmtp> fmtp(std::string_view format) const;
  std::vector<SdpCrypto> cryptos() const;  // well-formed a=crypto lines, in order
  std::optional<SdpFingerprint> fingerprint() const;
  std::optional<SdpSetup> setup() const;
  std::optional<SdpDirection> direction() const;  // the first direction attribute
  std::optional<SdpRtcp> rtcp() const;
  std::optional<uint32_t> ptime() const;

  // Replaces every direction attribute with one of `d`.
  void setDirection(SdpDirection d);

  bool operator==(const SdpAttributes&) const = default;

 private:
  std::vector<SdpAttribute> items_;
};

// m=<media> <port>[/<count>] <proto> <fmt>... and the lines that follow it.
struct SdpMedia {
  std::string type;  // "audio", "video", "application", "image"...
  uint16_t port = 0;
  std::optional<uint32_t> portCount;
  std::string proto;  // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl"...
  std::vector<std::string> formats;
  std::optional<std::string> information;  // i=
  std::vector<SdpConnection> connections;  // c= (several only for layered multicast)
  std::vector<SdpBandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept as written)
  SdpAttributes attributes;

  // Port 0 rejects or disables the stream (RFC 3264 §6).
  bool isDisabled() const { return port == 0; }
  // RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP(F)...: media is SRTP-protected.
  bool isSecure() const;

  bool operator==(const SdpMedia&) const = default;
};

struct SessionDescription {
  // v= is always 0 and not stored.
  SdpOrigin origin;
  std::string sessionName;                 // s=
  std::optional<std::string> information;  // i=
  std::optional<std::string> uri;          // u=
  std::vector<std::string> emails;         // e=
  std::vector<std::string> phones;         // p=
  std::optional<SdpConnection> connection;
  std::vector<SdpBandwidth> bandwidths;
  std::vector<SdpTiming> timings;        // empty when the offer omitted t=
  std::optional<std::string> timeZones;  // z=, as written
  std::optional<std::string> key;        // k=
  SdpAttributes attributes;
  std::vector<SdpMedia> media;

  bool operator==(const SessionDescription&) const = default;
};

Result<SessionDescription> parseSdp(std::string_view body, const SdpLimits& limits = {});

// Writes v=0 then the model in RFC 8866 order, CRLF line ends.
std::string serializeSdp(const SessionDescription& sdp);

// The media section's first c= if it has one, else the session c=; nullptr when neither.
const SdpConnection* effectiveConnection(const SessionDescription& sdp, const SdpMedia& media);
// The media direction attribute, else the session one, else sendrecv (RFC 3264 §5.1).
SdpDirection effectiveDirection(const SessionDescription& sdp, const SdpMedia& media);

}  // namespace tg::sip
