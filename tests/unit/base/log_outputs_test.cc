// log.output: syslog (RFC 5424 to a local socket), file (reopened on SIGUSR1), journal fields.

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "base/log.h"
#include "base/log_sinks.h"

namespace tg::log {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LogOutputTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("tg-log-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    init(Settings{}, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

// A local syslog daemon's socket: what the gateway sends, one datagram per line.
class SyslogReceiver {
 public:
  explicit SyslogReceiver(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~SyslogReceiver() { close(fd_); }
  std::string next() {
    char buf[2048];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }

 private:
  int fd_ = -1;
};

TEST_F(LogOutputTest, SyslogSendsOneRfc5424RecordPerLine) {
  const std::string socketPath = (dir_ / "log.sock").string();
  SyslogReceiver daemon(socketPath);
  Settings s;
  s.output = "syslog";
  s.syslogSocket = socketPath;
  ASSERT_EQ(validateSettings(s), "");
  init(s);
  TG_LOG(kGuard, warn, "call={} blocked\nforged line", "c-7");
  TG_LOG(kB2bua, info, "answered");
  TG_LOG(kDb, debug, "not at the configured level");

  const std::string first = daemon.next();
  // <daemon*8 + warning> VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
  const std::regex record(
      R"(<28>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [!-~]+ trunkguard (\d+) guard - (.*))");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(first, m, record)) << first;
  EXPECT_EQ(m[1], std::to_string(getpid()));
  EXPECT_EQ(m[2], "call=c-7 blocked\\nforged line");  // no second record can be forged
  const std::string second = daemon.next();
  EXPECT_NE(second.find("<30>1 "), std::string::npos) << second;
  EXPECT_NE(second.find(" trunkguard " + std::to_string(getpid()) + " b2bua - answered"),
            std::string::npos)
      << second;
  EXPECT_EQ(daemon.next(), "");
}

TEST_F(LogOutputTest, SyslogWithoutADaemonFallsBackToStderr) {
  Settings s;
  s.output = "syslog";
  s.syslogSocket = (dir_ / "nobody-listens.sock").string();
  init(s);
  testing::internal::CaptureStderr();
  TG_LOG(kMain, err, "still seen");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("still seen"), std::string::npos) << err;
}

TEST_F(LogOutputTest, FileIsReopenedOnSigusr1ForLogrotate) {
  const fs::path file = dir_ / "trunkguard.log";
  Settings s;
  s.output = "file";
  s.file = file.string();
  ASSERT_EQ(validateSettings(s), "");
  init(s);
  TG_LOG(kMain, info, "before rotation");
  fs::rename(file, dir_ / "trunkguard.log.1");  // what logrotate does
  TG_LOG(kMain, info, "still the old file");
  ASSERT_EQ(std::raise(SIGUSR1), 0);  // logrotate's postrotate
  TG_LOG(kMain, info, "after rotation");

  const std::string rotated = readFile(dir_ / "trunkguard.log.1");
  EXPECT_NE(rotated.find("info  main   before rotation\n"), std::string::npos) << rotated;
  EXPECT_NE(rotated.find("still the old file"), std::string::npos) << rotated;
  const std::string current = readFile(file);
  EXPECT_EQ(current.find("before rotation"), std::string::npos) << current;
  EXPECT_NE(current.find("info  main   after rotation\n"), std::string::npos) << current;
}

TEST_F(LogOutputTest, Sigusr1NeverTerminatesWhateverTheOutput) {
  init(Settings{});
  ASSERT_EQ(std::raise(SIGUSR1), 0);  // the default action would end this test binary here
  TG_LOG(kMain, info, "alive");
}

TEST_F(LogOutputTest, FileTakesTheJsonFormat) {
  const fs::path file = dir_ / "trunkguard.log";
  Settings s;
  s.output = "file";
  s.file = file.string();
  s.format = "json";
  init(s);
  TG_LOG(kB2bua, info, "call={} ended", "c-1");
  EXPECT_NE(readFile(file).find(R"("module":"b2bua","msg":"call=c-1 ended"})"), std::string::npos);
}

TEST_F(LogOutputTest, AFileThatCannotBeOpenedLeavesLogsOnStderrAndSaysWhy) {
  Settings s;
  s.output = "file";
  s.file = (dir_ / "missing-folder" / "trunkguard.log").string();
  testing::internal::CaptureStderr();
  init(s);
  TG_LOG(kMain, info, "not lost");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cannot open log file " + s.file), std::string::npos) << err;
  EXPECT_NE(err.find("logging to stderr instead"), std::string::npos) << err;
  EXPECT_NE(err.find("not lost"), std::string::npos) << err;
}

TEST_F(LogOutputTest, AReloadWithTheSameOutputKeepsTheFileOpen) {
  const fs::path file = dir_ / "trunkguard.log";
  Settings s;
  s.output = "file";
  s.file = file.string();
  init(s);
  fs::rename(file, dir_ / "moved.log");
  s.level = "debug";
  init(s);  // a SIGHUP reload: levels change, the file is not reopened
  TG_LOG(kMain, debug, "debug now");
  EXPECT_NE(readFile(dir_ / "moved.log").find("debug now"), std::string::npos);
  EXPECT_FALSE(fs::exists(file));
}

// The journal's native protocol, received on a stand-in for journald's socket. Only where no
// journald runs (the path is fixed in libsystemd); the stand-in and its folder are removed.
TEST_F(LogOutputTest, JournalGetsStructuredFields) {
  const fs::path socketDir = "/run/systemd/journal";
  const fs::path socketPath = socketDir / "socket";
  std::error_code ec;
  if (fs::exists(socketPath, ec)) GTEST_SKIP() << "a journald runs here";
  const bool madeDir = !fs::exists(socketDir, ec);
  if (!fs::create_directories(socketDir, ec) && madeDir) GTEST_SKIP() << "cannot create /run";
  {
    SyslogReceiver journald(socketPath.string());  // the same kind of socket: datagrams
    Settings s;
    s.output = "journal";
    init(s);
    TG_LOG(kGuard, warn, "call={} refused by rule={}", "c-3", "no-premium");
    const std::string entry = journald.next();
    for (const char* field : {"MESSAGE=guard: call=c-3 refused by rule=no-premium\n",
                              "PRIORITY=4\n", "SYSLOG_IDENTIFIER=trunkguard\n", "TG_MODULE=guard\n",
                              "TG_CALL_ID=c-3\n", "TG_RULE=no-premium\n"}) {
      EXPECT_NE(entry.find(field), std::string::npos) << field << " in " << entry;
    }
  }
  fs::remove(socketPath, ec);
  if (madeDir) {
    fs::remove(socketDir, ec);
    fs::remove(socketDir.parent_path(), ec);  // only when empty
  }
}

TEST_F(LogOutputTest, JournalWithoutJournaldFallsBackToStderr) {
  std::error_code ec;
  if (fs::exists("/run/systemd/journal/socket", ec)) GTEST_SKIP() << "a journald runs here";
  Settings s;
  s.output = "journal";
  init(s);
  testing::internal::CaptureStderr();
  TG_LOG(kMain, warn, "no journal here");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("main: no journal here"), std::string::npos) << err;
}

