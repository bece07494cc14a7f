#include "base/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace tg::base {
namespace {

// A stand-in for systemd's notification socket: a datagram socket the notifier sends to.
class FakeNotifySocket {
 public:
  FakeNotifySocket() {
    path_ = (std::filesystem::temp_directory_path() /
             ("tg-notify-" + std::to_string(getpid()) + ".sock"))
                .string();
    std::filesystem::remove(path_);
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~FakeNotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd_);
    std::filesystem::remove(path_);
  }
  std::vector<std::string> received() {
    std::vector<std::string> out;
    char buf[512];
    for (ssize_t n; (n = recv(fd_, buf, sizeof(buf), 0)) > 0;) out.emplace_back(buf, size_t(n));
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(ServiceNotifierTest, ReadyThenKeepAlivesAtHalfTheWatchdogInterval) {
  FakeNotifySocket manager;
  setenv("WATCHDOG_USEC", "100000", 1);  // 100 ms: keep-alives every 50 ms
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  asio::io_context io;
  ServiceNotifier notifier(io);
  EXPECT_EQ(notifier.watchdogInterval(), std::chrono::milliseconds(100));
  notifier.ready("listening on 2 sockets");
  io.run_for(std::chrono::milliseconds(230));
  const std::vector<std::string> got = manager.received();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], "READY=1\nSTATUS=listening on 2 sockets");
  size_t keepAlives = 0;
  for (const std::string& m : got) keepAlives += m == "WATCHDOG=1";
  // One at once, then one per 50 ms; a loaded machine may lose a tick, never gain one.
  EXPECT_GE(keepAlives, 3u);
  EXPECT_LE(keepAlives, 6u);
}

TEST(ServiceNotifierTest, NoWatchdogWhenTheManagerSetNoneForThisProcess) {
  FakeNotifySocket manager;
  setenv("WATCHDOG_USEC", "100000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);  // meant for another process
  asio::io_context io;
  ServiceNotifier notifier(io);
  EXPECT_EQ(notifier.watchdogInterval().count(), 0);
  notifier.ready("up");
  io.run_for(std::chrono::milliseconds(120));
  EXPECT_EQ(manager.received(), std::vector<std::string>{"READY=1\nSTATUS=up"});
}

TEST(ServiceNotifierTest, StoppingEndsTheKeepAlives) {
  FakeNotifySocket manager;
  setenv("WATCHDOG_USEC", "40000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  asio::io_context io;
  ServiceNotifier notifier(io);
  notifier.ready("up");
  notifier.stopping();
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(manager.received(),
            (std::vector<std::string>{"READY=1\nSTATUS=up", "WATCHDOG=1", "STOPPING=1"}));
}

TEST(ServiceNotifierTest, WithoutAServiceManagerEverythingIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  asio::io_context io;
  ServiceNotifier notifier(io);
  EXPECT_EQ(notifier.watchdogInterval().count(), 0);
  notifier.ready("up");
  notifier.stopping();
  io.run_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace tg::base
