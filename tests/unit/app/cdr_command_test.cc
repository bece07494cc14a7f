#include "app/cdr_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "db/cdr_store.h"

namespace tg::app {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const base::SystemTime kStart = sys_days{year{2026} / November / 27} + 13h + 45min + 1s + 123ms;

class CdrCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-cdr-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Two calls: an answered outbound call and, a minute later, a busy inbound one.
  void writeCalls() {
    db::CdrStore store(path_);
    db::CdrRecord a;
    a.callUuid = "3f2a-outbound";
    a.direction = "outbound";
    a.provider = "carrier1";
    a.fromUri = "sip:100@pbx.example";
    a.toUri = "sip:+4930123456@carrier1.example";
    a.sourceAddress = "10.0.0.5:5060";
    a.startTime = kStart;
    a.disposition = "in-progress";
    store.recordStart(a);
    store.recordAnswer(a.callUuid, kStart + 2s);
    store.recordEnd(a.callUuid, kStart + 65s + 250ms, "answered", 200, "bye-from-a", 63250);

    db::CdrRecord b = a;
    b.callUuid = "77c1-inbound";
    b.direction = "inbound";
    b.fromUri = "sip:+4940999@carrier1.example";
    b.toUri = "sip:200@pbx.example";
    b.startTime = kStart + 1min;
    store.recordStart(b);
    store.recordEnd(b.callUuid, kStart + 1min + 3s, "busy", 486, "busy-here", 0);
  }

  int run(size_t limit, bool json) {
    out_.str("");
    err_.str("");
    return runCdrList(path_, limit, json, out_, err_);
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CdrCommandTest, TableIsNewestFirstAndAligned) {
  writeCalls();
  ASSERT_EQ(run(20, false), 0) << err_.str();
  EXPECT_EQ(err_.str(), "");
  const std::vector<std::string> rows = lines(out_.str());
  ASSERT_EQ(rows.size(), 3u) << out_.str();
  EXPECT_EQ(rows[0].rfind("START (UTC)", 0), 0u);
  EXPECT_EQ(rows[1].rfind("2026-11-27T13:46:01.123Z", 0), 0u) << rows[1];
  EXPECT_EQ(rows[2].rfind("2026-11-27T13:45:01.123Z", 0), 0u) << rows[2];
  // Every column starts at the same offset on every line.
  const std::vector<std::pair<std::string, std::vector<std::string>>> columns = {
      {"DIRECTION", {"inbound", "outbound"}},
      {"PROVIDER", {"carrier1", "carrier1"}},
      {"FROM", {"sip:+4940999@carrier1.example", "sip:100@pbx.example"}},
      {"TO", {"sip:200@pbx.example", "sip:+4930123456@carrier1.example"}},
      {"DISPOSITION", {"busy", "answered"}},
      {"CODE", {"486", "200"}},
      {"DURATION", {"0.000s", "63.250s"}},
      {"CALL UUID", {"77c1-inbound", "3f2a-outbound"}},
  };
  for (const auto& [header, values] : columns) {
    const size_t at = rows[0].find("  " + header) + 2;
    ASSERT_NE(at, std::string::npos + 2) << header;
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(rows[i + 1].compare(at, values[i].size(), values[i]), 0)
          << header << " in: " << rows[i + 1];
    }
  }
}

TEST_F(CdrCommandTest, LimitKeepsTheNewest) {
  writeCalls();
  ASSERT_EQ(run(1, false), 0);
  const std::vector<std::string> rows = lines(out_.str());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find("77c1-inbound"), std::string::npos);
}

