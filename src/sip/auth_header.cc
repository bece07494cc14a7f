#include "sip/auth_header.h"

#include <initializer_list>

#include "sip/scan.h"

namespace tg::sip {

namespace {

constexpr bool isCtl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Bare values: RFC 3261 tokens, plus the characters broken-but-common peers leave unquoted in
// URIs and base64 nonces. Nothing here can end a value early or start a quoted string.
constexpr bool isBareValueChar(char c) {
  if (isTokenChar(c)) return true;
  switch (c) {
    case '/':
    case ':':
    case '@':
    case '=':
    case '?':
    case '[':
    case ']':
      return true;
    default:
      return false;
  }
}

bool isBareValue(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isBareValueChar(c)) return false;
  }
  return true;
}

// Walks `text` resolving quoted-pairs; fn(char) receives each resulting character. A lone
// trailing backslash is taken literally.
template <typename Fn>
void forEachUnescaped(std::string_view text, Fn&& fn) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    fn(text[i]);
  }
}

std::string resolveEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  forEachUnescaped(text, [&](char c) { out.push_back(c); });
  return out;
}

std::string_view parseBool(std::string_view text, bool& out) {
  if (equalsIgnoreCase(text, "true")) {
    out = true;
  } else if (equalsIgnoreCase(text, "false")) {
    out = false;
  } else {
    return "expected true or false";
  }
  return {};
}

bool isNonceCount(std::string_view text) {
  if (text.size() != 8) return false;
  for (char c : text) {
    if (!isHex(c)) return false;
  }
  return true;
}

// qop-options: a comma list of tokens; empty elements are tolerated (RFC 7230 §7).
bool isQopList(std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = trim(text.substr(start, comma - start));
    if (!item.empty() && !isToken(item)) return false;
    start = comma + 1;
  }
  return true;
}

struct Head {
  std::string_view scheme;
  std::string_view rawParams;
  bool digest = false;
};

Result<Head> parseHead(std::string_view value) {
  const std::string_view v = trim(value);
  if (v.empty()) return Error{"empty authentication header value"};
  size_t i = 0;
  while (i < v.size() && isTokenChar(v[i])) ++i;
  if (i == 0) return Error{"invalid authentication scheme"};
  if (i < v.size() && !isLws(v[i]))
    return Error{"expected white space after authentication scheme"};
  Head head;
  head.scheme = v.substr(0, i);
  head.rawParams = trim(v.substr(i));
  head.digest = equalsIgnoreCase(head.scheme, "Digest");
  if (!head.digest) {
    // Kept verbatim and possibly written back out, so it must not carry line breaks.
    for (char c : head.rawParams) {
      if (isCtl(c) && c != '\t') return Error{"control character in authentication parameters"};
    }
  }
  return head;
}

// Scans `name=value` auth-params separated by commas, calling onParam(name, AuthValue) which
// returns an error reason or empty. Returns an error reason or empty.
template <typename OnParam>
std::string_view scanParams(std::string_view text, OnParam&& onParam) {
  const size_t n = text.size();
  size_t i = 0;
  auto skipLws = [&] {
    while (i < n && isLws(text[i])) ++i;
  };
  std::array<std::string_view, kMaxAuthParams> seen{};
  size_t count = 0;
  for (;;) {
    skipLws();
    if (i == n) return {};
    if (text[i] == ',') {  // empty list element
      ++i;
      continue;
    }
    const size_t nameStart = i;
    while (i < n && isTokenChar(text[i])) ++i;
    if (i == nameStart) return "invalid auth-param name";
    const std::string_view name = text.substr(nameStart, i - nameStart);
    skipLws();
    if (i == n || text[i] != '=') return "missing '=' after auth-param name";
    ++i;
    skipLws();
    if (i == n) return "missing auth-param value";
    AuthValue value;
    value.present = true;
    if (text[i] == '"') {
      const size_t start = ++i;
      for (;;) {
        if (i == n) return "unterminated quoted string";
        const char c = text[i];
        if (c == '"') break;
        if (c == '\\') {
          if (i + 1 == n) return "unterminated quoted string";
          if (isCtl(text[i + 1]) && text[i + 1] != '\t')
            return "control character in quoted string";
          value.escaped = true;
          i += 2;
          continue;
        }
        if (isCtl(c) && c != '\t') return "control character in quoted string";
        ++i;
      }
      value.text = text.substr(start, i - start);
      value.quoted = true;
      ++i;  // closing quote
    } else {
      const size_t start = i;
      while (i < n && isBareValueChar(text[i])) ++i;
      if (i == start) return "invalid auth-param value";
      value.text = text.substr(start, i - start);
    }
    if (value.text.size() > kMaxAuthValueSize) return "auth-param value too long";
    if (count == kMaxAuthParams) return "too many auth-params";
    for (size_t k = 0; k < count; ++k) {
      if (equalsIgnoreCase(seen[k], name)) return "duplicate auth-param";
    }
    seen[count++] = name;
    if (std::string_view err = onParam(name, value); !err.empty()) return err;
    skipLws();
    if (i < n) {
      if (text[i] != ',') return "expected ',' between auth-params";
      ++i;
    }
  }
}

