#pragma once

// Where alerts go: a webhook (one HTTP POST per attempt; the dispatcher retries) and syslog over
// a local datagram socket or UDP. Both run on the alert thread only.

#include <chrono>
#include <string>

#include "config/alerts_config.h"

namespace tg::app::alerts {

// POSTs `body` (JSON) to the hook, signed when it has a secret; "" on a 2xx answer, otherwise
// what went wrong. `delivery` names the alert across retries (X-Trunkguard-Delivery), so a
// receiver can drop a repeat whose first answer was lost.
std::string postWebhook(const config::WebhookTarget& hook, const std::string& body,
                        const std::string& delivery, std::chrono::seconds timeout);

class SyslogSender {
 public:
  explicit SyslogSender(const config::SyslogTarget& target);
  ~SyslogSender();
  SyslogSender(const SyslogSender&) = delete;
  SyslogSender& operator=(const SyslogSender&) = delete;

  // One datagram; "" or why not (the socket is reopened on the next send).
  std::string send(const std::string& line);

 private:
  config::SyslogTarget target_;
  int fd_ = -1;
};

}  // namespace tg::app::alerts
