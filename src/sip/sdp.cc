#include "sip/sdp.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "sip/scan.h"

namespace tg::sip {
namespace {

using std::string_view;
constexpr size_t npos = string_view::npos;

// RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
constexpr bool isSdpTokenChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
         c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
         (c >= 0x5E && c <= 0x7E);
}

bool isSdpToken(string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isSdpTokenChar);
}

// non-ws-string = 1*(VCHAR / %x80-FF)
bool isNonWsString(string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7F;
  });
}

// Takes the next space-separated field off the front of `rest`. Runs of spaces count as one
// separator: some endpoints pad lines, and the serializer normalises them anyway.
bool nextField(string_view& rest, string_view& field) {
  size_t b = 0;
  while (b < rest.size() && rest[b] == ' ') ++b;
  if (b == rest.size()) {
    rest = {};
    return false;
  }
  size_t e = rest.find(' ', b);
  if (e == npos) e = rest.size();
  field = rest.substr(b, e - b);
  rest = rest.substr(e);
  return true;
}

bool noMoreFields(string_view rest) { return rest.find_first_not_of(' ') == npos; }

// Splits `s` at the first `sep`; `after` is empty (and the result false) when it is absent.
bool splitAt(string_view s, char sep, string_view& before, string_view& after) {
  const size_t i = s.find(sep);
  before = s.substr(0, i);
  after = i == npos ? string_view{} : s.substr(i + 1);
  return i != npos;
}

// typed-time = 1*DIGIT [fixed-len-time-unit], optionally negative (z= offsets).
bool isTypedTime(string_view s, bool allowSign) {
  if (allowSign && !s.empty() && s.front() == '-') s.remove_prefix(1);
  if (!s.empty() && (s.back() == 'd' || s.back() == 'h' || s.back() == 'm' || s.back() == 's')) {
    s.remove_suffix(1);
  }
  return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}

bool isBase64(string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return isAlnum(c) || c == '+' || c == '/' || c == '=';
  });
}

