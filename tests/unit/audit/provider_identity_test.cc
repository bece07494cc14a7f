// audit provider's SHAKEN share, read from a CDR database written by the gateway's own CdrStore:
// the inbound calls of one provider in the window, counted by verstat and attestation.

#include <gtest/gtest.h>

#include <chrono>

#include "audit/provider_identity_check.h"
#include "db/cdr_store.h"
#include "scratch_dir.h"

namespace tg::audit {
namespace {

using std::chrono::hours;

class ProviderIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    db_ = (scratch_.path() / "cdr.db").string();
  }
  // One call row: `age` before now, with this outcome.
  void call(db::CdrStore& store, const std::string& provider, const std::string& direction,
            const std::string& verstat, const std::string& attestation, hours age = hours(1)) {
    db::CdrRecord r;
    r.callUuid = "call-" + std::to_string(++calls_);
    r.direction = direction;
    r.provider = provider;
    r.startTime = now_ - age;
    r.disposition = "answered";
    r.verstat = verstat;
    r.attestation = attestation;
    store.recordStart(r);
  }
  AuditResult audit(const std::string& provider, int days = 30) {
    AuditResult result;
    checkShakenSigning(db_, provider, days, now_, provider, result);
    return result;
  }

  ScratchDir scratch_;
  std::string db_;
  base::SystemTime now_ = std::chrono::system_clock::now();
  int calls_ = 0;
};

TEST_F(ProviderIdentityTest, CountsTheSharesOfOneProvidersInboundCallsInTheWindow) {
  {
    db::CdrStore store(db_);
    call(store, "carrier", "inbound", "TN-Validation-Passed", "A");
    call(store, "carrier", "inbound", "TN-Validation-Passed", "A");
    call(store, "carrier", "inbound", "TN-Validation-Passed", "C");
    call(store, "carrier", "inbound", "TN-Validation-Failed", "");
    call(store, "carrier", "inbound", "No-TN-Validation", "");
    // Not counted: too old, outbound, another provider.
    call(store, "carrier", "inbound", "No-TN-Validation", "", hours(24 * 31));
    call(store, "carrier", "outbound", "", "");
    call(store, "other", "inbound", "No-TN-Validation", "");
  }
  const AuditResult r = audit("carrier");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].id, "PRV-SHAKEN-SHARE");
  EXPECT_EQ(r.findings[0].evidence,
            "5 inbound calls in the last 30 days: signed and verified 3 (60%) (attestation A 2, "
            "B 0, C 1), signed but failed verification 1 (20%), unsigned 1 (20%)");
  // The old call is inside a 40-day window.
  EXPECT_NE(audit("carrier", 40).findings[0].evidence.find("6 inbound calls"), std::string::npos);
}

TEST_F(ProviderIdentityTest, AProviderThatSignsNothingIsAFinding) {
  {
    db::CdrStore store(db_);
    call(store, "other", "inbound", "No-TN-Validation", "");
    call(store, "other", "inbound", "No-TN-Validation", "");
  }
  const AuditResult r = audit("other");
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].id, "PRV-SHAKEN-SHARE");
  EXPECT_EQ(r.findings[1].id, "PRV-SHAKEN-UNSIGNED");
  EXPECT_EQ(r.findings[1].evidence,
            "none of its 2 verified inbound calls in the last 30 days carried an Identity header");
}

TEST_F(ProviderIdentityTest, CallsNeverVerifiedAreNotJudged) {
  {
    db::CdrStore store(db_);
    call(store, "carrier", "inbound", "", "");  // identity verification off
  }
  const AuditResult r = audit("carrier");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].evidence,
            "1 inbound calls in the last 30 days: 1 not verified (identity verification was off)");
}

TEST_F(ProviderIdentityTest, NoCallsOrNoDatabaseSayWhyNothingWasJudged) {
  AuditResult r = audit("carrier");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].evidence, "no CDR database at " + db_ + ": signing not judged");
  { db::CdrStore store(db_); }
  r = audit("carrier");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].evidence,
            "no inbound call from this provider in the last 30 days: signing not judged");
}

}  // namespace
}  // namespace tg::audit
