#pragma once

// The gateway's state in the Prometheus text exposition format (version 0.0.4), for the admin
// API's GET /metrics. Built from Server::status(): every counter of the X-macro lists
// (base/counters.h) as a `trunkguard_<component>_<name>_total` counter with its help text, and
// gauges for active calls, workers, bans, each peer address's health and each provider
// registration. docs/api.md "Metrics" lists the names.

#include <string>
#include <string_view>

#include "app/status_report.h"

namespace tg::app::admin_api {

// The Content-Type of the exposition.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string metricsText(const StatusFacts& facts);

// "sourceDropped" -> "source_dropped": a counter's field name as a metric name part.
std::string snakeCase(std::string_view camel);

}  // namespace tg::app::admin_api