void appendNumber(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

Result<SdpConnection> parseConnection(string_view value) {
  constexpr Error kBad{"malformed SDP c= line"};
  string_view rest = value, net, addrType, addr;
  if (!nextField(rest, net) || !nextField(rest, addrType) || !nextField(rest, addr) ||
      !noMoreFields(rest)) {
    return kBad;
  }
  if (!isSdpToken(net) || !isSdpToken(addrType) || !isNonWsString(addr)) return kBad;
  SdpConnection c;
  c.netType = net;
  c.addrType = addrType;
  const bool ip4 = equalsIgnoreCase(addrType, "IP4");
  if (!ip4 && !equalsIgnoreCase(addrType, "IP6")) {
    c.address = addr;  // an unknown address type: nothing more we can check
    return c;
  }
  string_view host, suffix;
  const bool hasSuffix = splitAt(addr, '/', host, suffix);
  if (host.empty()) return kBad;
  c.address = host;
  if (!hasSuffix) return c;
  string_view first, second;
  const bool hasSecond = splitAt(suffix, '/', first, second);
  string_view countText = first;
  if (ip4) {
    const auto ttl = parseDecimal(first, 255);
    if (!ttl) return Error{"bad SDP c= multicast ttl"};
    c.ttl = static_cast<uint32_t>(*ttl);
    if (!hasSecond) return c;
    countText = second;
  } else if (hasSecond) {
    return kBad;  // IP6 has no ttl, so only one '/' is allowed
  }
  const auto count = parseDecimal(countText, 65535);
  if (!count || *count == 0) return Error{"bad SDP c= address count"};
  c.count = static_cast<uint32_t>(*count);
  return c;
}

Result<SdpBandwidth> parseBandwidth(string_view value) {
  string_view type, amount;
  if (!splitAt(value, ':', type, amount) || !isSdpToken(type)) {
    return Error{"malformed SDP b= line"};
  }
  const auto v = parseDecimal(amount, UINT64_MAX);
  if (!v) return Error{"malformed SDP b= line"};
  return SdpBandwidth{std::string(type), *v};
}

Result<SdpOrigin> parseOrigin(string_view value) {
  constexpr Error kBad{"malformed SDP o= line"};
  string_view rest = value, f[6];
  for (auto& field : f) {
    if (!nextField(rest, field) || !isNonWsString(field)) return kBad;
  }
  if (!noMoreFields(rest)) return kBad;
  const auto digits = [](string_view s) { return std::all_of(s.begin(), s.end(), isDigit); };
  if (!digits(f[1]) || !digits(f[2]) || !isSdpToken(f[3]) || !isSdpToken(f[4])) return kBad;
  return SdpOrigin{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                   std::string(f[3]), std::string(f[4]), std::string(f[5])};
}

Result<SdpTiming> parseTiming(string_view value) {
  string_view rest = value, start, stop;
  if (!nextField(rest, start) || !nextField(rest, stop) || !noMoreFields(rest)) {
    return Error{"malformed SDP t= line"};
  }
  const auto b = parseDecimal(start, UINT64_MAX);
  const auto e = parseDecimal(stop, UINT64_MAX);
  if (!b || !e) return Error{"malformed SDP t= line"};
  SdpTiming t;
  t.start = *b;
  t.stop = *e;
  return t;
}

// r=<repeat interval> <active duration> <offsets from start-time>
bool isValidRepeat(string_view value) {
  string_view rest = value, field;
  size_t n = 0;
  while (nextField(rest, field)) {
    if (!isTypedTime(field, false)) return false;
    ++n;
  }
  return n >= 3;
}

// z=<adjustment time> <offset> [<adjustment time> <offset> ...]
bool isValidTimeZones(string_view value) {
  string_view rest = value, time, offset;
  size_t n = 0;
  while (nextField(rest, time)) {
    if (!nextField(rest, offset)) return false;
    if (!std::all_of(time.begin(), time.end(), isDigit) || !isTypedTime(offset, true)) {
      return false;
    }
    ++n;
  }
  return n >= 1;
}

// proto = token *("/" token)
bool isValidProto(string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = s.find('/', start);
    if (!isSdpToken(s.substr(start, slash == npos ? npos : slash - start))) return false;
    if (slash == npos) return true;
    start = slash + 1;
  }
}

Result<SdpMedia> parseMediaLine(string_view value, size_t maxFormats) {
  constexpr Error kBad{"malformed SDP m= line"};
  string_view rest = value, type, portField, proto, fmt;
  if (!nextField(rest, type) || !nextField(rest, portField) || !nextField(rest, proto)) {
    return kBad;
  }
  if (!isSdpToken(type) || !isValidProto(proto)) return kBad;
  SdpMedia m;
  m.type = type;
  m.proto = proto;
  string_view portText, countText;
  const bool hasCount = splitAt(portField, '/', portText, countText);
  const auto port = parseDecimal(portText, 65535);
  if (!port) return Error{"bad SDP m= port"};
  m.port = static_cast<uint16_t>(*port);
  if (hasCount) {
    const auto count = parseDecimal(countText, 65535);
    if (!count || *count == 0) return Error{"bad SDP m= port count"};
    m.portCount = static_cast<uint32_t>(*count);
  }
  while (nextField(rest, fmt)) {
    if (!isSdpToken(fmt)) return kBad;
    if (m.formats.size() >= maxFormats) return Error{"too many SDP media formats"};
    m.formats.emplace_back(fmt);
  }
  if (m.formats.empty()) return Error{"SDP m= line has no formats"};
  return m;
}

string_view addAttribute(SdpAttributes& attrs, string_view value, const SdpLimits& limits) {
  string_view name, attrValue;
  if (!splitAt(value, ':', name, attrValue)) {
    // Trailing blanks after a property attribute ("a=sendrecv ") are common and harmless.
    while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
  }
  if (!isSdpToken(name)) return "malformed SDP a= line";
  if (attrs.size() >= limits.maxAttributesPerSection) return "too many SDP attributes";
  attrs.add(std::string(name), std::string(attrValue));
  return {};
}

// u=, e=, p= and k= need a value; s= and i= may be empty (some endpoints send "s=").
constexpr string_view kEmptyField = "empty SDP field";

