// The Asterisk checks on small in-memory trees: one behaviour each.

#include <gtest/gtest.h>

#include "audit/asterisk_audit.h"
#include "memory_source.h"

namespace tg::audit {
namespace {

std::vector<std::string> idsAt(const AuditResult& r, const std::string& file, int line) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    if (f.file == file && f.line == line) out.push_back(f.id);
  }
  return out;
}

AuditResult audit(std::map<std::string, std::string> files) {
  asterisk::MemorySource src;
  src.files = std::move(files);
  return auditAsterisk(src, "memory");
}

TEST(DialplanAudit, FilteredDialIsNotInjection) {
  const AuditResult r = audit({{"extensions.conf",
                                "[a]\nexten => _X.,1,Dial(PJSIP/${FILTER(0-9,${EXTEN})}@p)\n"
                                "exten => _X.,2,Dial(PJSIP/${EXTEN}@p)\n"}});
  EXPECT_TRUE(idsAt(r, "extensions.conf", 2).empty());
  EXPECT_EQ(idsAt(r, "extensions.conf", 3), std::vector<std::string>{"AST-DIAL-INJECTION"});
}

TEST(DialplanAudit, DigitsOnlyPatternIsNotInjection) {
  const AuditResult r =
      audit({{"extensions.conf", "[a]\nexten => _NXXNXXXXXX,1,Dial(SIP/p/${EXTEN})\n"}});
  EXPECT_TRUE(r.findings.empty());
}

TEST(DialplanAudit, SameLinesUseThePatternAbove) {
  const AuditResult r = audit(
      {{"extensions.conf", "[a]\nexten => _9!,1,NoOp()\n same => n,Dial(IAX2/p/${EXTEN})\n"}});
  EXPECT_EQ(idsAt(r, "extensions.conf", 3), std::vector<std::string>{"AST-DIAL-INJECTION"});
}

TEST(DialplanAudit, ShellFunctionWithCallerData) {
  const AuditResult r =
      audit({{"extensions.conf", "[a]\nexten => s,1,Set(X=${SHELL(lookup ${CALLERID(num)})})\n"}});
  EXPECT_EQ(idsAt(r, "extensions.conf", 2), std::vector<std::string>{"AST-SHELL-INJECTION"});
}

TEST(DialplanAudit, GuestReachThroughIncludeCyclesTerminates) {
  const AuditResult r =
      audit({{"sip.conf", "[general]\ncontext=guests\nalwaysauthreject=yes\ntlsenable=yes\n"},
             {"extensions.conf",
              "[guests]\ninclude => b\n[b]\ninclude => guests\nexten => "
              "_1NXX,1,Dial(SIP/trunk/${EXTEN})\n"}});
  EXPECT_EQ(idsAt(r, "sip.conf", 1), std::vector<std::string>{"AST-ALLOWGUEST"});
  EXPECT_EQ(idsAt(r, "extensions.conf", 5), std::vector<std::string>{"AST-GUEST-CONTEXT-OUTBOUND"});
}

TEST(DialplanAudit, LocalChannelIsNotAnOutboundRoute) {
  const AuditResult r =
      audit({{"extensions.conf", "[default]\nexten => _1XX,1,Dial(Local/${EXTEN}@internal)\n"}});
  EXPECT_TRUE(r.findings.empty());
}

TEST(AsteriskAudit, AmiOnLoopbackIsQuietButPermissionsStillCount) {
  const AuditResult r = audit({{"manager.conf",
                                "[general]\nenabled=yes\nbindaddr=127.0.0.1\n[ops]\n"
                                "secret=Tz5!mQ8rWv2#kL7p\nwrite=system,call\n"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].id, "AST-AMI-DANGEROUS-PERMS");
  EXPECT_EQ(r.findings[0].line, 6);
}

TEST(AsteriskAudit, DisabledAmiIsNotAudited) {
  const AuditResult r = audit({{"manager.conf", "[general]\nenabled=no\n[admin]\nsecret=admin\n"}});
  EXPECT_TRUE(r.findings.empty());
}

TEST(AsteriskAudit, PjsipTlsTransportWithoutVerifyServer) {
  const AuditResult r = audit({{"pjsip.conf", "[t]\ntype=transport\nprotocol=tls\n"}});
  EXPECT_EQ(idsAt(r, "pjsip.conf", 1), std::vector<std::string>{"AST-TLS-NO-VERIFY"});
}

TEST(AsteriskAudit, SecretsAreNeverShown) {
  const AuditResult r = audit({{"sip.conf",
                                "[general]\nallowguest=no\ntlsenable=yes\n"
                                "[p]\ntype=peer\npermit=10.0.0.1\nsecret=hunter2\n"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].id, "AST-WEAK-SECRET");
  EXPECT_EQ(r.findings[0].evidence.find("hunter2"), std::string::npos) << r.findings[0].evidence;
}

}  // namespace
}  // namespace tg::audit
