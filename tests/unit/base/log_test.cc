#include "base/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace tg::log {
namespace {

class LogTest : public testing::Test {
 protected:
  void SetUp() override { sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_); }
  // The next test (and anything else in this binary) gets stderr back, not a dead stream.
  void TearDown() override { init(Settings{}, std::make_shared<spdlog::sinks::stderr_sink_mt>()); }

  void start(const std::string& format, const std::string& level = "info",
             std::map<std::string, std::string> modules = {}) {
    Settings s;
    s.format = format;
    s.level = level;
    s.modules = std::move(modules);
    ASSERT_EQ(validateSettings(s), "");
    init(s, sink_);
  }

  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  std::ostringstream out_;
  spdlog::sink_ptr sink_;
};

TEST_F(LogTest, JsonLineCarriesTimestampLevelModuleAndMessage) {
  start("json");
  TG_LOG(kB2bua, info, "call={} answered after {} ms", "c-1", 42);
  const auto out = lines();
  ASSERT_EQ(out.size(), 1u);
  const auto j = nlohmann::json::parse(out[0]);
  EXPECT_EQ(j.at("level"), "info");
  EXPECT_EQ(j.at("module"), "b2bua");
  EXPECT_EQ(j.at("msg"), "call=c-1 answered after 42 ms");
  const std::string ts = j.at("ts");
  // 2026-11-27T13:45:01.123Z
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_EQ(j.size(), 4u);
}

TEST_F(LogTest, JsonEscapesEverythingThatWouldBreakTheLine) {
  start("json");
  const std::string nasty = std::string("quote\" backslash\\ newline\n cr\r tab\t bell\x07 nul") +
                            '\0' + " del\x7f esc\x1b[31m brace{} é €";
  TG_LOG(kTransport, warn, "{}", nasty);
  const std::string raw = out_.str();
  // Exactly one line: no raw newline or CR survived inside the message.
  ASSERT_EQ(std::count(raw.begin(), raw.end(), '\n'), 1) << raw;
  EXPECT_EQ(raw.find('\r'), std::string::npos);
  EXPECT_EQ(raw.find('\x1b'), std::string::npos);
  const auto j = nlohmann::json::parse(lines().at(0));
  EXPECT_EQ(j.at("msg"), nasty);  // escaping is lossless for valid UTF-8
  EXPECT_EQ(j.at("level"), "warn");
  EXPECT_EQ(j.at("module"), "transport");
}

