#pragma once

// Alerts (`alerts:`, read by alerts_section.cc): which security events become alerts, how they
// are folded (dedup window, rate limit) and where they go (webhooks, syslog, mail). Off unless the
// section is there. Delivered by app/alerts/ on a thread of its own.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "config/provider_auth_config.h"

namespace tg::config {

struct WebhookTarget {
  std::string url;           // http:// or https://
  Secret secret;             // HMAC-SHA256 key (secret_file); empty: unsigned
  std::string secretSource;  // "file /path", for messages
};

struct SyslogTarget {
  bool udp = false;
  std::string socketPath;  // local datagram socket (udp false): "/dev/log"
  base::Address address;   // udp true: where to send
};

// Mail over SMTP (libcurl). STARTTLS is required unless allowPlaintext; smtps:// is TLS from
// the first byte.
struct MailTarget {
  std::string url;  // smtp://host[:port] or smtps://host[:port]
  std::string from;
  std::vector<std::string> to;
  std::string user;             // empty: no AUTH
  Secret password;              // password_file; never logged
  std::string passwordSource;   // "file /path", for messages
  std::string caFile;           // empty: the system's trust store
  bool allowPlaintext = false;  // allow_plaintext: send even if the server offers no STARTTLS
};

struct AlertSettings {
  int line = 0;
  // Event rules that alert: exact ("auth.lockout"), or with '*' standing for any run of
  // characters ("fraud.*", "policy.*.spend_per_hour"); "ban" also matches every event whose
  // action is a ban. The policy's limits are "policy.<its rule>.<limit>". The gateway's own
  // states raise "provider.down" and "provider.up" (app/alerts/alert_state.h), and the spend
  // thresholds below "spend.hourly" and "spend.account_hourly" (app/alerts/spend_watch.h).
  std::vector<std::string> events{"ban",
                                  "auth.lockout",
                                  "fraud.*",
                                  "policy.*.spend_per_*",
                                  "policy.*.max_concurrent",
                                  "policy.*.calls_per_minute",
                                  "provider.*",
                                  "spend.*"};
  std::chrono::seconds dedupWindow{300};  // one alert per (rule, source) per window, with a count
  int maxPerMinute = 30;                  // beyond: folded into one "more events" alert
  int queue = 1000;                       // events waiting for the alert thread; beyond: dropped
  int retries = 5;                        // webhook attempts after the first
  std::chrono::milliseconds retryBase{1000};  // doubled after each failed attempt
  std::chrono::seconds timeout{5};            // per webhook or mail attempt
  std::string hostname;                       // syslog HOSTNAME; empty: gethostname()
  // Cost of the calls that ended in the last 60 minutes (checked once a minute) beyond which
  // "spend.hourly" (site-wide) / "spend.account_hourly" (per account) alert; unset: no check.
  std::optional<double> spendPerHour;
  std::optional<double> accountSpendPerHour;
  std::vector<WebhookTarget> webhooks;
  std::vector<SyslogTarget> syslog;
  std::vector<MailTarget> mail;
};

// The `alerts:` section of the config file at `path`, read at the gateway's start (alerts
// need a restart to change); nullopt when there is none or it has errors (which loading the
// config reported already).
std::optional<AlertSettings> loadAlertSettings(const std::string& path);

}  // namespace tg::config
