// The server object: workers started on their threads, counters gathered from each worker's
// own thread, call control that reaches every worker, and reload with its result.

#include "app/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/control_socket.h"
#include "config/config_loader.h"

namespace tg::app {
namespace {

// A UDP port nothing listens on right now.
uint16_t freeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ServerTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    pbxPort_ = freeUdpPort();
    trunkPort_ = freeUdpPort();
    writeConfig("");
    const config::LoadResult loaded = config::loadConfigFile(path());
    ASSERT_TRUE(loaded.ok()) << loaded.errors[0].toString();
    std::string error;
    server_ = Server::create(path(), loaded.config, &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  void TearDown() override {
    if (runner_.joinable()) {
      server_->stop();
      runner_.join();
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string path() const { return (dir_ / "gw.yaml").string(); }

  void writeConfig(const std::string& extra) {
    std::ofstream(path()) << "workers: 2\n"
                          << "pbx:\n  listen: [ \"udp://127.0.0.1:" << pbxPort_ << "\" ]\n"
                          << "  targets: [ { host: 127.0.0.2, port: 5080 } ]\n"
                          << "trunk:\n  listen: [ \"udp://127.0.0.1:" << trunkPort_ << "\" ]\n"
                          << "  providers:\n    - { name: carrier-a, host: 192.0.2.1, "
                             "transport: udp, allow_plaintext: true }\n"
                          << "health: { interval_ms: 0 }\n"
                          << "database: { path: cdr.db }\n"
                          << extra;
  }

  void startRunning() {
    ASSERT_EQ(server_->start(), "");
    runner_ = std::thread([this] { server_->run(); });
  }

  // reload() belongs to worker 0's thread, as a signal handler calls it.
  ReloadResult reloadOnWorker0() {
    std::promise<ReloadResult> done;
    asio::post(server_->mainIo(), [&] { done.set_value(server_->reload()); });
    return done.get_future().get();
  }

  std::filesystem::path dir_;
  uint16_t pbxPort_ = 0;
  uint16_t trunkPort_ = 0;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(ServerTest, SnapshotBeforeRunReadsEveryWorker) {
  const ServerSnapshot s = server_->snapshot();
  EXPECT_EQ(s.workers, 2u);
  EXPECT_EQ(s.workersAnswered, 2u);
  EXPECT_EQ(s.activeCalls, 0u);
}

TEST_F(ServerTest, SnapshotReadsRunningWorkersFromAnotherThread) {
  startRunning();
  const ServerSnapshot s = server_->snapshot();
  EXPECT_EQ(s.workers, 2u);
  EXPECT_EQ(s.workersAnswered, 2u);
  EXPECT_EQ(s.gateway.received, 0u);
  EXPECT_EQ(s.calls.callsStarted, 0u);
}

TEST_F(ServerTest, SnapshotReadsABusyWorkerWithoutWaitingForIt) {
  startRunning();
  // Worker 1 is stuck in a long task: its counters are atomics, so the snapshot reads them
  // anyway and at once (it used to wait 2 s for an answer and leave the worker out).
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  asio::post(server_->worker(1).io(), [released] { released.wait(); });
  const auto started = std::chrono::steady_clock::now();
  const ServerSnapshot s = server_->snapshot();
  const auto took = std::chrono::steady_clock::now() - started;
  release.set_value();
  EXPECT_EQ(s.workersAnswered, 2u);
  EXPECT_LT(took, std::chrono::seconds(1));
}

TEST_F(ServerTest, ForEachWorkerRunsOnEveryWorkerThread) {
  startRunning();
  std::atomic<int> seen{0};
  std::atomic<int> onOwnThread{0};
  server_->forEachWorker([&](Gateway& g) {
    if (g.io().get_executor().running_in_this_thread()) ++onOwnThread;
    ++seen;
  });
  for (int i = 0; i < 200 && seen < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(onOwnThread, 2);
}

TEST_F(ServerTest, CallControlWithNoCalls) {
  startRunning();
  EXPECT_TRUE(server_->listCalls().empty());
  EXPECT_FALSE(server_->endCall("0123456789abcdef", "test"));
}

// Call control reads a call's worker from its uuid: each worker makes uuids that hash to it.
TEST(CallUuids, NameTheirWorker) {
  for (size_t index = 0; index < 3; ++index) {
    const std::string uuid = idOfShard(8, Shard{index, 3});
    EXPECT_EQ(uuid.size(), 16u);
    EXPECT_EQ(shardOf(uuid, 3), index);
  }
  EXPECT_EQ(shardOf(idOfShard(8, Shard{0, 1}), 1), 0u);
}

// Issue 12 item 4: an in-dialog request with a To tag no call of ours has is answered 481 and
// counted by the guard as a probe (a security event), whichever worker owns its Call-ID.
TEST_F(ServerTest, AForgedToTagIsAnswered481AndCountedAsAProbe) {
  startRunning();
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in pbx{};  // the PBX's address: the pbx zone admits only its targets
  pbx.sin_family = AF_INET;
  pbx.sin_addr.s_addr = htonl(0x7f000002);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&pbx), sizeof(pbx)), 0);
  socklen_t len = sizeof(pbx);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&pbx), &len);
  const timeval wait{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  sockaddr_in gw{};
  gw.sin_family = AF_INET;
  gw.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  gw.sin_port = htons(pbxPort_);
  size_t answered = 0;
  for (int i = 0; i < 4; ++i) {  // Call-IDs spread over both workers
    const std::string port = std::to_string(ntohs(pbx.sin_port));
    const std::string options =
        "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.2:" +
        port + ";branch=z9hG4bK-forged-" + std::to_string(i) +
        "\r\nMax-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.2>;tag=f1\r\n"
        "To: <sip:gw@127.0.0.1>;tag=forged\r\nCall-ID: forged-" +
        std::to_string(i) + "@pbx\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    ::sendto(fd, options.data(), options.size(), 0, reinterpret_cast<sockaddr*>(&gw), sizeof(gw));
    char buf[2048];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0) << "no answer to forged OPTIONS " << i;
    EXPECT_EQ(std::string(buf, 12), "SIP/2.0 481 ");
    ++answered;
  }
  ::close(fd);
  EXPECT_EQ(answered, 4u);
  const ServerSnapshot s = server_->snapshot();
  EXPECT_EQ(s.guard.unknownDialogs, 4u);
  EXPECT_EQ(s.calls.unknownDialog, 4u);
}

// The kernel spreads one source's TCP/TLS connections over every worker's listener, so the
// offences that end in a ban (tcp.offences_before_ban, 10) are counted for the process: five on
// each of two workers are one ban, not two half-full counts.
TEST_F(ServerTest, OffencesOnTwoWorkersAddUpToOneBan) {
  ASSERT_EQ(server_->workerCount(), 2u);
  const base::Address attacker = *base::Address::parse("203.0.113.9", 40000);
  const base::TimePoint now = base::SystemClock::instance().now();
  for (size_t i = 0; i < 10; ++i) {
    server_->worker(i % 2).guard().streamOffence(transport::Zone::kPublic, attacker,
                                                 transport::StreamOffence::kFramingError, now);
  }
  const ServerSnapshot s = server_->snapshot();
  EXPECT_EQ(s.guard.streamOffences, 10u);
  EXPECT_EQ(s.guard.bansIssued, 1u) << "5 offences on each worker are the source's 10";
}

TEST_F(ServerTest, ReloadSaysWhatAppliedAndWhatNeedsARestart) {
  startRunning();
  writeConfig("b2bua: { user_agent: other }\ntcp: { idle_timeout_s: 60 }\n");
  const ReloadResult r = reloadOnWorker0();
  EXPECT_FALSE(r.refused);
  EXPECT_EQ(r.applied, std::vector<std::string>{"b2bua"});
  EXPECT_EQ(r.needsRestart, std::vector<std::string>{"tcp.idle_timeout_s"});
  EXPECT_EQ(server_->config()->b2bua.userAgent, "other");

  // The next reload compares with what is now running.
  const ReloadResult again = reloadOnWorker0();
  EXPECT_TRUE(again.applied.empty());
  EXPECT_TRUE(again.needsRestart.empty());
}

TEST_F(ServerTest, ABrokenFileIsRefused) {
  startRunning();
  writeConfig("wokers: 3\n");
  const ReloadResult r = reloadOnWorker0();
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(server_->config()->b2bua.userAgent, "trunkguard");
}

TEST_F(ServerTest, TheControlSocketAnswersTheStatus) {
  startRunning();
  const std::string socket = (dir_ / "cdr.db.ctl").string();
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  std::string answer;
  std::string error;
  ASSERT_TRUE(askControlSocket(socket, &answer, &error)) << error;
  nlohmann::json status = nlohmann::json::parse(answer);
  EXPECT_EQ(status["workers"], 2);
  EXPECT_EQ(status["workers_answered"], 2);
  EXPECT_EQ(status["active_calls"], 0);
  EXPECT_EQ(status["listeners"].size(), 2u);
  EXPECT_EQ(status["providers"][0]["name"], "carrier-a");
  EXPECT_TRUE(status["last_reload"].is_null());

  writeConfig("tcp: { idle_timeout_s: 60 }\n");
  reloadOnWorker0();
  ASSERT_TRUE(askControlSocket(socket, &answer, &error)) << error;
  status = nlohmann::json::parse(answer);
  EXPECT_EQ(status["last_reload"]["needs_restart"], nlohmann::json::array({"tcp.idle_timeout_s"}));

  server_->stop();
  runner_.join();
  EXPECT_FALSE(std::filesystem::exists(socket));  // removed on a clean stop
  EXPECT_FALSE(askControlSocket(socket, &answer, &error));
}

TEST_F(ServerTest, ASecondGatewayOnTheSameDatabaseIsRefused) {
  startRunning();
  const config::LoadResult loaded = config::loadConfigFile(path());
  ASSERT_TRUE(loaded.ok());
  std::string error;
  std::unique_ptr<Server> second = Server::create(path(), loaded.config, &error);
  ASSERT_NE(second, nullptr) << error;
  EXPECT_NE(second->start().find("another gateway is running"), std::string::npos);
}

TEST_F(ServerTest, ALeftoverSocketFileIsReplaced) {
  const std::string socket = (dir_ / "cdr.db.ctl").string();
  {
    ControlSocket old;  // bound, never served, then left behind as if the process died
    ASSERT_EQ(old.open(socket), "");
    const std::string kept = socket + ".kept";
    ASSERT_EQ(::link(socket.c_str(), kept.c_str()), 0);
    old.stop();
    ASSERT_EQ(::rename(kept.c_str(), socket.c_str()), 0);
  }
  startRunning();
  std::string answer;
  std::string error;
  EXPECT_TRUE(askControlSocket(socket, &answer, &error)) << error;
}

TEST_F(ServerTest, StopEndsRun) {
  startRunning();
  server_->stop();
  runner_.join();
  EXPECT_EQ(server_->snapshot().workersAnswered, 2u);  // read inline once nothing runs
}

}  // namespace
}  // namespace tg::app
