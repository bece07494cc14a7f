// audit gateway reads the accounts database the config names: admins and their TOTP, and the
// file's mode. It must never create or change the database.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "audit/gateway_audit.h"
#include "db/account_store.h"
#include "scratch_dir.h"

namespace tg::audit {
namespace {

namespace fs = std::filesystem;

class GatewayDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    dir_ = scratch_.path();
    fs::copy_file(fs::path(TG_SOURCE_DIR) / "tests/data/audit/gateway/hardened.yaml",
                  dir_ / "gw.yaml");
    // Lines 28-29 (hardened.yaml has 27): findings about the database point at `path:`.
    std::ofstream(dir_ / "gw.yaml", std::ios::app) << "database:\n  path: accounts.db\n";
    config_ = (dir_ / "gw.yaml").string();
    db_ = (dir_ / "accounts.db").string();
  }
  std::set<std::string> ids() {
    const AuditResult r = auditGateway(config_);
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    std::set<std::string> out;
    for (const Finding& f : r.findings) out.insert(f.id + " " + std::to_string(f.line));
    return out;
  }

  ScratchDir scratch_;
  fs::path dir_;
  std::string config_;
  std::string db_;
};

TEST_F(GatewayDatabaseTest, NoDatabaseNoFindingAndNoneCreated) {
  EXPECT_TRUE(ids().empty());
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(GatewayDatabaseTest, AccountsWithoutAdminAndUnverifiedAdmins) {
  {
    db::AccountStore store(db_);
    db::AccountRecord account;
    account.username = "201";
    account.realm = "trunkguard";
    ASSERT_EQ(store.add(account), "");
  }
  ASSERT_EQ(::chmod(db_.c_str(), 0600), 0);
  EXPECT_EQ(ids(), (std::set<std::string>{"GW-NO-ADMIN 29"}));
  {
    db::AccountStore store(db_);
    db::AdminRecord admin;
    admin.name = "alice";
    admin.totpSecretHex = "00112233445566778899aabbccddeeff00112233";
    ASSERT_EQ(store.addAdmin(admin), "");
  }
  ASSERT_EQ(::chmod(db_.c_str(), 0644), 0);
  EXPECT_EQ(ids(),
            (std::set<std::string>{"GW-ADMIN-TOTP-UNVERIFIED 29", "GW-DATABASE-READABLE 29"}));
  {
    db::AccountStore store(db_);
    bool advanced = false;
    ASSERT_EQ(store.advanceTotpStep("alice", 1000, &advanced), "");
  }
  ASSERT_EQ(::chmod(db_.c_str(), 0600), 0);
  EXPECT_TRUE(ids().empty());
}

}  // namespace
}  // namespace tg::audit
