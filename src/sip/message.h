#pragma once

// The zero-copy SIP message: a start line and headers as views into a buffer the message owns,
// headers indexed by enum, typed values parsed on first access and remembered with their
// well-formedness (reSIProcate's LazyParser idea). A Message is reusable: parse() again keeps
// the allocated capacity, which keeps the receive path free of steady-state allocation.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header.h"
#include "sip/header_values.h"
#include "sip/method.h"
#include "sip/name_addr.h"
#include "sip/result.h"
#include "sip/uri.h"
#include "sip/via.h"

namespace tg::sip {

struct HeaderField {
  HeaderId id = HeaderId::kUnknown;
  std::string_view name;   // as written, e.g. "v" or "MaX-fOrWaRdS"
  std::string_view value;  // trimmed; folded lines joined with spaces
  std::string_view raw;    // the whole field as received (name to last CRLF, exclusive)
};

// How the bytes arrived: a datagram may carry extra octets after Content-Length (ignored,
// RFC 3261 §18.3); a stream frame is exactly one message, cut by the StreamFramer.
enum class Framing : uint8_t { kDatagram, kStream };

struct ParseOptions {
  Framing framing = Framing::kDatagram;
  // A hard bound so that parsing itself stays bounded (at most 65535); the Validator applies the
  // configured, usually lower, limits.
  size_t maxHeaders = 512;
};

// Outcome of Message::parse: empty reason means success.
struct ParseStatus {
  std::string_view reason;
  bool ok() const { return reason.empty(); }
};

class Message {
 public:
  Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // Takes ownership of the bytes and parses them. Never throws; on failure the message holds
  // whatever was parsed before the error and must not be used further.
  ParseStatus parse(std::string bytes, const ParseOptions& options = {});

  // --- start line --------------------------------------------------------------------------
  bool isRequest() const { return isRequest_; }
  bool isResponse() const { return !isRequest_; }
  Method method() const { return method_; }
  std::string_view methodText() const { return methodText_; }
  std::string_view requestUriText() const { return requestUriText_; }
  std::string_view version() const { return version_; }  // "SIP/2.0"
  int statusCode() const { return statusCode_; }
  std::string_view reasonPhrase() const { return reasonPhrase_; }
  std::string_view startLine() const { return startLine_; }

  // --- headers -----------------------------------------------------------------------------
  const std::vector<HeaderField>& headers() const { return headers_; }
  bool has(HeaderId id) const { return count(id) > 0; }
  size_t count(HeaderId id) const { return counts_[static_cast<size_t>(id)]; }
  // The first field with this id, or nullptr.
  const HeaderField* find(HeaderId id) const;
  // Value of the first field with this id (empty when absent).
  std::string_view value(HeaderId id) const;
  // First unknown header with this name (case-insensitive), for extension headers.
  const HeaderField* findByName(std::string_view name) const;
  // Calls fn(const HeaderField&) for each field with this id, in wire order.
  template <typename Fn>
  void forEach(HeaderId id, Fn&& fn) const;
  // Calls fn(std::string_view element) for each comma-separated element of every field with
  // this id, in wire order (for list headers such as Via, Route, Supported).
  template <typename Fn>
  void forEachElement(HeaderId id, Fn&& fn) const;

  // --- body --------------------------------------------------------------------------------
  std::string_view body() const { return body_; }
  // Octets after the body in a datagram (RFC 4475 dblreq); they are ignored.
  size_t trailingOctets() const { return trailing_; }
  // The message text up to the end of its body (trailing octets excluded).
  std::string_view text() const { return text_; }

  // --- typed values, parsed on first access; nullptr/nullopt when absent or malformed ---------
  const Uri* requestUri() const;
  const NameAddr* from() const;
  const NameAddr* to() const;
  const Via* topVia() const;
  const CSeq* cseq() const;
  std::optional<uint32_t> maxForwards() const;
  std::optional<uint32_t> expires() const;
  std::optional<uint32_t> contentLength() const;
  std::string_view callId() const { return value(HeaderId::kCallId); }
  // The first Contact element (nullptr for "*", absent or malformed).
  const NameAddr* contact() const;
  bool contactIsStar() const;

 private:
  enum class LazyState : uint8_t { kUnparsed, kOk, kBad };
  template <typename T>
  struct Lazy {
    LazyState state = LazyState::kUnparsed;
    T value{};
  };
  // parse(T&) fills the slot's value in place and returns an error reason, empty on success.
  template <typename T, typename ParseFn>
  const T* lazy(Lazy<T>& slot, ParseFn&& parse) const;
  std::optional<uint32_t> lazyScalar(Lazy<uint32_t>& slot, HeaderId id, uint32_t max) const;

  void reset();
  ParseStatus parseStartLine(std::string_view line);
  // Parses header lines from `pos` up to the empty line; sets bodyStart past it.
  ParseStatus parseHeaders(size_t pos, const ParseOptions& options, size_t& bodyStart);
  // Adds the field whose line is [start, end) (CR excluded, folds included) and whose name
  // ends at nameEnd, with the ':' at colon.
  void addField(size_t start, size_t nameEnd, size_t colon, size_t end, bool folded);
  std::string_view unfold(std::string_view folded);

  std::string buffer_;
  std::string unfolded_;  // joined values of folded headers; reserved so views stay valid
  std::vector<HeaderField> headers_;
  std::array<uint16_t, kKnownHeaderCount + 1> first_{};
  std::array<uint16_t, kKnownHeaderCount + 1> counts_{};

  bool isRequest_ = false;
  Method method_ = Method::kUnknown;
  std::string_view methodText_;
  std::string_view requestUriText_;
  std::string_view version_;
  int statusCode_ = 0;
  std::string_view reasonPhrase_;
  std::string_view startLine_;
  std::string_view body_;
  std::string_view text_;
  size_t trailing_ = 0;

  mutable Lazy<Uri> requestUri_;
  mutable Lazy<NameAddr> from_;
  mutable Lazy<NameAddr> to_;
  mutable Lazy<NameAddr> contact_;
  mutable Lazy<Via> topVia_;
  mutable Lazy<CSeq> cseq_;
  mutable Lazy<uint32_t> maxForwards_;
  mutable Lazy<uint32_t> expires_;
  mutable Lazy<uint32_t> contentLength_;
};

template <typename Fn>
void Message::forEach(HeaderId id, Fn&& fn) const {
  // From the first such field up to the last one, not to the end of the header list.
  size_t left = count(id);
  for (size_t i = first_[static_cast<size_t>(id)]; left > 0 && i < headers_.size(); ++i) {
    if (headers_[i].id == id) {
      --left;
      fn(headers_[i]);
    }
  }
}

template <typename Fn>
void Message::forEachElement(HeaderId id, Fn&& fn) const {
  forEach(id, [&](const HeaderField& f) { forEachListElement(f.value, fn); });
}

}  // namespace tg::sip
