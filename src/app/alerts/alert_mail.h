#pragma once

// Alerts by mail: the message (RFC 5322, plain ASCII text) and its delivery over SMTP through
// libcurl, with STARTTLS required unless the target opts out (allow_plaintext). Runs on the
// alert thread only. The password goes to libcurl and nowhere else: never into a message.

#include <chrono>
#include <string>
#include <string_view>

#include "app/alerts/alert_folding.h"
#include "config/alerts_config.h"

namespace tg::app::alerts {

// The whole message, headers and body, lines ending in CRLF. `nowUnix` dates it; `id` makes
// its Message-ID unique (the delivery id, the same across retries).
std::string mailMessage(const Alert& alert, std::string_view host, const config::MailTarget& to,
                        int64_t nowUnix, std::string_view id);

// Once, before the first sendMail() (libcurl's global set-up), from the thread that starts the
// alerts.
void initMail();

// Sends `message` to every recipient of `target`: "" when the server took it, otherwise what
// went wrong (libcurl's reason; a server without STARTTLS fails unless allowPlaintext).
std::string sendMail(const config::MailTarget& target, const std::string& message,
                     std::chrono::seconds timeout);

}  // namespace tg::app::alerts
