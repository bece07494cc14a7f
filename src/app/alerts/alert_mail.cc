#include "app/alerts/alert_mail.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace tg::app::alerts {
namespace {

// Printable ASCII only, at most `max` bytes: a header or a line of the body cannot be broken
// or extended by what an attacker put in a SIP message.
std::string printable(std::string_view s, size_t max = 300) {
  std::string out;
  for (const char c : s.substr(0, max)) out += (c >= ' ' && c < 127) ? c : '?';
  return out;
}

std::string rfc5322Date(int64_t unix) {
  const std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string isoTime(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Reader {
  const std::string& data;
  size_t at = 0;
};

size_t readBody(char* buffer, size_t size, size_t items, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t n = std::min(size * items, r->data.size() - r->at);
  std::memcpy(buffer, r->data.data() + r->at, n);
  r->at += n;
  return n;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string mailMessage(const Alert& alert, std::string_view host, const config::MailTarget& to,
                        int64_t nowUnix, std::string_view id) {
  const AlertEvent& e = alert.event;
  std::string subject = "[trunkguard] " + printable(e.rule, 80);
  if (!e.source.empty()) subject += " from " + printable(e.source, 80);
  if (alert.count > 1) subject += " (" + std::to_string(alert.count) + " events)";
  std::string recipients;
  for (const std::string& r : to.to) recipients += (recipients.empty() ? "" : ", ") + r;

  std::string m;
  m += "Date: " + rfc5322Date(nowUnix) + "\r\n";
  m += "From: trunkguard <" + to.from + ">\r\n";
  m += "To: " + recipients + "\r\n";
  m += "Subject: " + subject + "\r\n";
  m += "Message-ID: <" + printable(id, 100) + "@" + printable(host, 100) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n";
  m += "\r\n";
  m += "rule: " + printable(e.rule) + "\r\n";
  m += "zone: " + printable(e.zone) + "\r\n";
  m += "source: " + printable(e.source) + "\r\n";
  m += "reason: " + printable(e.reason, 900) + "\r\n";
  m += "action: " + printable(e.action) + "\r\n";
  m += "count: " + std::to_string(alert.count) + "\r\n";
  m += "first: " + isoTime(alert.firstMs) + "\r\n";
  m += "last: " + isoTime(alert.lastMs) + "\r\n";
  m += std::string("summary: ") + (alert.summary ? "yes" : "no") + "\r\n";
  m += "host: " + printable(host) + "\r\n";
  return m;
}

void initMail() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string sendMail(const config::MailTarget& target, const std::string& message,
                     std::chrono::seconds timeout) {
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return "cannot start libcurl";
  CURL* c = curl.get();
  std::unique_ptr<curl_slist, CurlFree> rcpt;
  for (const std::string& r : target.to) {
    curl_slist* next = curl_slist_append(rcpt.get(), ("<" + r + ">").c_str());
    if (next == nullptr) return "out of memory";
    (void)rcpt.release();
    rcpt.reset(next);
  }
  Reader body{message};
  char error[CURL_ERROR_SIZE] = {};
  const long ms = static_cast<long>(std::chrono::milliseconds(timeout).count());
  const std::string from = "<" + target.from + ">";
  curl_easy_setopt(c, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS, or no mail at all; plaintext only when the target says so (then TLS if offered).
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   static_cast<long>(target.allowPlaintext ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  if (!target.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, target.caFile.c_str());
  if (!target.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, target.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, target.password.reveal().c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, readBody);
  curl_easy_setopt(c, CURLOPT_READDATA, &body);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // a thread of many: no SIGALRM for timeouts
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {};
  std::string why = curl_easy_strerror(rc);
  if (error[0] != '\0') why += std::string(": ") + error;
  if (rc == CURLE_USE_SSL_FAILED)
    why +=
        " (the server offers no STARTTLS; allow_plaintext: true "
        "would send anyway)";
  return why;
}

}  // namespace tg::app::alerts