template <typename T>
string_view addRepeated(std::vector<T>& list, T item, const SdpLimits& limits) {
  if (list.size() >= limits.maxRepeatedLines) return "too many repeated SDP lines";
  list.push_back(std::move(item));
  return {};
}

struct SessionState {
  bool origin = false;
  bool name = false;
};

string_view parseSessionField(char type, string_view value, SessionDescription& sdp,
                              SessionState& state, const SdpLimits& limits) {
  switch (type) {
    case 'v':
      return "duplicate SDP v= line";
    case 'o': {
      if (state.origin) return "duplicate SDP o= line";
      auto o = parseOrigin(value);
      if (!o) return o.error();
      sdp.origin = std::move(*o);
      state.origin = true;
      return {};
    }
    case 's':
      if (state.name) return "duplicate SDP s= line";
      sdp.sessionName = value;
      state.name = true;
      return {};
    case 'i':
      if (sdp.information) return "duplicate SDP i= line";
      sdp.information.emplace(value);
      return {};
    case 'u':
      if (sdp.uri) return "duplicate SDP u= line";
      if (value.empty()) return kEmptyField;
      sdp.uri.emplace(value);
      return {};
    case 'e':
      if (value.empty()) return kEmptyField;
      return addRepeated(sdp.emails, std::string(value), limits);
    case 'p':
      if (value.empty()) return kEmptyField;
      return addRepeated(sdp.phones, std::string(value), limits);
    case 'c': {
      if (sdp.connection) return "duplicate SDP c= line";
      auto c = parseConnection(value);
      if (!c) return c.error();
      sdp.connection = std::move(*c);
      return {};
    }
    case 'b': {
      auto b = parseBandwidth(value);
      if (!b) return b.error();
      return addRepeated(sdp.bandwidths, std::move(*b), limits);
    }
    case 't': {
      auto t = parseTiming(value);
      if (!t) return t.error();
      return addRepeated(sdp.timings, std::move(*t), limits);
    }
    case 'r':
      if (sdp.timings.empty()) return "SDP r= line without t= line";
      if (!isValidRepeat(value)) return "malformed SDP r= line";
      return addRepeated(sdp.timings.back().repeats, std::string(value), limits);
    case 'z':
      if (sdp.timeZones) return "duplicate SDP z= line";
      if (!isValidTimeZones(value)) return "malformed SDP z= line";
      sdp.timeZones.emplace(value);
      return {};
    case 'k':
      if (sdp.key) return "duplicate SDP k= line";
      if (value.empty()) return kEmptyField;
      sdp.key.emplace(value);
      return {};
    case 'a':
      return addAttribute(sdp.attributes, value, limits);
    default:
      return {};  // an unknown type letter: dropped, never forwarded
  }
}

string_view parseMediaField(char type, string_view value, SdpMedia& media,
                            const SdpLimits& limits) {
  switch (type) {
    case 'i':
      if (media.information) return "duplicate SDP i= line";
      media.information.emplace(value);
      return {};
    case 'c': {
      auto c = parseConnection(value);
      if (!c) return c.error();
      return addRepeated(media.connections, std::move(*c), limits);
    }
    case 'b': {
      auto b = parseBandwidth(value);
      if (!b) return b.error();
      return addRepeated(media.bandwidths, std::move(*b), limits);
    }
    case 'k':
      if (media.key) return "duplicate SDP k= line";
      if (value.empty()) return kEmptyField;
      media.key.emplace(value);
      return {};
    case 'a':
      return addAttribute(media.attributes, value, limits);
    case 'v':
    case 'o':
    case 's':
    case 'u':
    case 'e':
    case 'p':
    case 't':
    case 'r':
    case 'z':
      return "SDP session-level line in media section";
    default:
      return {};
  }
}

