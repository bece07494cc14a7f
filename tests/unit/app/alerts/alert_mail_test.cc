// The alert's mail: headers and body carry the event and the count, nothing from the event can
// add a header; and the `alerts.mail` settings as the config loader reads and refuses them.

#include "app/alerts/alert_mail.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tg::app::alerts {
namespace {

config::MailTarget target() {
  config::MailTarget t;
  t.url = "smtp://127.0.0.1:2525";
  t.from = "gw@example.net";
  t.to = {"ops@example.net", "oncall@example.net"};
  return t;
}

Alert flood() {
  Alert a;
  a.event = {"auth.lockout", "public",         "192.0.2.7", "account 201 locked\r\nBcc: evil@x",
             "lock 900s",    1'700'000'000'123};
  a.count = 39;
  a.summary = true;
  a.firstMs = 1'699'999'990'000;
  a.lastMs = 1'700'000'000'123;
  return a;
}

TEST(AlertMail, CarriesTheEventAndTheCount) {
  const std::string m = mailMessage(flood(), "gw1", target(), 1'700'000'001, "d-1");
  EXPECT_NE(m.find("Subject: [trunkguard] auth.lockout from 192.0.2.7 (39 events)\r\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("From: trunkguard <gw@example.net>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: ops@example.net, oncall@example.net\r\n"), std::string::npos);
  EXPECT_NE(m.find("Date: Tue, 14 Nov 2023 22:13:21 +0000\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Message-ID: <d-1@gw1>\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\n\r\nrule: auth.lockout\r\n"), std::string::npos);
  EXPECT_NE(m.find("count: 39\r\n"), std::string::npos);
  EXPECT_NE(m.find("first: 2023-11-14T22:13:10Z\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("summary: yes\r\n"), std::string::npos);
}

TEST(AlertMail, EventTextCannotAddAHeader) {
  const std::string m = mailMessage(flood(), "gw1", target(), 1'700'000'001, "d-1");
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos) << m;
  EXPECT_NE(m.find("reason: account 201 locked??Bcc: evil@x\r\n"), std::string::npos) << m;
}

TEST(AlertMail, SingleEventSubjectHasNoCount) {
  Alert a = flood();
  a.count = 1;
  a.summary = false;
  const std::string m = mailMessage(a, "gw1", target(), 1'700'000'001, "d-2");
  EXPECT_NE(m.find("Subject: [trunkguard] auth.lockout from 192.0.2.7\r\n"), std::string::npos);
}

class MailSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tg-alert-mail-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "smtp.password") << "s3cret-smtp\n";
    std::filesystem::permissions(dir_ / "smtp.password", std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::optional<config::AlertSettings> load(const std::string& mail) {
    const auto path = dir_ / "gw.yaml";
    std::ofstream(path) << "alerts:\n  mail:\n" << mail;
    return config::loadAlertSettings(path.string());
  }
  std::filesystem::path dir_;
};

TEST_F(MailSettings, ReadsATarget) {
  const auto s = load(
      "    - url: smtp://127.0.0.1:2525\n"
      "      from: gw@example.net\n"
      "      to: [ops@example.net]\n"
      "      user: gw\n"
      "      password_file: smtp.password\n");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->mail.size(), 1u);
  EXPECT_EQ(s->mail[0].password.reveal(), "s3cret-smtp");
  EXPECT_FALSE(s->mail[0].allowPlaintext);  // STARTTLS unless asked otherwise
  EXPECT_EQ(s->mail[0].to, std::vector<std::string>{"ops@example.net"});
}

TEST_F(MailSettings, RefusesBadTargets) {
  const std::string rest = "      from: gw@example.net\n      to: [ops@example.net]\n";
  EXPECT_FALSE(load("    - url: http://127.0.0.1:2525\n" + rest));
  EXPECT_FALSE(load("    - url: smtp://gw:pw@127.0.0.1:2525\n" + rest));  // password in URL
  EXPECT_FALSE(load("    - url: smtp://127.0.0.1\n      from: gw\n      to: [ops@example.net]\n"));
  EXPECT_FALSE(load("    - url: smtp://127.0.0.1\n      from: gw@example.net\n"));  // no to
  EXPECT_FALSE(load("    - url: smtp://127.0.0.1\n" + rest + "      user: gw\n"));  // no password
  EXPECT_TRUE(load("    - url: smtp://127.0.0.1\n" + rest + "      allow_plaintext: true\n"));
}

}  // namespace
}  // namespace tg::app::alerts