TEST_F(CdrCommandTest, JsonHasEveryField) {
  writeCalls();
  ASSERT_EQ(run(20, true), 0) << err_.str();
  const nlohmann::json j = nlohmann::json::parse(out_.str());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["call_uuid"], "77c1-inbound");
  EXPECT_EQ(j[0]["disposition"], "busy");
  EXPECT_EQ(j[0]["sip_code"], 486);
  EXPECT_TRUE(j[0]["answer_time"].is_null());
  const nlohmann::json& a = j[1];
  EXPECT_EQ(a["call_uuid"], "3f2a-outbound");
  EXPECT_EQ(a["direction"], "outbound");
  EXPECT_EQ(a["provider"], "carrier1");
  EXPECT_EQ(a["from_uri"], "sip:100@pbx.example");
  EXPECT_EQ(a["to_uri"], "sip:+4930123456@carrier1.example");
  EXPECT_EQ(a["source_address"], "10.0.0.5:5060");
  EXPECT_EQ(a["start_time"], "2026-11-27T13:45:01.123Z");
  EXPECT_EQ(a["answer_time"], "2026-11-27T13:45:03.123Z");
  EXPECT_EQ(a["end_time"], "2026-11-27T13:46:06.373Z");
  EXPECT_EQ(a["sip_code"], 200);
  EXPECT_EQ(a["end_reason"], "bye-from-a");
  EXPECT_EQ(a["duration_ms"], 63250);
  for (const char* key :
       {"a_call_id", "a_from_tag", "a_to_tag", "b_call_id", "b_from_tag", "b_to_tag"}) {
    EXPECT_TRUE(a.contains(key)) << key;
  }
}

TEST_F(CdrCommandTest, EmptyDatabase) {
  { db::CdrStore store(path_); }
  ASSERT_EQ(run(20, false), 0);
  EXPECT_NE(out_.str().find("no calls recorded"), std::string::npos);
  ASSERT_EQ(run(20, true), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str()), nlohmann::json::array());
}

TEST_F(CdrCommandTest, MissingDatabaseIsExit2AndNotCreated) {
  EXPECT_EQ(run(20, false), 2);
  EXPECT_EQ(err_.str(),
            "cdr list: no database at " + path_ + "; start the gateway once, or check -c / --db\n");
  EXPECT_EQ(out_.str(), "");
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(run(20, true), 2);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(CdrCommandTest, NotADatabaseIsExit2) {
  { std::ofstream(path_) << "this is not sqlite, just text that is long enough to be a header"; }
  EXPECT_EQ(run(20, false), 2);
  EXPECT_NE(err_.str().find(path_), std::string::npos) << err_.str();
}

TEST_F(CdrCommandTest, DirectoryIsExit2) {
  out_.str("");
  err_.str("");
  EXPECT_EQ(runCdrList(dir_.string(), 20, false, out_, err_), 2);
  EXPECT_NE(err_.str().find("is a directory"), std::string::npos) << err_.str();
}

TEST_F(CdrCommandTest, JsonKeepsFieldOrder) {
  writeCalls();
  ASSERT_EQ(run(1, true), 0);
  const std::string text = out_.str();
  EXPECT_LT(text.find("\"call_uuid\""), text.find("\"direction\""));
  EXPECT_LT(text.find("\"start_time\""), text.find("\"duration_ms\""));
}

TEST_F(CdrCommandTest, ControlBytesFromTheNetworkAreEscaped) {
  {
    db::CdrStore store(path_);
    db::CdrRecord r;
    r.callUuid = "c1";
    r.direction = "inbound";
    r.fromUri = "sip:\x1b]0;pwned\x07@evil.example";
    r.toUri = "sip:200@pbx.example\xff";  // not UTF-8 either
    r.startTime = kStart;
    store.recordStart(r);
  }
  ASSERT_EQ(run(20, false), 0);
  EXPECT_EQ(out_.str().find('\x1b'), std::string::npos);
  EXPECT_NE(out_.str().find("sip:\\x1b]0;pwned\\x07@evil.example"), std::string::npos);
  ASSERT_EQ(run(20, true), 0);  // invalid UTF-8 must not throw
  EXPECT_EQ(nlohmann::json::parse(out_.str())[0]["from_uri"], "sip:\x1b]0;pwned\x07@evil.example");
}

}  // namespace
}  // namespace tg::app