void appendLine(std::string& out, char type, string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void appendConnection(std::string& out, const SdpConnection& c) {
  out += "c=";
  out += c.netType;
  out += ' ';
  out += c.addrType;
  out += ' ';
  out += c.address;
  if (c.ttl) {
    out += '/';
    appendNumber(out, *c.ttl);
  }
  if (c.count) {
    out += '/';
    appendNumber(out, *c.count);
  }
  out += "\r\n";
}

void appendBandwidths(std::string& out, const std::vector<SdpBandwidth>& list) {
  for (const auto& b : list) {
    out += "b=";
    out += b.type;
    out += ':';
    appendNumber(out, b.value);
    out += "\r\n";
  }
}

void appendAttributes(std::string& out, const SdpAttributes& attrs) {
  for (const auto& a : attrs.items()) {
    out += "a=";
    out += a.name;
    if (!a.value.empty()) {
      out += ':';
      out += a.value;
    }
    out += "\r\n";
  }
}

constexpr string_view kDirectionNames[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

std::optional<SdpDirection> directionFromName(string_view name) {
  for (size_t i = 0; i < std::size(kDirectionNames); ++i) {
    if (equalsIgnoreCase(name, kDirectionNames[i])) return static_cast<SdpDirection>(i);
  }
  return std::nullopt;
}

std::optional<SdpCryptoKey> parseCryptoKey(string_view keyParam) {
  string_view method, info;
  if (!splitAt(keyParam, ':', method, info) || !isSdpToken(method) || info.empty()) {
    return std::nullopt;
  }
  SdpCryptoKey k;
  k.method = method;
  if (!equalsIgnoreCase(method, "inline")) {
    k.key = info;
    return k;
  }
  string_view rest;
  bool more = splitAt(info, '|', k.key, rest);
  if (!isBase64(k.key)) return std::nullopt;
  bool sawMki = false;
  while (more) {
    string_view part;
    more = splitAt(rest, '|', part, rest);
    if (sawMki) return std::nullopt;  // nothing may follow the MKI
    string_view mki, mkiLength;
    if (splitAt(part, ':', mki, mkiLength)) {
      const auto len = parseDecimal(mkiLength, 128);
      if (mki.empty() || mki.size() > 128 || !std::all_of(mki.begin(), mki.end(), isDigit) ||
          !len || *len == 0) {
        return std::nullopt;
      }
      k.mki = mki;
      k.mkiLength = static_cast<uint32_t>(*len);
      sawMki = true;
    } else {
      if (k.lifetime) return std::nullopt;
      if (part.size() > 2 && part[0] == '2' && part[1] == '^') {
        const auto exp = parseDecimal(part.substr(2), 63);
        if (!exp) return std::nullopt;
        k.lifetime = uint64_t{1} << *exp;
      } else {
        k.lifetime = parseDecimal(part, UINT64_MAX);
        if (!k.lifetime) return std::nullopt;
      }
    }
  }
  return k;
}

}  // namespace

// --- connection, media ---------------------------------------------------------------------

bool SdpConnection::isIp4() const { return equalsIgnoreCase(addrType, "IP4"); }
bool SdpConnection::isIp6() const { return equalsIgnoreCase(addrType, "IP6"); }
bool SdpConnection::isUnspecified() const {
  return (isIp4() && address == "0.0.0.0") || (isIp6() && address == "::");
}

bool SdpMedia::isSecure() const {
  string_view rest = proto, part;
  while (true) {
    const bool more = splitAt(rest, '/', part, rest);
    if (equalsIgnoreCase(part, "SAVP") || equalsIgnoreCase(part, "SAVPF")) return true;
    if (!more) return false;
  }
}

std::string_view sdpDirectionName(SdpDirection d) {
  return kDirectionNames[static_cast<size_t>(d)];
}

// --- typed attribute values ---------------------------------------------------------------

std::optional<SdpRtpMap> parseSdpRtpMap(std::string_view value) {
  string_view rest = value, pt, encoding;
  if (!nextField(rest, pt) || !nextField(rest, encoding) || !noMoreFields(rest)) {
    return std::nullopt;
  }
  const auto payloadType = parseDecimal(pt, 127);
  string_view name, clock, rate, channels;
  if (!payloadType || !splitAt(encoding, '/', name, clock) || !isSdpToken(name)) {
    return std::nullopt;
  }
  const bool hasChannels = splitAt(clock, '/', rate, channels);
  const auto clockRate = parseDecimal(rate);
  if (!clockRate) return std::nullopt;
  SdpRtpMap m;
  m.payloadType = static_cast<uint8_t>(*payloadType);
  m.encoding = name;
  m.clockRate = static_cast<uint32_t>(*clockRate);
  if (hasChannels) {
    const auto n = parseDecimal(channels, 255);
    if (!n || *n == 0) return std::nullopt;
    m.channels = static_cast<uint32_t>(*n);
  }
  return m;
}

std::optional<SdpFmtp> parseSdpFmtp(std::string_view value) {
  string_view rest = value, format;
  if (!nextField(rest, format) || !isSdpToken(format)) return std::nullopt;
  return SdpFmtp{format, trim(rest)};
}

std::string_view SdpFmtp::param(std::string_view name) const {
  string_view rest = params, item;
  while (!rest.empty()) {
    splitAt(rest, ';', item, rest);
    string_view key, val;
    splitAt(item, '=', key, val);
    if (equalsIgnoreCase(trim(key), name)) return trim(val);
  }
  return {};
}

std::optional<SdpCrypto> parseSdpCrypto(std::string_view value) {
  string_view rest = value, tag, suite, keyParams, param;
  if (!nextField(rest, tag) || !nextField(rest, suite) || !nextField(rest, keyParams)) {
    return std::nullopt;
  }
  const auto tagValue = parseDecimal(tag, 999999999);
  if (!tagValue || !isSdpToken(suite)) return std::nullopt;
  SdpCrypto c;
  c.tag = static_cast<uint32_t>(*tagValue);
  c.suite = suite;
  string_view keys = keyParams, keyParam;
  bool more = true;
  while (more) {
    more = splitAt(keys, ';', keyParam, keys);
    auto k = parseCryptoKey(keyParam);
    if (!k) return std::nullopt;
    c.keys.push_back(*k);
  }
  while (nextField(rest, param)) {
    if (!isNonWsString(param)) return std::nullopt;
    c.sessionParams.push_back(param);
  }
  return c;
}

std::optional<SdpFingerprint> parseSdpFingerprint(std::string_view value) {
  string_view rest = value, hash, fp;
  if (!nextField(rest, hash) || !nextField(rest, fp) || !noMoreFields(rest) || !isSdpToken(hash)) {
    return std::nullopt;
  }
  // 2HEX *(":" 2HEX)
  if ((fp.size() + 1) % 3 != 0) return std::nullopt;
  for (size_t i = 0; i < fp.size(); ++i) {
    if (i % 3 == 2 ? fp[i] != ':' : !isHex(fp[i])) return std::nullopt;
  }
  return SdpFingerprint{hash, fp};
}

std::optional<SdpSetup> parseSdpSetup(std::string_view value) {
  const string_view v = trim(value);
  if (equalsIgnoreCase(v, "active")) return SdpSetup::kActive;
  if (equalsIgnoreCase(v, "passive")) return SdpSetup::kPassive;
  if (equalsIgnoreCase(v, "actpass")) return SdpSetup::kActPass;
  if (equalsIgnoreCase(v, "holdconn")) return SdpSetup::kHoldConn;
  return std::nullopt;
}

std::optional<SdpRtcp> parseSdpRtcp(std::string_view value) {
  string_view rest = value, port;
  if (!nextField(rest, port)) return std::nullopt;
  const auto p = parseDecimal(port, 65535);
  if (!p) return std::nullopt;
  SdpRtcp r;
  r.port = static_cast<uint16_t>(*p);
  if (noMoreFields(rest)) return r;
  if (!nextField(rest, r.netType) || !nextField(rest, r.addrType) || !nextField(rest, r.address) ||
      !noMoreFields(rest) || !isSdpToken(r.netType) || !isSdpToken(r.addrType) ||
      !isNonWsString(r.address)) {
    return std::nullopt;
  }
  return r;
}

std::optional<uint32_t> parseSdpPtime(std::string_view value) {
  string_view whole, fraction;
  if (splitAt(trim(value), '.', whole, fraction) &&
      (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), isDigit))) {
    return std::nullopt;
  }
  const auto ms = parseDecimal(whole);
  if (!ms) return std::nullopt;
  return static_cast<uint32_t>(*ms);
}