TEST(LogOutputSettings, Validate) {
  Settings s;
  s.output = "printer";
  EXPECT_NE(validateSettings(s).find("unknown log output 'printer'"), std::string::npos);
  s.output = "file";
  EXPECT_NE(validateSettings(s).find("absolute file path"), std::string::npos);
  s.file = "relative.log";
  EXPECT_NE(validateSettings(s).find("absolute file path"), std::string::npos);
  s.file = "/var/log/trunkguard/trunkguard.log";
  EXPECT_EQ(validateSettings(s), "");
  s.output = "journal";
  EXPECT_EQ(validateSettings(s), "");
  s.output = "syslog";
  s.syslogSocket = "";
  EXPECT_NE(validateSettings(s).find("socket path"), std::string::npos);
}

TEST(JournalFields, TheWordsOfAMessageThatBecomeFields) {
  using Fields = std::vector<std::pair<std::string_view, std::string_view>>;
  EXPECT_EQ(journalFields("call=c-9 refused by rule=no-premium (zone=pbx), source=192.0.2.7"),
            (Fields{{"TG_CALL_ID", "c-9"},
                    {"TG_RULE", "no-premium"},
                    {"TG_ZONE", "pbx"},
                    {"TG_SOURCE", "192.0.2.7"}}));
  EXPECT_EQ(journalFields("recall=1 zone= nothing"), Fields{});  // not a word start; empty value
  EXPECT_EQ(journalFields(""), Fields{});
}

TEST(SyslogRecord, HeaderFieldsInRfc5424Order) {
  EXPECT_EQ(syslogRecord(3, "2026-12-07T12:00:00.123Z", "gw1", 42, "db", "disk full"),
            "<27>1 2026-12-07T12:00:00.123Z gw1 trunkguard 42 db - disk full");
  EXPECT_EQ(syslogRecord(6, "2026-12-07T12:00:00.123Z", "", 42, "", "x"),
            "<30>1 2026-12-07T12:00:00.123Z - trunkguard 42 - - x");
}

}  // namespace
}  // namespace tg::log
