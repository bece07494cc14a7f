#include "guard/scanner/scanner_filter.h"

#include <algorithm>
#include <cctype>

#include "guard/scanner/signatures.h"

namespace tg::guard::scanner {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool containsIgnoreCase(std::string_view haystack, std::string_view lowerNeedle) {
  if (lowerNeedle.empty() || lowerNeedle.size() > haystack.size()) return false;
  const auto it = std::search(haystack.begin(), haystack.end(), lowerNeedle.begin(),
                              lowerNeedle.end(), [](char h, char n) { return lower(h) == n; });
  return it != haystack.end();
}

uint32_t hashUser(std::string_view user) {  // FNV-1a: users only need telling apart
  uint32_t h = 2166136261u;
  for (const char c : user) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

// The extension or number a request probes: the To user of a REGISTER (its Request-URI has
// none), otherwise the Request-URI user.
std::string_view probedUser(const sip::Message& m) {
  if (m.method() != sip::Method::kRegister) {
    if (const sip::Uri* uri = m.requestUri(); uri != nullptr && !uri->user.empty()) {
      return uri->user;
    }
  }
  if (const sip::NameAddr* to = m.to(); to != nullptr) return to->uri.user;
  return {};
}

// Answers that tell a scanner "no such user" or "wrong password", and the validator's answers
// to broken requests (a fuzzer's): a legitimate peer seldom earns either.
bool isProbeFailure(int code) {
  return code == 400 || code == 401 || code == 403 || code == 404 || code == 407 || code == 484 ||
         code == 505;
}

uint16_t increment(uint16_t v) { return v == UINT16_MAX ? v : static_cast<uint16_t>(v + 1); }

}  // namespace

ScannerFilter::ScannerFilter(const config::ScannerSettings& settings)
    : settings_(settings),
      window_(std::chrono::duration_cast<base::Duration>(settings.window)),
      sources_(settings.maxSources) {
  settings_.maxDistinctUsers = std::clamp(settings_.maxDistinctUsers, 1, kMaxDistinctUsers);
  if (window_ <= base::Duration::zero()) window_ = std::chrono::seconds(60);
  auto addPattern = [this](std::string_view text) {
    std::string l;
    for (const char c : text) l += lower(c);
    if (l.empty()) return;
    for (const Pattern& p : signatures_) {
      if (p.lower == l) return;
    }
    signatures_.push_back({l, "User-Agent, Server or From name matches '" + l + "'"});
  };
  if (settings_.useShippedSignatures) {
    for (const Signature& s : shippedSignatures()) addPattern(s.pattern);
  }
  for (const std::string& ua : settings_.userAgents) addPattern(ua);
}

const ScannerFilter::Pattern* ScannerFilter::matchSignature(const sip::Message& m) const {
  const std::string_view userAgent = m.value(sip::HeaderId::kUserAgent);
  const std::string_view server = m.value(sip::HeaderId::kServer);
  const sip::NameAddr* from = m.from();
  const std::string_view display = from != nullptr ? from->displayName : std::string_view{};
  for (const Pattern& p : signatures_) {
    if (containsIgnoreCase(userAgent, p.lower) || containsIgnoreCase(server, p.lower) ||
        containsIgnoreCase(display, p.lower)) {
      return &p;
    }
  }
  return nullptr;
}

void ScannerFilter::roll(Source& s, base::TimePoint now) const {
  if (now - s.windowStart < window_) return;
  s.windowStart = now;
  s.userCount = 0;
  s.options = 0;
  s.responses = 0;
  s.failures = 0;
}

Verdict ScannerFilter::flag(Source& s, std::string_view rule, std::string_view reason) const {
  s.flagged = rule;
  s.flaggedReason = reason;
  return Verdict::drop(rule, reason, /*ban=*/true);
}

Verdict ScannerFilter::onRequest(const Request& request) {
  if (!settings_.enabled || request.trusted) return Verdict::next();
  const sip::Message& m = request.message;
  if (const Pattern* p = matchSignature(m)) {
    Source& s = sources_.findOrInsert(SourceKey::of(request.source));
    s.lastSeen = request.now;
    return flag(s, "scanner.user_agent", p->reason);
  }

  bool inserted = false;
  Source& s = sources_.findOrInsert(SourceKey::of(request.source), &inserted);
  if (inserted) s.windowStart = request.now;
  s.lastSeen = request.now;
  if (!s.flagged.empty()) return Verdict::drop(s.flagged, s.flaggedReason, /*ban=*/true);
  roll(s, request.now);

  // Failure ratio: the answers to this source's earlier requests.
  if (s.responses >= settings_.minResponsesForRatio && s.responses > 0 &&
      static_cast<double>(s.failures) / s.responses > settings_.maxFailureRatio) {
    return flag(s, "scanner.failure_ratio",
                "most requests were answered 400/401/403/404/407/484/505 (guessing users or "
                "passwords, or fuzzing)");
  }
  // Requests inside a dialog probe nothing.
  if (request.inDialog || m.method() == sip::Method::kAck || m.method() == sip::Method::kCancel) {
    return Verdict::next();
  }

  if (m.method() == sip::Method::kOptions) {
    s.options = increment(s.options);
    if (s.options > settings_.maxOptions) {
      return flag(s, "scanner.options_sweep", "too many out-of-dialog OPTIONS (a sweep)");
    }
  }

  const std::string_view user = probedUser(m);
  if (!user.empty()) {
    const uint32_t h = hashUser(user);
    const auto end = s.users.begin() + s.userCount;
    if (std::find(s.users.begin(), end, h) == end) {
      // maxDistinctUsers <= kMaxDistinctUsers, so the slot for the one too many exists.
      s.users[s.userCount++] = h;
      if (s.userCount > settings_.maxDistinctUsers) {
        return flag(s, "scanner.extension_sweep", "probed too many distinct extensions or numbers");
      }
    }
  }
  return Verdict::next();
}

void ScannerFilter::onResponseSent(transport::Zone /*zone*/, const base::Address& to, int code,
                                   base::TimePoint now) {
  if (!settings_.enabled || code < 200) return;
  // Only sources seen in onRequest have state, and trusted ones never get any.
  Source* s = sources_.find(SourceKey::of(to));
  if (s == nullptr) return;
  roll(*s, now);
  s->lastSeen = now;
  s->responses = increment(s->responses);
  if (isProbeFailure(code)) s->failures = increment(s->failures);
}

void ScannerFilter::expire(base::TimePoint now) {
  // A flagged source that went quiet for a window is forgotten too: the ban covers it, and when
  // it comes back it is judged afresh.
  sources_.dropStale([&](const Source& s) { return now - s.lastSeen >= window_; });
}

}  // namespace tg::guard::scanner
