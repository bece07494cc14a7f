#pragma once

// How an alert is written: the webhook's JSON body and its HMAC-SHA256 signature, and the
// RFC 5424 syslog message.

#include <string>
#include <string_view>

#include "app/alerts/alert_folding.h"

namespace tg::app::alerts {

// {"kind","zone","source","reason","action","time","count","first","last","summary","host"}
// (times in Unix seconds).
std::string alertJson(const Alert& alert, std::string_view host);

// "sha256=<hex HMAC-SHA256 of body under key>": the X-Trunkguard-Signature header.
std::string signature(std::string_view key, std::string_view body);

// <PRI>1 TIMESTAMP HOST trunkguard PID MSGID [alert@32473 ...] MSG, facility authpriv (10),
// severity warning; MSGID is the rule. No BOM: the message is printable ASCII.
std::string syslogLine(const Alert& alert, std::string_view host, int pid);

}  // namespace tg::app::alerts
