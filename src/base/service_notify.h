#pragma once

// Talks to the service manager (systemd's $NOTIFY_SOCKET) for a Type=notify unit: READY=1 once
// the listeners are bound, then WATCHDOG=1 keep-alives at half the unit's WatchdogSec so that a
// hung event loop gets the service restarted. Outside systemd (no NOTIFY_SOCKET) every call is a
// no-op. The only place in the code that knows about libsystemd.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <string_view>

namespace tg::base {

class ServiceNotifier {
 public:
  // Keep-alives run on `io`: if that loop stops turning, they stop too, which is the point.
  explicit ServiceNotifier(asio::io_context& io);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // READY=1 with a STATUS= line, and starts the watchdog keep-alives when the manager asked for
  // them (WATCHDOG_USEC for this process).
  void ready(std::string_view status);
  // STOPPING=1: the manager waits for the exit instead of declaring a failure.
  void stopping();

  // Zero when the manager set no watchdog for this process.
  std::chrono::microseconds watchdogInterval() const { return watchdogInterval_; }

 private:
  void scheduleKeepAlive();

  asio::steady_timer timer_;
  std::chrono::microseconds watchdogInterval_{0};
};

}  // namespace tg::base