// --- attribute list -----------------------------------------------------------------------

const SdpAttribute* SdpAttributes::find(std::string_view name) const {
  for (const auto& a : items_) {
    if (equalsIgnoreCase(a.name, name)) return &a;
  }
  return nullptr;
}

std::string_view SdpAttributes::value(std::string_view name) const {
  const SdpAttribute* a = find(name);
  return a ? string_view(a->value) : string_view{};
}

void SdpAttributes::add(std::string name, std::string value) {
  items_.push_back(SdpAttribute{std::move(name), std::move(value)});
}

size_t SdpAttributes::removeAll(std::string_view name) {
  const size_t before = items_.size();
  items_.erase(
      std::remove_if(items_.begin(), items_.end(),
                     [&](const SdpAttribute& a) { return equalsIgnoreCase(a.name, name); }),
      items_.end());
  return before - items_.size();
}

std::optional<SdpRtpMap> SdpAttributes::rtpmap(uint32_t payloadType) const {
  for (const auto& a : items_) {
    if (!equalsIgnoreCase(a.name, "rtpmap")) continue;
    auto m = parseSdpRtpMap(a.value);
    if (m && m->payloadType == payloadType) return m;
  }
  return std::nullopt;
}

std::vector<SdpRtpMap> SdpAttributes::rtpmaps() const {
  std::vector<SdpRtpMap> out;
  for (const auto& a : items_) {
    if (!equalsIgnoreCase(a.name, "rtpmap")) continue;
    if (auto m = parseSdpRtpMap(a.value)) out.push_back(*m);
  }
  return out;
}