// Writes `v` inside double quotes: escapes resolved and redone, so the output is well formed
// whatever the caller put in; control characters other than HTAB are dropped.
void appendQuoted(std::string& out, const AuthValue& v) {
  out.push_back('"');
  auto put = [&](char c) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (!isCtl(c) || c == '\t') {
      out.push_back(c);
    }
  };
  if (v.escaped) {
    forEachUnescaped(v.text, put);
  } else {
    for (char c : v.text) put(c);
  }
  out.push_back('"');
}

// Token-valued parameters go bare; anything that is not a token is quoted rather than lost.
void appendBare(std::string& out, const AuthValue& v) {
  if (!v.escaped && isToken(v.text)) {
    out.append(v.text);
  } else {
    appendQuoted(out, v);
  }
}

class ParamWriter {
 public:
  ParamWriter(std::string& out, std::string_view scheme) : out_(out) { out_.append(scheme); }

  void quoted(std::string_view name, const AuthValue& v) {
    if (!v.present) return;
    start(name);
    appendQuoted(out_, v);
  }
  void bare(std::string_view name, const AuthValue& v) {
    if (!v.present) return;
    start(name);
    appendBare(out_, v);
  }
  void flag(std::string_view name, bool set) {
    if (!set) return;
    start(name);
    out_.append("true");
  }
  void unknown(const UnknownAuthParams& params) {
    for (const AuthParam& p : params) {
      if (!p.value.present || !isToken(p.name)) continue;
      start(p.name);
      if (!p.value.quoted && !p.value.escaped && isBareValue(p.value.text)) {
        out_.append(p.value.text);
      } else {
        appendQuoted(out_, p.value);
      }
    }
  }

 private:
  void start(std::string_view name) {
    out_.append(first_ ? " " : ", ");
    first_ = false;
    out_.append(name);
    out_.push_back('=');
  }

  std::string& out_;
  bool first_ = true;
};

// A non-Digest scheme goes out as it came in, minus anything that could break the line.
void appendOpaque(std::string& out, std::string_view scheme, std::string_view rawParams) {
  out.reserve(scheme.size() + 1 + rawParams.size());
  auto put = [&](std::string_view s) {
    for (char c : s) {
      if (!isCtl(c) || c == '\t') out.push_back(c);
    }
  };
  put(scheme);
  if (!rawParams.empty()) {
    out.push_back(' ');
    put(rawParams);
  }
}

size_t sizeHint(std::initializer_list<const AuthValue*> values, const UnknownAuthParams& unknown) {
  size_t total = 64;
  for (const AuthValue* v : values) total += v->text.size() + 16;
  for (const AuthParam& p : unknown) total += p.name.size() + p.value.text.size() + 8;
  return total;
}

}  // namespace

std::string AuthValue::str() const { return escaped ? resolveEscapes(text) : std::string(text); }

bool AuthValue::equals(std::string_view plain) const {
  if (!escaped) return text == plain;
  size_t j = 0;
  bool same = true;
  forEachUnescaped(text, [&](char c) {
    if (j >= plain.size() || plain[j] != c) same = false;
    ++j;
  });
  return same && j == plain.size();
}

const AuthParam* UnknownAuthParams::find(std::string_view name) const {
  for (const AuthParam& p : *this) {
    if (equalsIgnoreCase(p.name, name)) return &p;
  }
  return nullptr;
}

bool UnknownAuthParams::add(std::string_view name, AuthValue value) {
  if (size_ == items_.size()) return false;
  items_[size_++] = AuthParam{name, value};
  return true;
}

bool Credentials::isDigest() const { return equalsIgnoreCase(scheme, "Digest"); }

std::string_view Credentials::missingRequired() const {
  if (!isDigest()) return {};
  if (!username.present) return "username";
  if (!realm.present) return "realm";
  if (!nonce.present) return "nonce";
  if (!uri.present) return "uri";
  if (!response.present) return "response";
  if (qop.present) {
    if (!cnonce.present) return "cnonce";
    if (!nc.present) return "nc";
  }
  return {};
}

bool Challenge::isDigest() const { return equalsIgnoreCase(scheme, "Digest"); }

bool Challenge::offersQop(std::string_view qopValue) const {
  if (!qop.present) return false;
  const std::string_view text = qop.text;  // validated as a token list: no escapes
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (equalsIgnoreCase(trim(text.substr(start, comma - start)), qopValue)) return true;
    start = comma + 1;
  }
  return false;
}

std::string_view Challenge::missingRequired() const {
  if (!isDigest()) return {};
  if (!realm.present) return "realm";
  if (!nonce.present) return "nonce";
  return {};
}

