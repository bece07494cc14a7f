// The top-level `alerts:` section (alerts_config.h): which events alert, how they are folded and
// where they go. Webhook secrets and mail passwords come from a file (or a systemd credential),
// never the YAML.
// The settings are not a member of Config (config.h, included by nearly every file, stays as
// it is): the loader checks the section, and the gateway reads it again at start.

#include <sys/stat.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "base/sealed_secret.h"
#include "config/alerts_config.h"
#include "config/credentials.h"
#include "config/loader.h"
#include "config/yaml_reader.h"

namespace tg::config::detail {
namespace {

// The first line of the file at `key` (or of a systemd credential, credential:NAME), into
// `secret`; `source` says where it came from, for messages (never the value).
void readSecretFile(Loader& loader, const MapReader& m, std::string_view key, Secret& secret,
                    std::string& source) {
  auto file = m.has(key) ? loader.readString(m, key) : std::nullopt;
  if (!file) return;
  const int at = Loader::valueLine(m, key);
  std::string why;
  const auto credential = credentialPath(*file, &why);  // credential:NAME (systemd)
  const std::string full = credential ? *credential : loader.resolvePath(*file);
  source = "file " + full;
  std::ifstream in(full, std::ios::binary);
  std::string value;
  if (credential && credential->empty()) {
    loader.error(at, m.pathOf(key), why);
  } else if (std::string open = base::filePermissionProblem(full, true); !open.empty()) {
    loader.error(at, m.pathOf(key), "the secret file is unusable: " + open);
  } else if (!in || !std::getline(in, value) || value.empty()) {
    loader.error(at, m.pathOf(key), "cannot read a secret from " + full + " (its first line)");
  } else {
    if (value.back() == '\r') value.pop_back();
    secret = Secret(std::move(value));
  }
}

// A mail address as the SMTP envelope and headers take it: local@domain, nothing that could
// end a header line or an SMTP command.
bool plausibleMailAddress(std::string_view a) {
  const size_t at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= a.size()) return false;
  for (const char c : a) {
    if (c <= ' ' || c >= 127 || c == '<' || c == '>' || c == ',' || c == '"') return false;
  }
  return true;
}

void readMail(Loader& loader, const YAML::Node& node, int line, const std::string& path,
              AlertSettings& alerts) {
  MapReader m(loader, node, path, line,
              {"url", "from", "to", "user", "password_file", "ca_file", "allow_plaintext"});
  if (!m.valid()) return;
  MailTarget mail;
  if (auto url = loader.readString(m, "url")) {
    if (!url->starts_with("smtp://") && !url->starts_with("smtps://")) {
      loader.error(Loader::valueLine(m, "url"), m.pathOf("url"),
                   "'" + *url + "' is not an smtp:// or smtps:// URL");
    } else if (url->find('@') != std::string::npos) {
      loader.error(Loader::valueLine(m, "url"), m.pathOf("url"),
                   "no user or password in the URL: give user and password_file");
    }
    mail.url = *url;
  } else if (!m.has("url")) {
    loader.error(m.line(), m.pathOf("url"), "missing; the mail server, e.g. smtp://mx.example:587");
  }
  if (auto from = loader.readString(m, "from")) {
    if (!plausibleMailAddress(*from)) {
      loader.error(Loader::valueLine(m, "from"), m.pathOf("from"),
                   "'" + *from + "' is not a mail address (local@domain)");
    }
    mail.from = *from;
  } else if (!m.has("from")) {
    loader.error(m.line(), m.pathOf("from"), "missing; the sender's address");
  }
  for (auto& to : loader.readStringList(m, "to")) {
    if (!plausibleMailAddress(to.value)) {
      loader.error(to.line, to.path, "'" + to.value + "' is not a mail address (local@domain)");
    }
    mail.to.push_back(std::move(to.value));
  }
  if (!m.has("to")) loader.error(m.line(), m.pathOf("to"), "missing; a list of recipients");
  loader.setString(m, "user", mail.user);
  readSecretFile(loader, m, "password_file", mail.password, mail.passwordSource);
  if (m.has("user") != m.has("password_file")) {
    loader.error(m.line(), m.path(), "give both user and password_file, or neither (no AUTH)");
  }
  loader.readPemPath(m, "ca_file", mail.caFile);
  loader.setBool(m, "allow_plaintext", mail.allowPlaintext);
  if (mail.allowPlaintext && m.has("user")) {
    loader.warn(Loader::valueLine(m, "allow_plaintext"), m.pathOf("allow_plaintext"),
                "the password may cross the network in the clear when the server offers no "
                "STARTTLS");
  }
  alerts.mail.push_back(std::move(mail));
}

void readWebhook(Loader& loader, const YAML::Node& node, int line, const std::string& path,
                 AlertSettings& alerts) {
  MapReader m(loader, node, path, line, {"url", "secret_file"});
  if (!m.valid()) return;
  WebhookTarget hook;
  if (auto url = loader.readString(m, "url")) {
    if (!url->starts_with("http://") && !url->starts_with("https://")) {
      loader.error(Loader::valueLine(m, "url"), m.pathOf("url"),
                   "'" + *url + "' is not an http:// or https:// URL");
    }
    hook.url = *url;
  } else if (!m.has("url")) {
    loader.error(m.line(), m.pathOf("url"), "missing; where to POST the alerts");
  }
  readSecretFile(loader, m, "secret_file", hook.secret, hook.secretSource);
  alerts.webhooks.push_back(std::move(hook));
}

void readSyslog(Loader& loader, const YAML::Node& node, int line, const std::string& path,
                AlertSettings& alerts) {
  MapReader m(loader, node, path, line, {"socket", "udp"});
  if (!m.valid()) return;
  SyslogTarget target;
  if (m.has("socket") == m.has("udp")) {
    loader.error(m.line(), m.path(),
                 "give either socket: /dev/log (a local datagram socket) or udp: HOST:PORT");
  } else if (m.has("socket")) {
    loader.setString(m, "socket", target.socketPath);
  } else if (auto v = loader.readString(m, "udp")) {
    target.udp = true;
    if (auto address = base::Address::parseHostPort(*v); address && address->port() != 0) {
      target.address = *address;
    } else {
      loader.error(Loader::valueLine(m, "udp"), m.pathOf("udp"),
                   "'" + *v + "' is not an IP address with a port, e.g. \"127.0.0.1:514\"");
    }
  }
  alerts.syslog.push_back(std::move(target));
}

// A spend threshold: a positive amount in the rate table's currency (25, 7.50).
void readThreshold(Loader& loader, const MapReader& m, std::string_view key,
                   std::optional<double>& out) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return;
  double amount = 0;
  bool ok = false;
  if (v.IsScalar() && !isQuoted(v)) {
    const std::string& s = v.Scalar();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), amount);
    ok = ec == std::errc() && end == s.data() + s.size() && std::isfinite(amount) && amount > 0;
  }
  if (!ok) {
    loader.error(
        Loader::valueLine(m, key), m.pathOf(key),
        "expected an amount > 0 in the rate table's currency, e.g. 25 or 7.50, got " + describe(v));
    return;
  }
  out = amount;
}

}  // namespace