std::optional<SdpFmtp> SdpAttributes::fmtp(std::string_view format) const {
  for (const auto& a : items_) {
    if (!equalsIgnoreCase(a.name, "fmtp")) continue;
    auto f = parseSdpFmtp(a.value);
    if (f && f->format == format) return f;
  }
  return std::nullopt;
}

std::vector<SdpCrypto> SdpAttributes::cryptos() const {
  std::vector<SdpCrypto> out;
  for (const auto& a : items_) {
    if (!equalsIgnoreCase(a.name, "crypto")) continue;
    if (auto c = parseSdpCrypto(a.value)) out.push_back(std::move(*c));
  }
  return out;
}

std::optional<SdpFingerprint> SdpAttributes::fingerprint() const {
  const SdpAttribute* a = find("fingerprint");
  return a ? parseSdpFingerprint(a->value) : std::nullopt;
}

std::optional<SdpSetup> SdpAttributes::setup() const {
  const SdpAttribute* a = find("setup");
  return a ? parseSdpSetup(a->value) : std::nullopt;
}

std::optional<SdpDirection> SdpAttributes::direction() const {
  for (const auto& a : items_) {
    if (auto d = directionFromName(a.name)) return d;
  }
  return std::nullopt;
}

std::optional<SdpRtcp> SdpAttributes::rtcp() const {
  const SdpAttribute* a = find("rtcp");
  return a ? parseSdpRtcp(a->value) : std::nullopt;
}

std::optional<uint32_t> SdpAttributes::ptime() const {
  const SdpAttribute* a = find("ptime");
  return a ? parseSdpPtime(a->value) : std::nullopt;
}

void SdpAttributes::setDirection(SdpDirection d) {
  items_.erase(
      std::remove_if(items_.begin(), items_.end(),
                     [](const SdpAttribute& a) { return directionFromName(a.name).has_value(); }),
      items_.end());
  add(std::string(sdpDirectionName(d)));
}

// --- parse / serialize --------------------------------------------------------------------

