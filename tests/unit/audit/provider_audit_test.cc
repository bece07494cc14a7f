// audit provider's offline paths; the probes themselves run against real TLS servers in
// tests/integration/test_audit_provider.py.

#include "audit/provider_audit.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "audit/tls_probe.h"

namespace tg::audit {
namespace {

const std::string kSeeded =
    (std::filesystem::path(TG_SOURCE_DIR) / "tests/data/audit/gateway/hardened.yaml").string();

TEST(ProviderAudit, UnknownProviderListsTheKnownOnes) {
  ProviderAuditOptions o;
  o.configPath = kSeeded;
  o.provider = "nope";
  const AuditResult r = auditProvider(o);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("no provider 'nope' (there are: carrier)"), std::string::npos)
      << r.errors[0];
  EXPECT_TRUE(r.findings.empty());
}

TEST(ProviderAudit, ConfigThatDoesNotLoadIsAnError) {
  ProviderAuditOptions o;
  o.configPath = "/nonexistent.yaml";
  o.provider = "x";
  EXPECT_FALSE(auditProvider(o).errors.empty());
}

TEST(TlsProbe, RefusedConnectionIsReportedNotThrown) {
  // Port 1 on loopback: nothing listens there on a test machine.
  const auto address = base::Address::parse("127.0.0.1", 1);
  ASSERT_TRUE(address);
  const TlsProbeResult r = probeTls(*address, TlsProbeKind::kModern, {});
  EXPECT_FALSE(r.connected);
  EXPECT_FALSE(r.handshake);
  EXPECT_NE(r.error.find("connect to 127.0.0.1:1"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tg::audit
