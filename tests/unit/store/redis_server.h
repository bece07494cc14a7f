#pragma once

// A real redis-server for the store's tests: started on a free loopback port with a temporary
// directory and no persistence, stopped (and its directory removed) by the destructor. It can
// be paused (SIGSTOP: the deadline path), killed and started again on the same port.

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tg::store::redis_test {

class RedisServer {
 public:
  // `extra`: more redis-server arguments ("--requirepass", "x", ...).
  explicit RedisServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    char tmpl[] = "/tmp/tg-redis-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    port_ = freePort();
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  // Whether it answers PING (with `password`, when it has one).
  bool ready() const { return ready_; }

  void start() {
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",   "--dir", dir_,
        "--save",       "",       "--appendonly",        "no",     "--daemonize", "no"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      // Quiet: its log goes to the temporary directory.
      const std::string log = dir_ + "/redis.log";
      if (FILE* f = std::freopen(log.c_str(), "w", stdout)) (void)f;
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    ready_ = waitReady();
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Returns once every thread of the server is stopped: SIGSTOP is delivered asynchronously, and
  // a server still running for a moment answers a command sent right after kill() returned.
  void pause() {
    ::kill(pid_, SIGSTOP);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!allThreadsStopped() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void resume() { ::kill(pid_, SIGCONT); }

  bool allThreadsStopped() const {
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      // "pid (comm) S ...": the state follows the last ')'.
      const size_t close = line.rfind(')');
      if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T') {
        return false;
      }
    }
    return !ec;
  }

  // A blocking connection for the test's own checks (TTL of keys, SCRIPT FLUSH).
  redisContext* connect(const char* password = nullptr) const {
    timeval tv{2, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c != nullptr && password != nullptr) {
      freeReplyObject(redisCommand(c, "AUTH %s", password));
    }
    return c;
  }

 private:
  static uint16_t freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  bool waitReady() const {
    for (int i = 0; i < 200; ++i) {
      if (redisContext* c = connect()) {
        const bool up = c->err == 0;
        if (up) {
          auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
          // With requirepass the answer is NOAUTH: up all the same.
          const bool answered = r != nullptr;
          if (r != nullptr) freeReplyObject(r);
          redisFree(c);
          if (answered) return true;
        } else {
          redisFree(c);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::vector<std::string> extra_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace tg::store::redis_test