void readAlertSettings(Loader& loader, const YAML::Node& node, int line, AlertSettings& alerts) {
  MapReader m(
      loader, node, "alerts", line,
      {"events", "dedup_s", "max_per_minute", "queue", "retries", "retry_base_ms", "timeout_s",
       "hostname", "spend_per_hour", "account_spend_per_hour", "webhooks", "syslog", "mail"});
  if (!m.valid()) return;
  alerts.line = line;
  if (m.has("events")) {
    alerts.events.clear();
    for (auto& e : loader.readStringList(m, "events")) {
      if (e.value.empty()) {
        loader.error(e.line, e.path, "is empty; give an event rule such as auth.lockout");
      } else {
        alerts.events.push_back(std::move(e.value));
      }
    }
  }
  loader.setDuration(m, "dedup_s", alerts.dedupWindow, 1, 86400);
  loader.setInt(m, "max_per_minute", alerts.maxPerMinute, 1, 10000);
  loader.setInt(m, "queue", alerts.queue, 10, 1000000);
  loader.setInt(m, "retries", alerts.retries, 0, 20);
  loader.setDuration(m, "retry_base_ms", alerts.retryBase, 10, 600000);
  loader.setDuration(m, "timeout_s", alerts.timeout, 1, 60);
  loader.setString(m, "hostname", alerts.hostname);
  readThreshold(loader, m, "spend_per_hour", alerts.spendPerHour);
  readThreshold(loader, m, "account_spend_per_hour", alerts.accountSpendPerHour);
  for (const char* key : {"webhooks", "syslog", "mail"}) {
    if (!m.has(key) || !loader.expectSequence(m, key)) continue;
    const YAML::Node list = m.get(key);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = m.pathOf(key) + "[" + std::to_string(i) + "]";
      const int at = Loader::lineOf(list[i]);
      if (key[0] == 'w') {
        readWebhook(loader, list[i], at, path, alerts);
      } else if (key[0] == 'm') {
        readMail(loader, list[i], at, path, alerts);
      } else {
        readSyslog(loader, list[i], at, path, alerts);
      }
    }
  }
  if (alerts.webhooks.empty() && alerts.syslog.empty() && alerts.mail.empty()) {
    loader.warn(line, "alerts", "no webhooks, syslog or mail: alerts go nowhere");
  }
}

// In the section table: check-config and every load check the section (and report its
// errors) without keeping it; loadAlertSettings() reads it for the alert thread.
void readAlerts(Loader& loader, const YAML::Node& node, int line, Config&) {
  AlertSettings checked;
  readAlertSettings(loader, node, line, checked);
}

}  // namespace tg::config::detail

namespace tg::config {

std::optional<AlertSettings> loadAlertSettings(const std::string& path) {
  try {
    const YAML::Node root = YAML::LoadFile(path);
    const YAML::Node node = root["alerts"];
    if (!node.IsDefined()) return std::nullopt;
    detail::Loader loader(path, std::filesystem::path(path).parent_path().string());
    AlertSettings alerts;
    detail::readAlertSettings(loader, node, detail::Loader::lineOf(node), alerts);
    if (loader.errorCount() != 0) return std::nullopt;
    return alerts;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // the config load reported it already
  }
}

}  // namespace tg::config
