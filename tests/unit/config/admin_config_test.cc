// The top-level `admin:`: off unless written, loopback by default, and no other address without
// TLS files.

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../transport/tls_test_certs.h"
#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The admin section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& admin) {
  return loadConfigString(std::string(kMinimalConfig) + admin, "test.yaml");
}

TEST(AdminConfig, AbsentMeansNotListening) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->admin.has_value());
}

TEST(AdminConfig, EmptySectionListensOnLoopbackWithDefaults) {
  const LoadResult r = load("admin: {}\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_TRUE(r.config->admin.has_value());
  const AdminSettings& a = *r.config->admin;
  EXPECT_EQ(a.listen.toString(), "127.0.0.1:8080");
  EXPECT_FALSE(a.tls());
  EXPECT_EQ(a.sessionIdle, std::chrono::seconds(900));
  EXPECT_EQ(a.sessionMax, std::chrono::seconds(28800));
  EXPECT_EQ(a.threads, 4);
}

TEST(AdminConfig, LoopbackSettings) {
  const LoadResult r = load(R"(admin:
  listen: "[::1]:9443"
  session_idle_s: 300
  session_max_s: 3600
  threads: 8
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const AdminSettings& a = *r.config->admin;
  EXPECT_EQ(a.listen.toString(), "[::1]:9443");
  EXPECT_EQ(a.sessionIdle, std::chrono::seconds(300));
  EXPECT_EQ(a.sessionMax, std::chrono::seconds(3600));
  EXPECT_EQ(a.threads, 8);
}

TEST(AdminConfig, PublicAddressWithoutTlsIsRefusedAtTheListenKey) {
  const LoadResult r = load("admin:\n  listen: \"0.0.0.0:8443\"\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 12, "admin.listen", "not a loopback address"));
}

TEST(AdminConfig, BadValuesNameTheirKeys) {
  const LoadResult r = load(R"(admin:
  listen: "localhost"
  session_idle_s: 5
  certificate: /nonexistent/cert.pem
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 12, "admin.listen", "not an IP address with a port"));
  EXPECT_TRUE(hasError(r, 13, "admin.session_idle_s", ""));
  EXPECT_TRUE(hasError(r, 11, "admin.private_key", "go together"));
}

TEST(AdminConfig, PublicAddressWithCertificateIsAccepted) {
  auto pki = tls_testing::TestPki::create();
  ASSERT_TRUE(pki.ok);
  const std::string path = (pki.dir / "trunkguard.yaml").string();
  std::ofstream(path) << kMinimalConfig << "admin:\n  listen: \"0.0.0.0:8443\"\n"
                      << "  certificate: server.pem\n  private_key: server.key\n";
  const LoadResult r = loadConfigFile(path);
  pki.remove();
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.config->admin->tls());
  EXPECT_EQ(r.config->admin->certificate, pki.serverCert);
}

}  // namespace
}  // namespace tg::config
