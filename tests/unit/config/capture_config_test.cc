// The top-level `capture:`: checked with every load (file:line and key), read again by
// loadHepSettings() for the capture thread.

#include "config/capture_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The capture section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& capture) {
  return loadConfigString(std::string(kMinimalConfig) + capture, "test.yaml");
}

std::string writeConfig(const std::string& capture) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tg-capture-" + std::to_string(::getpid()) + "-" +
                             std::to_string(std::hash<std::string>{}(capture)) + ".yaml"))
                               .string();
  std::ofstream(path) << kMinimalConfig << capture;
  return path;
}

TEST(CaptureConfig, AbsentMeansOff) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const std::string path = writeConfig("");
  EXPECT_FALSE(loadHepSettings(path).has_value());
  std::filesystem::remove(path);
}

TEST(CaptureConfig, UdpCollectorWithAgentAndPassword) {
  const std::string section = R"(capture:
  hep:
    url: udp://127.0.0.1:9060
    agent_id: 2001
    password: homer
    queue: 512
)";
  ASSERT_TRUE(load(section).ok()) << dump(load(section));
  const std::string path = writeConfig(section);
  const auto hep = loadHepSettings(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(hep.has_value());
  EXPECT_FALSE(hep->tcp);
  EXPECT_EQ(hep->collector.toString(), "127.0.0.1:9060");
  EXPECT_EQ(hep->agentId, 2001u);
  EXPECT_EQ(hep->password, "homer");
  EXPECT_EQ(hep->queue, 512);
  EXPECT_EQ(hep->line, 12);
}

TEST(CaptureConfig, TcpOverIpv6) {
  const std::string path = writeConfig("capture:\n  hep: { url: \"tcp://[::1]:9061\" }\n");
  const auto hep = loadHepSettings(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(hep.has_value());
  EXPECT_TRUE(hep->tcp);
  EXPECT_EQ(hep->collector.toString(), "[::1]:9061");
  EXPECT_EQ(hep->agentId, 0u);
  EXPECT_TRUE(hep->password.empty());
}

TEST(CaptureConfig, BadValuesNameTheirKeys) {
  EXPECT_TRUE(hasError(load("capture:\n  hep:\n    url: http://127.0.0.1:9060\n"), 13,
                       "capture.hep.url", "is not udp://IP:PORT or tcp://IP:PORT"));
  EXPECT_TRUE(hasError(load("capture:\n  hep:\n    url: udp://homer.example:9060\n"), 13,
                       "capture.hep.url", "is not an IP address with a port"));
  EXPECT_TRUE(hasError(load("capture:\n  hep:\n    url: udp://127.0.0.1\n"), 13, "capture.hep.url",
                       "is not an IP address with a port"));
  EXPECT_TRUE(
      hasError(load("capture:\n  hep:\n    agent_id: 7\n"), 12, "capture.hep.url", "missing"));
  EXPECT_TRUE(hasError(load("capture:\n  hep:\n    url: udp://127.0.0.1:9060\n    agent_id: -1\n"),
                       14, "capture.hep.agent_id", ""));
  EXPECT_TRUE(hasError(load("capture:\n  hep:\n    url: udp://127.0.0.1:9060\n    queue: 1\n"), 14,
                       "capture.hep.queue", ""));
  const LoadResult typo = load("capture:\n  hep:\n    url: udp://127.0.0.1:9060\n    agentid: 1\n");
  EXPECT_FALSE(typo.ok());
  EXPECT_TRUE(hasError(typo, 14, "capture.hep", "unknown key 'agentid'"));
}

TEST(CaptureConfig, ABrokenSectionIsNotExported) {
  const std::string path = writeConfig("capture:\n  hep:\n    url: udp://nowhere\n");
  EXPECT_FALSE(loadHepSettings(path).has_value());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tg::config
