#pragma once

// Known SIP header names, indexed by enum so that lookups on the message path never compare
// strings more than once per header line (reSIProcate / sipgo style).

#include <cstdint>
#include <string_view>

namespace tg::sip {

#define TG_SIP_HEADERS(X)                           \
  X(kAccept, "Accept", 0)                           \
  X(kAcceptEncoding, "Accept-Encoding", 0)          \
  X(kAcceptLanguage, "Accept-Language", 0)          \
  X(kAlertInfo, "Alert-Info", 0)                    \
  X(kAllow, "Allow", 0)                             \
  X(kAllowEvents, "Allow-Events", 'u')              \
  X(kAuthenticationInfo, "Authentication-Info", 0)  \
  X(kAuthorization, "Authorization", 0)             \
  X(kCallId, "Call-ID", 'i')                        \
  X(kCallInfo, "Call-Info", 0)                      \
  X(kContact, "Contact", 'm')                       \
  X(kContentDisposition, "Content-Disposition", 0)  \
  X(kContentEncoding, "Content-Encoding", 'e')      \
  X(kContentLanguage, "Content-Language", 0)        \
  X(kContentLength, "Content-Length", 'l')          \
  X(kContentType, "Content-Type", 'c')              \
  X(kCSeq, "CSeq", 0)                               \
  X(kDate, "Date", 0)                               \
  X(kErrorInfo, "Error-Info", 0)                    \
  X(kEvent, "Event", 'o')                           \
  X(kExpires, "Expires", 0)                         \
  X(kFrom, "From", 'f')                             \
  X(kIdentity, "Identity", 'y')                     \
  X(kInReplyTo, "In-Reply-To", 0)                   \
  X(kMaxForwards, "Max-Forwards", 0)                \
  X(kMimeVersion, "MIME-Version", 0)                \
  X(kMinExpires, "Min-Expires", 0)                  \
  X(kMinSE, "Min-SE", 0)                            \
  X(kOrganization, "Organization", 0)               \
  X(kPAssertedIdentity, "P-Asserted-Identity", 0)   \
  X(kPPreferredIdentity, "P-Preferred-Identity", 0) \
  X(kPriority, "Priority", 0)                       \
  X(kPrivacy, "Privacy", 0)                         \
  X(kProxyAuthenticate, "Proxy-Authenticate", 0)    \
  X(kProxyAuthorization, "Proxy-Authorization", 0)  \
  X(kProxyRequire, "Proxy-Require", 0)              \
  X(kRAck, "RAck", 0)                               \
  X(kReason, "Reason", 0)                           \
  X(kRecordRoute, "Record-Route", 0)                \
  X(kReferTo, "Refer-To", 'r')                      \
  X(kReferredBy, "Referred-By", 'b')                \
  X(kRemotePartyId, "Remote-Party-ID", 0)           \
  X(kReplyTo, "Reply-To", 0)                        \
  X(kRequire, "Require", 0)                         \
  X(kRetryAfter, "Retry-After", 0)                  \
  X(kRoute, "Route", 0)                             \
  X(kRSeq, "RSeq", 0)                               \
  X(kServer, "Server", 0)                           \
  X(kSessionExpires, "Session-Expires", 'x')        \
  X(kSubject, "Subject", 's')                       \
  X(kSubscriptionState, "Subscription-State", 0)    \
  X(kSupported, "Supported", 'k')                   \
  X(kTimestamp, "Timestamp", 0)                     \
  X(kTo, "To", 't')                                 \
  X(kUnsupported, "Unsupported", 0)                 \
  X(kUserAgent, "User-Agent", 0)                    \
  X(kVia, "Via", 'v')                               \
  X(kWarning, "Warning", 0)                         \
  X(kWwwAuthenticate, "WWW-Authenticate", 0)

enum class HeaderId : uint8_t {
#define TG_HEADER_ENUM(id, name, compact) id,
  TG_SIP_HEADERS(TG_HEADER_ENUM)
#undef TG_HEADER_ENUM
      kUnknown,
};

inline constexpr size_t kKnownHeaderCount = static_cast<size_t>(HeaderId::kUnknown);

// Maps a header name as written (any case, full or compact form) to its id.
HeaderId headerIdFromName(std::string_view name);
// The same for the `length` bytes at `name`, which must be followed by readable bytes up to
// name + kHeaderNameWordBytes (the message parser's case): the name is read in whole words.
inline constexpr size_t kHeaderNameWordBytes = 24;
HeaderId headerIdFromNameWords(const char* name, size_t length);

// The canonical full name, e.g. "Call-ID". Empty for kUnknown.
std::string_view headerName(HeaderId id);

// True for headers whose grammar is a comma-separated list (RFC 3261 §7.3.1), so that several
// values may share one line or be spread over several lines.
bool isListHeader(HeaderId id);

// Headers that may appear at most once (several are a 400, RFC 4475 §3.3.8).
inline constexpr HeaderId kSingleValueHeaders[] = {
    HeaderId::kCallId,  HeaderId::kContentLength, HeaderId::kContentType, HeaderId::kCSeq,
    HeaderId::kExpires, HeaderId::kFrom,          HeaderId::kMaxForwards, HeaderId::kMinExpires,
    HeaderId::kMinSE,   HeaderId::kRAck,          HeaderId::kRSeq,        HeaderId::kSessionExpires,
    HeaderId::kTo};
bool isSingleValueHeader(HeaderId id);

}  // namespace tg::sip
