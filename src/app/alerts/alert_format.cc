#include "app/alerts/alert_format.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace tg::app::alerts {
namespace {

constexpr int kFacilityAuthpriv = 10;
constexpr int kSeverityWarning = 4;
// RFC 5424 §6.3.2: an SD-ID without '@' is IANA's; ours carries an enterprise number.
constexpr std::string_view kSdId = "alert@32473";

// PRINTUSASCII without space, '=', ']', '"' (RFC 5424 SD-NAME, MSGID); at most `max`.
std::string headerToken(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    if (c > 32 && c < 127 && c != '=' && c != ']' && c != '"') out += c;
  }
  return out.empty() ? "-" : out;
}

// A PARAM-VALUE: '"', '\' and ']' escaped; control and non-ASCII bytes as '?'.
std::string paramValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += (c >= 32 && c < 127) ? c : '?';
  }
  return out;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 32 && c < 127) ? c : '?';
  return out;
}

std::string rfc3339(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace

std::string alertJson(const Alert& a, std::string_view host) {
  const nlohmann::json body = {{"kind", a.event.rule},
                               {"zone", a.event.zone},
                               {"source", a.event.source},
                               {"reason", a.event.reason},
                               {"action", a.event.action},
                               {"time", a.event.timeMs / 1000},
                               {"count", a.count},
                               {"first", a.firstMs / 1000},
                               {"last", a.lastMs / 1000},
                               {"summary", a.summary},
                               {"host", host}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string signature(std::string_view key, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &length);
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", mac[i]);
  return out;
}

std::string syslogLine(const Alert& a, std::string_view host, int pid) {
  const int pri = kFacilityAuthpriv * 8 + kSeverityWarning;
  std::string text = a.summary ? fmt::format("{} x{}: {}", a.event.rule, a.count, a.event.reason)
                               : fmt::format("{}: {}", a.event.rule, a.event.reason);
  if (!a.event.source.empty()) text += " from " + a.event.source;
  return fmt::format(
      "<{}>1 {} {} trunkguard {} {} [{} rule=\"{}\" zone=\"{}\" source=\"{}\" action=\"{}\" "
      "count=\"{}\"] {}",
      pri, rfc3339(a.event.timeMs), headerToken(host, 255), pid, headerToken(a.event.rule, 32),
      kSdId, paramValue(a.event.rule), paramValue(a.event.zone), paramValue(a.event.source),
      paramValue(a.event.action), a.count, printable(text));
}

}  // namespace tg::app::alerts
