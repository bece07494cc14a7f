#pragma once

// Authorization / Proxy-Authorization (credentials) and WWW-Authenticate / Proxy-Authenticate
// (challenge) header values (RFC 3261 §25.1, RFC 7616 §3.3-3.4, RFC 7235 §2.1).
//
// Parsing is zero-copy: every value is a view into the header text, quotes stripped but
// backslash escapes left in place until someone asks for the text (AuthValue::str()). The same
// structs are used to build headers, with plain values; formatting quotes and escapes them.
// A scheme other than Digest is kept with its raw parameters so the caller can reject it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/result.h"

namespace tg::sip {

inline constexpr size_t kMaxAuthParams = 32;
inline constexpr size_t kMaxAuthValueSize = 1024;
// Parameters this parser does not name (charset, auts, ...). Real headers carry one or two.
inline constexpr size_t kMaxUnknownAuthParams = 8;

// One auth-param value. Parsed: `text` is what stood between the quotes (or the bare token),
// and `escaped` says it still holds backslash escapes. Built by hand: plain text, escaped=false.
struct AuthValue {
  std::string_view text;
  bool present = false;
  bool quoted = false;   // written as a quoted-string on the wire
  bool escaped = false;  // text contains quoted-pairs; str() resolves them

  AuthValue() = default;
  AuthValue(std::string_view plain) : text(plain), present(true) {}            // NOLINT: implicit
  AuthValue(const char* plain) : AuthValue(std::string_view(plain)) {}         // NOLINT: implicit
  AuthValue(const std::string& plain) : AuthValue(std::string_view(plain)) {}  // NOLINT
  AuthValue(std::string&&) = delete;                                           // would dangle

  // The value with escapes resolved. Allocates; prefer view() when !escaped.
  std::string str() const;
  // Zero-copy text; equal to str() whenever !escaped.
  std::string_view view() const { return text; }
  // Compares the resolved value with `plain` without allocating.
  bool equals(std::string_view plain) const;
};

struct AuthParam {
  std::string_view name;
  AuthValue value;
};

// The parameters a parser does not know, in wire order. A fixed inline array: no allocation.
class UnknownAuthParams {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const AuthParam& operator[](size_t i) const { return items_[i]; }
  const AuthParam* begin() const { return items_.data(); }
  const AuthParam* end() const { return items_.data() + size_; }
  // Case-insensitive lookup; nullptr when absent.
  const AuthParam* find(std::string_view name) const;
  // False when full.
  bool add(std::string_view name, AuthValue value);

 private:
  std::array<AuthParam, kMaxUnknownAuthParams> items_{};
  uint8_t size_ = 0;
};

// Authorization / Proxy-Authorization.
struct Credentials {
  std::string_view scheme = "Digest";
  // Everything after the scheme, trimmed. For a non-Digest scheme this is all there is.
  std::string_view rawParams;

  AuthValue username;
  AuthValue realm;
  AuthValue nonce;
  AuthValue uri;
  AuthValue response;
  AuthValue algorithm;  // token; absent means MD5
  AuthValue cnonce;
  AuthValue opaque;
  AuthValue qop;  // one token: "auth" or "auth-int"
  AuthValue nc;   // exactly 8 hex digits when present
  bool userhash = false;
  UnknownAuthParams unknown;

  bool isDigest() const;
  // Name of the first parameter RFC 3261 §22.4 / RFC 7616 §3.4 require and this header lacks
  // (cnonce and nc are required once qop is present); empty when complete.
  std::string_view missingRequired() const;
};

// WWW-Authenticate / Proxy-Authenticate.
struct Challenge {
  std::string_view scheme = "Digest";
  std::string_view rawParams;

  AuthValue realm;
  AuthValue domain;  // space-separated URI list, quoted
  AuthValue nonce;
  AuthValue opaque;
  AuthValue algorithm;
  AuthValue qop;  // comma-separated list, e.g. "auth,auth-int"
  bool stale = false;
  bool userhash = false;
  UnknownAuthParams unknown;

  bool isDigest() const;
  // Whether `qopValue` ("auth", "auth-int") is in the qop list, case-insensitively.
  bool offersQop(std::string_view qopValue) const;
  // Realm and nonce are required; empty when complete.
  std::string_view missingRequired() const;
};

// The results view `value`, which must outlive them; parsing a temporary string is refused at
// compile time.
Result<Credentials> parseCredentials(std::string_view value);
Result<Challenge> parseChallenge(std::string_view value);
inline Result<Credentials> parseCredentials(const char* value) {
  return parseCredentials(std::string_view(value));
}
inline Result<Challenge> parseChallenge(const char* value) {
  return parseChallenge(std::string_view(value));
}
Result<Credentials> parseCredentials(std::string&&) = delete;
Result<Challenge> parseChallenge(std::string&&) = delete;

// Header values built as RFC 3261 §25.1 / RFC 7616 write them: nc, qop (in credentials),
// algorithm, stale and userhash bare; everything else quoted with '"' and '\' escaped.
// Control characters in plain values are dropped so no value can end the header line.
std::string formatCredentials(const Credentials& credentials);
std::string formatChallenge(const Challenge& challenge);

// Strips surrounding double quotes when present and resolves backslash escapes.
std::string unquote(std::string_view value);

}  // namespace tg::sip