Result<Credentials> parseCredentials(std::string_view value) {
  Result<Head> head = parseHead(value);
  if (!head) return Error{head.error()};
  Credentials c;
  c.scheme = head->scheme;
  c.rawParams = head->rawParams;
  if (!head->digest) return c;
  const std::string_view err =
      scanParams(c.rawParams, [&c](std::string_view name, const AuthValue& v) -> std::string_view {
        auto is = [&](std::string_view known) { return equalsIgnoreCase(name, known); };
        if (is("username")) {
          c.username = v;
        } else if (is("realm")) {
          c.realm = v;
        } else if (is("nonce")) {
          c.nonce = v;
        } else if (is("uri")) {
          c.uri = v;
        } else if (is("response")) {
          c.response = v;
        } else if (is("algorithm")) {
          if (!isToken(v.text)) return "invalid algorithm";
          c.algorithm = v;
        } else if (is("cnonce")) {
          c.cnonce = v;
        } else if (is("opaque")) {
          c.opaque = v;
        } else if (is("qop")) {
          if (!isToken(v.text)) return "invalid qop";
          c.qop = v;
        } else if (is("nc")) {
          if (!isNonceCount(v.text)) return "invalid nc: expected 8 hex digits";
          c.nc = v;
        } else if (is("userhash")) {
          if (!parseBool(v.text, c.userhash).empty())
            return "invalid userhash: expected true or false";
        } else if (!c.unknown.add(name, v)) {
          return "too many unknown auth-params";
        }
        return {};
      });
  if (!err.empty()) return Error{err};
  return c;
}

Result<Challenge> parseChallenge(std::string_view value) {
  Result<Head> head = parseHead(value);
  if (!head) return Error{head.error()};
  Challenge ch;
  ch.scheme = head->scheme;
  ch.rawParams = head->rawParams;
  if (!head->digest) return ch;
  const std::string_view err = scanParams(
      ch.rawParams, [&ch](std::string_view name, const AuthValue& v) -> std::string_view {
        auto is = [&](std::string_view known) { return equalsIgnoreCase(name, known); };
        if (is("realm")) {
          ch.realm = v;
        } else if (is("domain")) {
          ch.domain = v;
        } else if (is("nonce")) {
          ch.nonce = v;
        } else if (is("opaque")) {
          ch.opaque = v;
        } else if (is("algorithm")) {
          if (!isToken(v.text)) return "invalid algorithm";
          ch.algorithm = v;
        } else if (is("qop")) {
          if (v.escaped || !isQopList(v.text)) return "invalid qop";
          ch.qop = v;
        } else if (is("stale")) {
          if (!parseBool(v.text, ch.stale).empty()) return "invalid stale: expected true or false";
        } else if (is("userhash")) {
          if (!parseBool(v.text, ch.userhash).empty())
            return "invalid userhash: expected true or false";
        } else if (!ch.unknown.add(name, v)) {
          return "too many unknown auth-params";
        }
        return {};
      });
  if (!err.empty()) return Error{err};
  return ch;
}

std::string formatCredentials(const Credentials& c) {
  std::string out;
  if (!c.isDigest()) {
    appendOpaque(out, c.scheme, c.rawParams);
    return out;
  }
  out.reserve(sizeHint({&c.username, &c.realm, &c.nonce, &c.uri, &c.response, &c.algorithm,
                        &c.cnonce, &c.opaque, &c.qop, &c.nc},
                       c.unknown));
  ParamWriter w(out, c.scheme);
  w.quoted("username", c.username);
  w.quoted("realm", c.realm);
  w.quoted("nonce", c.nonce);
  w.quoted("uri", c.uri);
  w.quoted("response", c.response);
  w.bare("algorithm", c.algorithm);
  w.quoted("cnonce", c.cnonce);
  w.quoted("opaque", c.opaque);
  w.bare("qop", c.qop);
  w.bare("nc", c.nc);
  w.flag("userhash", c.userhash);
  w.unknown(c.unknown);
  return out;
}

std::string formatChallenge(const Challenge& ch) {
  std::string out;
  if (!ch.isDigest()) {
    appendOpaque(out, ch.scheme, ch.rawParams);
    return out;
  }
  out.reserve(
      sizeHint({&ch.realm, &ch.domain, &ch.nonce, &ch.opaque, &ch.algorithm, &ch.qop}, ch.unknown));
  ParamWriter w(out, ch.scheme);
  w.quoted("realm", ch.realm);
  w.quoted("domain", ch.domain);
  w.quoted("nonce", ch.nonce);
  w.quoted("opaque", ch.opaque);
  w.flag("stale", ch.stale);
  w.bare("algorithm", ch.algorithm);
  w.quoted("qop", ch.qop);
  w.flag("userhash", ch.userhash);
  w.unknown(ch.unknown);
  return out;
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return resolveEscapes(value.substr(1, value.size() - 2));
  }
  return std::string(value);
}

}  // namespace tg::sip
