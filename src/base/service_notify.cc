#include "base/service_notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace tg::base {

ServiceNotifier::ServiceNotifier(asio::io_context& io) : timer_(io) {
  uint64_t usec = 0;
  // 0 unset_environment: the variables stay for anyone who reads them after us.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdogInterval_ = std::chrono::microseconds(usec);
  }
}

ServiceNotifier::~ServiceNotifier() { timer_.cancel(); }

void ServiceNotifier::ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
  if (watchdogInterval_.count() > 0) {
    sd_notify(0, "WATCHDOG=1");
    scheduleKeepAlive();
  }
}

void ServiceNotifier::stopping() {
  timer_.cancel();
  sd_notify(0, "STOPPING=1");
}

void ServiceNotifier::scheduleKeepAlive() {
  // Half the interval: one late keep-alive still arrives before the manager gives up.
  timer_.expires_after(watchdogInterval_ / 2);
  timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    sd_notify(0, "WATCHDOG=1");
    scheduleKeepAlive();
  });
}

}  // namespace tg::base