TEST_F(LogTest, JsonReplacesInvalidUtf8SoTheLineStillParses) {
  start("json");
  // A lone continuation byte, a truncated sequence, an overlong encoding and a surrogate.
  TG_LOG(kMain, err, "{}",
         std::string("a\x80"
                     "b\xe2\x82"
                     "c\xc0\xaf"
                     "d\xed\xa0\x80"
                     "e"));
  const auto j = nlohmann::json::parse(lines().at(0));
  const std::string msg = j.at("msg");
  EXPECT_EQ(msg.front(), 'a');
  EXPECT_EQ(msg.back(), 'e');
  EXPECT_NE(msg.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
  EXPECT_EQ(j.at("level"), "error");
}

TEST_F(LogTest, TextLineLayoutAndEscapedControlCharacters) {
  start("text");
  TG_LOG(kB2bua, info, "call={} line1\nline2\x01", "c-9");
  const auto out = lines();
  ASSERT_EQ(out.size(), 1u);
  const std::string& line = out[0];
  // 2026-11-27 13:45:01.123 info  b2bua  call=...
  ASSERT_GT(line.size(), 24u);
  EXPECT_EQ(line[10], ' ');
  EXPECT_EQ(line[19], '.');
  EXPECT_EQ(line.substr(23), " info  b2bua  call=c-9 line1\\nline2\\x01");
}

TEST_F(LogTest, PerModuleLevels) {
  start("json", "warn", {{"b2bua", "debug"}, {"db", "off"}});
  EXPECT_EQ(get(Module::kB2bua).level(), spdlog::level::debug);
  EXPECT_EQ(get(Module::kTransport).level(), spdlog::level::warn);
  EXPECT_EQ(get(Module::kDb).level(), spdlog::level::off);
  TG_LOG(kB2bua, debug, "b2bua debug shown");
  TG_LOG(kB2bua, trace, "b2bua trace hidden");
  TG_LOG(kTransport, info, "transport info hidden");
  TG_LOG(kTransport, warn, "transport warn shown");
  TG_LOG(kDb, critical, "db critical hidden");
  std::vector<std::string> messages;
  for (const auto& line : lines()) messages.push_back(nlohmann::json::parse(line).at("msg"));
  EXPECT_EQ(messages, (std::vector<std::string>{"b2bua debug shown", "transport warn shown"}));
}

TEST_F(LogTest, InitAgainReconfiguresFormatAndLevels) {
  start("text", "error");
  TG_LOG(kConfig, info, "hidden");
  EXPECT_EQ(out_.str(), "");
  // A reload: same loggers, new settings, no new sink.
  Settings s;
  s.level = "info";
  s.format = "json";
  init(s);
  TG_LOG(kConfig, info, "reloaded");
  const auto j = nlohmann::json::parse(lines().at(0));
  EXPECT_EQ(j.at("msg"), "reloaded");
  EXPECT_EQ(j.at("module"), "config");
  // Modules not named again fall back to the base level.
  init(Settings{.level = "info", .format = "text", .modules = {{"config", "error"}}});
  EXPECT_EQ(get(Module::kConfig).level(), spdlog::level::err);
  init(Settings{.level = "info", .format = "text", .modules = {}});
  EXPECT_EQ(get(Module::kConfig).level(), spdlog::level::info);
}

TEST_F(LogTest, GetIsStableAcrossInit) {
  spdlog::logger* before = &get(Module::kTransaction);
  start("json");
  EXPECT_EQ(&get(Module::kTransaction), before);
  EXPECT_EQ(get(Module::kTransaction).name(), "transaction");
}

TEST(LogSettings, Validate) {
  EXPECT_EQ(validateSettings(Settings{}), "");
  for (const char* level :
       {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"}) {
    Settings s;
    s.level = level;
    EXPECT_EQ(validateSettings(s), "") << level;
  }
  Settings badLevel;
  badLevel.level = "loud";
  EXPECT_NE(validateSettings(badLevel).find("unknown log level 'loud'"), std::string::npos);
  Settings badFormat;
  badFormat.format = "xml";
  EXPECT_NE(validateSettings(badFormat).find("unknown log format 'xml'; use text or json"),
            std::string::npos);
  Settings badModule;
  badModule.modules = {{"b2bau", "debug"}};
  EXPECT_NE(validateSettings(badModule).find("unknown log module 'b2bau'; use one of main"),
            std::string::npos);
  Settings badModuleLevel;
  badModuleLevel.modules = {{"db", "verbose"}};
  EXPECT_NE(validateSettings(badModuleLevel).find("unknown log level 'verbose' for module 'db'"),
            std::string::npos);
  // Everything wrong at once is reported at once.
  Settings all;
  all.level = "x";
  all.format = "y";
  all.modules = {{"z", "w"}};
  const std::string err = validateSettings(all);
  EXPECT_NE(err.find("'x'"), std::string::npos);
  EXPECT_NE(err.find("'y'"), std::string::npos);
  EXPECT_NE(err.find("'z'"), std::string::npos);
  EXPECT_NE(err.find("'w'"), std::string::npos);
}

TEST(LogModules, Names) {
  EXPECT_EQ(moduleName(Module::kMain), "main");
  EXPECT_EQ(moduleName(Module::kConfig), "config");
  EXPECT_EQ(moduleName(Module::kTransport), "transport");
  EXPECT_EQ(moduleName(Module::kTransaction), "transaction");
  EXPECT_EQ(moduleName(Module::kB2bua), "b2bua");
  EXPECT_EQ(moduleName(Module::kDb), "db");
  EXPECT_EQ(moduleName(Module::kCount), "unknown");
  for (int i = 0; i < static_cast<int>(Module::kCount); ++i) {
    const auto m = static_cast<Module>(i);
    EXPECT_EQ(get(m).name(), moduleName(m));
    Settings s;
    s.modules[std::string(moduleName(m))] = "debug";
    EXPECT_EQ(validateSettings(s), "") << moduleName(m);
  }
}

}  // namespace
}  // namespace tg::log
