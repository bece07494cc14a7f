// The top-level `alerts:` section (alerts_config.h): which events alert, how they are folded and
// where they go. Webhook secrets come from a file (or a systemd credential), never the YAML.
// The settings are not a member of Config (config.h, included by nearly every file, stays as
// it is): the loader checks the section, and the gateway reads it again at start.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/sealed_secret.h"
#include "config/alerts_config.h"
#include "config/credentials.h"
#include "config/loader.h"

namespace tg::config::detail {
namespace {

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
  if (auto file = m.has("secret_file") ? loader.readString(m, "secret_file") : std::nullopt) {
    const int at = Loader::valueLine(m, "secret_file");
    std::string why;
    const auto credential = credentialPath(*file, &why);  // credential:NAME (systemd)
    const std::string full = credential ? *credential : loader.resolvePath(*file);
    hook.secretSource = "file " + full;
    std::ifstream in(full, std::ios::binary);
    std::string secret;
    if (credential && credential->empty()) {
      loader.error(at, m.pathOf("secret_file"), why);
    } else if (std::string open = base::filePermissionProblem(full, true); !open.empty()) {
      loader.error(at, m.pathOf("secret_file"), "the secret file is unusable: " + open);
    } else if (!in || !std::getline(in, secret) || secret.empty()) {
      loader.error(at, m.pathOf("secret_file"),
                   "cannot read a secret from " + full + " (its first line is the HMAC key)");
    } else {
      if (secret.back() == '\r') secret.pop_back();
      hook.secret = Secret(std::move(secret));
    }
  }
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

}  // namespace

void readAlertSettings(Loader& loader, const YAML::Node& node, int line, AlertSettings& alerts) {
  MapReader m(loader, node, "alerts", line,
              {"events", "dedup_s", "max_per_minute", "queue", "retries", "retry_base_ms",
               "timeout_s", "hostname", "webhooks", "syslog"});
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
  for (const char* key : {"webhooks", "syslog"}) {
    if (!m.has(key) || !loader.expectSequence(m, key)) continue;
    const YAML::Node list = m.get(key);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = m.pathOf(key) + "[" + std::to_string(i) + "]";
      const int at = Loader::lineOf(list[i]);
      if (key[0] == 'w') {
        readWebhook(loader, list[i], at, path, alerts);
      } else {
        readSyslog(loader, list[i], at, path, alerts);
      }
    }
  }
  if (alerts.webhooks.empty() && alerts.syslog.empty()) {
    loader.warn(line, "alerts", "no webhooks and no syslog: alerts go nowhere");
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
