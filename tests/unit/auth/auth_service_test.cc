#include "auth/auth_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "auth_test_util.h"
#include "base/clock.h"
#include "config/config_loader.h"
#include "db/account_store.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;

const base::Address kAttacker = *base::Address::parse("203.0.113.9", 5060);

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-auth-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  config::ConfigPtr load(const std::string& extra = "") {
    const std::string yaml = R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true }
public:
  listen: [ "udp://127.0.0.1:5090" ]
  auth: { mode: gateway, realm: gw.example.com }
accounts:
  lockout: { failures: 2, source_failures: 0 }
database: { path: )" + (dir_ / "t.db").string() +
                             " }\n" + extra;
    auto r = config::loadConfigString(yaml, "test.yaml");
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
    return r.config;
  }

  AuthDecision login(AuthService& s, const std::string& password) {
    AuthRequest req;
    req.method = "REGISTER";
    req.source = kAttacker;
    const std::string requestUri = testing::Answer().uri;
    req.requestUri = requestUri;
    const AuthDecision ch = s.gateway().authenticate(req);
    testing::Answer a;
    a.password = password;
    const std::string creds = testing::answer(ch.challenges.at(0), a);
    std::vector<std::string_view> values{creds};
    req.credentials = values;
    return s.gateway().authenticate(req);
  }

  std::filesystem::path dir_;
};

TEST_F(AuthServiceTest, LoadsAccountsPersistsLocksAndHonoursCliUnlock) {
  const auto config = load();
  base::ManualClock clock;
  const std::string password = testing::Answer().password;
  {
    db::AccountStore cli(config->database.path);
    ASSERT_EQ(cli.add(hashPassword("201", "gw.example.com", password, 0)), "");
  }
  AuthService service(*config, clock, nullptr, nullptr);
  EXPECT_TRUE(service.startupProblems().empty());
  EXPECT_EQ(login(service, password).action, AuthDecision::Action::kAccept);

  login(service, "Wrong-One-4417");
  login(service, "Wrong-Two-4417");
  EXPECT_EQ(login(service, password).action, AuthDecision::Action::kChallenge);  // locked

  // `account unlock` in another process.
  {
    db::AccountStore cli(config->database.path);
    ASSERT_EQ(cli.unlock("201", 5000), "");
    ASSERT_EQ(cli.noteEdited(), "");
  }
  EXPECT_TRUE(service.housekeeping().empty());
  EXPECT_EQ(login(service, password).action, AuthDecision::Action::kAccept);
}

TEST_F(AuthServiceTest, AccountWideLocksSurviveARestart) {
  auto config = load();
  base::ManualClock clock;
  {
    db::AccountStore cli(config->database.path);
    ASSERT_EQ(cli.add(hashPassword("201", "gw.example.com", "x", 0)), "");
  }
  {
    AuthService service(*config, clock, nullptr, nullptr);
    // accounts.lockout.account_failures defaults to 50 from all sources together.
    for (int i = 0; i < 50; ++i) {
      const auto from = *base::Address::parse("192.0.2." + std::to_string(i + 1), 5060);
      service.lockout().recordFailure("201", from, transport::Zone::kPublic, "test");
    }
    EXPECT_TRUE(service.housekeeping().empty());
  }
  db::AccountStore check(config->database.path);
  ASSERT_TRUE(check.find("201")->lockedUntilMs.has_value());
  AuthService restarted(*config, clock, nullptr, nullptr);
  EXPECT_TRUE(restarted.lockout().isLocked("201", kAttacker));
}

TEST_F(AuthServiceTest, SharedNonceKeyFile) {
  const std::filesystem::path key = dir_ / "nonce.key";
  std::ofstream(key) << std::string(32, 'z');
  auto config = load("");
  config::Config withKey = *config;
  withKey.accounts.nonce.secretFile = key.string();
  base::ManualClock clock;
  AuthService a(withKey, clock, nullptr, nullptr);
  AuthService b(withKey, clock, nullptr, nullptr);
  const std::string nonce = testing::nonceOf(a.digest().challenges(kAttacker)[0]);
  sip::Credentials c;
  c.username = "201";
  c.realm = "gw.example.com";
  c.nonce = nonce;
  c.uri = "sip:x";
  const std::string zeros(64, '0');
  c.response = zeros;
  c.algorithm = "SHA-256";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "abc";
  EXPECT_EQ(b.digest().precheck(c, kAttacker).status, DigestCheck::kOk);

  std::ofstream(key, std::ios::trunc) << "short";
  EXPECT_THROW(AuthService(withKey, clock, nullptr, nullptr), std::runtime_error);
}

// Issue 12 item 13: passwords close to expiry are named in the log once a day.
TEST_F(AuthServiceTest, PasswordsNearExpiryAreReportedOnceADay) {
  config::Config cfg = *load();
  cfg.accounts.password.maxAgeDays = 90;
  cfg.accounts.password.warnDays = 14;
  base::ManualClock clock;
  // Half a day more, so that whole days left do not hinge on a millisecond.
  const auto daysAgo = [&](int days) {
    return db::toEpochMillis(clock.wallNow() - std::chrono::hours(24 * days + 12));
  };
  {
    db::AccountStore cli(cfg.database.path);
    ASSERT_EQ(cli.add(hashPassword("201", "gw.example.com", "x", daysAgo(80))), "");
    ASSERT_EQ(cli.add(hashPassword("202", "gw.example.com", "x", daysAgo(95))), "");
    ASSERT_EQ(cli.add(hashPassword("203", "gw.example.com", "x", daysAgo(10))), "");
  }
  AuthService service(cfg, clock, nullptr, nullptr);
  const std::vector<std::string> first = service.housekeeping();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0].find("the password of 201 expires in 9 days"), std::string::npos) << first[0];
  EXPECT_NE(first[1].find("the password of 202 has expired"), std::string::npos) << first[1];
  clock.advance(std::chrono::hours(23));
  EXPECT_TRUE(service.housekeeping().empty());
  clock.advance(std::chrono::hours(1));
  EXPECT_EQ(service.housekeeping().size(), 2u);
}

}  // namespace
}  // namespace tg::auth
