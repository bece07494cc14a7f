#include "app/ban_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "db/audit_store.h"

namespace tg::app {
namespace {

using namespace std::chrono_literals;

class BanCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-bancli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int run(const std::string& action, const std::string& target, BanCommandOptions o = {}) {
    o.action = action;
    o.target = target;
    if (o.configPath.empty() && o.dbPath.empty()) o.dbPath = db_;
    if (o.admin.totpUser.empty()) o.admin.localRoot = asRoot_;
    out_.str("");
    err_.str("");
    return runBan(o, out_, err_, origin_);
  }

  bool asRoot_ = true;  // edits pass --local-root
  LocalOrigin origin_{.uid = 0, .effectiveRoot = true, .tty = "/dev/pts/9", .host = "testhost"};

  std::filesystem::path dir_;
  std::string db_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST(BanDurationTest, Parses) {
  std::string why;
  EXPECT_EQ(parseBanDuration("3600", &why), 3600s);
  EXPECT_EQ(parseBanDuration("30m", &why), 1800s);
  EXPECT_EQ(parseBanDuration("1h", &why), 3600s);
  EXPECT_EQ(parseBanDuration("2d", &why), 172800s);
  EXPECT_EQ(parseBanDuration("permanent", &why), 0s);
  EXPECT_FALSE(parseBanDuration("5x", &why));
  EXPECT_NE(why.find("30m"), std::string::npos);
  EXPECT_FALSE(parseBanDuration("-1", &why));
  EXPECT_FALSE(parseBanDuration("h", &why));
}

TEST_F(BanCommandTest, AddListRemove) {
  BanCommandOptions o;
  o.duration = "1h";
  o.reason = "sipvicious";
  EXPECT_EQ(run("add", "203.0.113.9", o), 0) << err_.str();
  EXPECT_NE(out_.str().find("203.0.113.9/32 for 3600s"), std::string::npos) << out_.str();
  EXPECT_EQ(run("add", "2001:db8::/32"), 0) << err_.str();
  EXPECT_EQ(run("list", ""), 0) << err_.str();
  EXPECT_NE(out_.str().find("203.0.113.9/32"), std::string::npos);
  EXPECT_NE(out_.str().find("sipvicious"), std::string::npos);
  EXPECT_NE(out_.str().find("2001:db8::/32"), std::string::npos);
  BanCommandOptions json;
  json.json = true;
  EXPECT_EQ(run("list", "", json), 0);
  EXPECT_NE(out_.str().find("\"network\": \"203.0.113.9/32\""), std::string::npos) << out_.str();
  EXPECT_EQ(run("remove", "203.0.113.9"), 0) << err_.str();
  EXPECT_EQ(run("remove", "203.0.113.9"), 1);
  EXPECT_NE(err_.str().find("no ban"), std::string::npos);
  EXPECT_EQ(run("list", ""), 0);
  EXPECT_EQ(out_.str().find("203.0.113.9"), std::string::npos);
}

TEST_F(BanCommandTest, BadUsageExitsTwo) {
  EXPECT_EQ(run("list", ""), 1);  // no database yet
  EXPECT_EQ(run("add", "not-an-ip"), 2);
  BanCommandOptions o;
  o.duration = "soon";
  EXPECT_EQ(run("add", "203.0.113.9", o), 2);
  EXPECT_NE(err_.str().find("--duration"), std::string::npos);
  BanCommandOptions none;
  none.action = "list";
  EXPECT_EQ(runBan(none, out_, err_, origin_), 2);  // neither -c nor --db
}

TEST_F(BanCommandTest, EditsWithoutAnAdminAreRefusedAndChangeNothing) {
  asRoot_ = false;
  EXPECT_EQ(run("add", "203.0.113.9"), kNotAuthorisedExit);
  EXPECT_NE(err_.str().find("needs an admin"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("nothing changed"), std::string::npos);
  EXPECT_EQ(run("list", ""), 0);
  EXPECT_NE(out_.str().find("no active bans"), std::string::npos) << out_.str();

  asRoot_ = true;
  ASSERT_EQ(run("add", "203.0.113.9"), 0) << err_.str();
  asRoot_ = false;
  EXPECT_EQ(run("remove", "203.0.113.9"), kNotAuthorisedExit);
  const std::string feed = (dir_ / "feed.txt").string();
  std::ofstream(feed) << "198.51.100.0/24\n";
  EXPECT_EQ(run("import", feed), kNotAuthorisedExit);
  EXPECT_EQ(run("list", ""), 0);
  EXPECT_NE(out_.str().find("203.0.113.9/32"), std::string::npos);
  EXPECT_EQ(out_.str().find("198.51.100.0/24"), std::string::npos);

  // --local-root is refused to a non-root process.
  origin_.effectiveRoot = false;
  asRoot_ = true;
  EXPECT_EQ(run("remove", "203.0.113.9"), kNotAuthorisedExit);
  EXPECT_NE(err_.str().find("needs root"), std::string::npos) << err_.str();

  db::AuditStore audit(db_);
  const auto rows = audit.recent(10);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].result, "refused: --local-root without root");
  EXPECT_EQ(rows[2].action, "ban remove 203.0.113.9");
  EXPECT_EQ(rows[3].actor, "root");
  EXPECT_EQ(rows[3].result, "ok");
  EXPECT_EQ(rows[3].tty, "/dev/pts/9");
  EXPECT_EQ(rows[4].result, "refused: no admin credentials");
}

TEST_F(BanCommandTest, RefusesTrustedNetworksFromTheConfig) {
  const std::string config = (dir_ / "gw.yaml").string();
  std::ofstream(config) << R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 10.0.0.5, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - name: carrier-a
      host: 192.0.2.1
      transport: udp
      allow_plaintext: true
database:
  path: gw.db
guard:
  trusted: [ "198.51.100.0/24" ]
)";
  BanCommandOptions o;
  o.configPath = config;
  EXPECT_EQ(run("add", "192.0.2.1", o), 1);
  EXPECT_NE(err_.str().find("refusing to ban 192.0.2.1/32"), std::string::npos) << err_.str();
  EXPECT_EQ(run("add", "198.51.0.0/16", o), 1);  // would cover the admin allowlist
  EXPECT_EQ(run("add", "10.0.0.5", o), 1);       // the PBX
  EXPECT_EQ(run("add", "203.0.113.9", o), 0) << err_.str();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "gw.db"));  // the config's database
}

TEST_F(BanCommandTest, ImportsABlocklist) {
  const std::string feed = (dir_ / "feed.txt").string();
  std::ofstream(feed) << "# feed\n203.0.113.5\nbad\n198.51.100.0/24\n";
  BanCommandOptions o;
  o.duration = "2d";
  EXPECT_EQ(run("import", feed, o), 0) << err_.str();
  EXPECT_NE(out_.str().find("imported 2"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find("feed.txt:3"), std::string::npos) << err_.str();
  EXPECT_EQ(run("list", ""), 0);
  EXPECT_NE(out_.str().find("198.51.100.0/24"), std::string::npos);
  EXPECT_EQ(run("import", (dir_ / "missing.txt").string()), 1);
}

}  // namespace
}  // namespace tg::app
