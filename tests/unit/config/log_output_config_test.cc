#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The log section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& log) {
  return loadConfigString(std::string(kMinimalConfig) + log, "test.yaml");
}

TEST(LogOutputConfig, StderrByDefault) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->log.output, "stderr");
  EXPECT_EQ(r.config->log.syslogSocket, "/dev/log");
}

TEST(LogOutputConfig, EachOutput) {
  for (const char* output : {"stderr", "journal", "syslog"}) {
    const LoadResult r = load(std::string("log: { output: ") + output + " }\n");
    ASSERT_TRUE(r.ok()) << output << dump(r);
    EXPECT_EQ(r.config->log.output, output);
  }
  const LoadResult file = load("log: { output: file, file: /var/log/trunkguard/tg.log }\n");
  ASSERT_TRUE(file.ok()) << dump(file);
  EXPECT_EQ(file.config->log.file, "/var/log/trunkguard/tg.log");
  const LoadResult syslog = load("log: { output: syslog, syslog_socket: /run/rsyslog.sock }\n");
  ASSERT_TRUE(syslog.ok()) << dump(syslog);
  EXPECT_EQ(syslog.config->log.syslogSocket, "/run/rsyslog.sock");
}

TEST(LogOutputConfig, MistakesAreErrorsWithTheirLine) {
  EXPECT_TRUE(hasError(load("log:\n  output: printer\n"), 12, "log.output",
                       "unknown log output 'printer'; use stderr, journal, syslog or file"));
  EXPECT_TRUE(
      hasError(load("log:\n  output: file\n"), 12, "log.output", "needs an absolute file path"));
  EXPECT_TRUE(hasError(load("log:\n  output: file\n  file: trunkguard.log\n"), 12, "log.output",
                       "needs an absolute file path"));
  EXPECT_TRUE(hasError(load("log:\n  outptu: file\n"), 12, "log", "unknown key 'outptu'"));
}

}  // namespace
}  // namespace tg::config