Result<SessionDescription> parseSdp(std::string_view body, const SdpLimits& limits) {
  if (body.size() > limits.maxBodySize) return Error{"SDP body exceeds size limit"};
  SessionDescription sdp;
  SessionState state;
  SdpMedia* media = nullptr;
  bool sawVersion = false;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t nl = body.find('\n', pos);
    string_view line = body.substr(pos, nl == npos ? npos : nl - pos);
    pos = nl == npos ? body.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      // Blank lines are tolerated only as trailing padding.
      if (body.find_first_not_of("\r\n", pos) == npos) break;
      return Error{"empty line in SDP"};
    }
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return Error{"malformed SDP line"};
    }
    const char type = line[0];
    const string_view value = line.substr(2);
    if (value.find('\0') != npos || value.find('\r') != npos) {
      return Error{"control character in SDP line"};
    }
    if (!sawVersion) {
      if (type != 'v') return Error{"SDP does not start with v="};
      if (value != "0") return Error{"unsupported SDP version"};
      sawVersion = true;
      continue;
    }
    if (type == 'm') {
      if (!state.origin) return Error{"SDP missing o= line"};
      if (!state.name) return Error{"SDP missing s= line"};
      if (sdp.media.size() >= limits.maxMediaSections) {
        return Error{"too many SDP media sections"};
      }
      auto m = parseMediaLine(value, limits.maxFormatsPerMedia);
      if (!m) return Error{m.error()};
      sdp.media.push_back(std::move(*m));
      media = &sdp.media.back();
      continue;
    }
    const string_view err = media ? parseMediaField(type, value, *media, limits)
                                  : parseSessionField(type, value, sdp, state, limits);
    if (!err.empty()) return Error{err};
  }
  if (!sawVersion) return Error{"SDP does not start with v="};
  if (!state.origin) return Error{"SDP missing o= line"};
  if (!state.name) return Error{"SDP missing s= line"};
  return sdp;
}

std::string serializeSdp(const SessionDescription& sdp) {
  std::string out;
  out.reserve(256 + 256 * sdp.media.size());
  out += "v=0\r\n";
  const SdpOrigin& o = sdp.origin;
  out += "o=";
  for (const std::string* f :
       {&o.username, &o.sessionId, &o.sessionVersion, &o.netType, &o.addrType, &o.address}) {
    out += *f;
    out += f == &o.address ? "\r\n" : " ";
  }
  appendLine(out, 's', sdp.sessionName);
  if (sdp.information) appendLine(out, 'i', *sdp.information);
  if (sdp.uri) appendLine(out, 'u', *sdp.uri);
  for (const auto& e : sdp.emails) appendLine(out, 'e', e);
  for (const auto& p : sdp.phones) appendLine(out, 'p', p);
  if (sdp.connection) appendConnection(out, *sdp.connection);
  appendBandwidths(out, sdp.bandwidths);
  for (const auto& t : sdp.timings) {
    out += "t=";
    appendNumber(out, t.start);
    out += ' ';
    appendNumber(out, t.stop);
    out += "\r\n";
    for (const auto& r : t.repeats) appendLine(out, 'r', r);
  }
  if (sdp.timeZones) appendLine(out, 'z', *sdp.timeZones);
  if (sdp.key) appendLine(out, 'k', *sdp.key);
  appendAttributes(out, sdp.attributes);
  for (const auto& m : sdp.media) {
    out += "m=";
    out += m.type;
    out += ' ';
    appendNumber(out, m.port);
    if (m.portCount) {
      out += '/';
      appendNumber(out, *m.portCount);
    }
    out += ' ';
    out += m.proto;
    for (const auto& f : m.formats) {
      out += ' ';
      out += f;
    }
    out += "\r\n";
    if (m.information) appendLine(out, 'i', *m.information);
    for (const auto& c : m.connections) appendConnection(out, c);
    appendBandwidths(out, m.bandwidths);
    if (m.key) appendLine(out, 'k', *m.key);
    appendAttributes(out, m.attributes);
  }
  return out;
}

const SdpConnection* effectiveConnection(const SessionDescription& sdp, const SdpMedia& media) {
  if (!media.connections.empty()) return &media.connections.front();
  return sdp.connection ? &*sdp.connection : nullptr;
}

SdpDirection effectiveDirection(const SessionDescription& sdp, const SdpMedia& media) {
  if (auto d = media.attributes.direction()) return *d;
  return sdp.attributes.direction().value_or(SdpDirection::kSendRecv);
}

}  // namespace tg::sip
