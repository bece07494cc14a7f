#include "audit/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace tg::audit {
namespace {

AuditResult sample() {
  AuditResult r;
  r.target = "/etc/asterisk";
  r.add("AST-NO-TLS", "sip.conf", 6, "tlsenable=no");
  r.add("AST-DIAL-INJECTION", "extensions.conf", 9, "Dial(<script>&\"x'\")");
  r.add("AST-DIAL-INJECTION", "extensions.conf", 9, "a duplicate");
  r.sort();
  return r;
}

TEST(AuditResult, DeduplicatesAndSortsMostSevereFirst) {
  const AuditResult r = sample();
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].id, "AST-DIAL-INJECTION");
  EXPECT_EQ(r.findings[0].severity, Severity::kCritical);
  EXPECT_EQ(r.findings[1].id, "AST-NO-TLS");
  EXPECT_TRUE(r.errors.empty());
}

TEST(AuditResult, FindingsWithoutALineDifferByEvidence) {
  AuditResult r;
  EXPECT_NE(r.add("PBX-VULNERABLE-VERSION", "pbx:5060", 0, "advisory A"), nullptr);
  EXPECT_NE(r.add("PBX-VULNERABLE-VERSION", "pbx:5060", 0, "advisory B"), nullptr);
  EXPECT_EQ(r.add("PBX-VULNERABLE-VERSION", "pbx:5060", 0, "advisory B"), nullptr);
  EXPECT_EQ(r.findings.size(), 2u);
}

TEST(AuditResult, UnknownIdIsAnInternalError) {
  AuditResult r;
  r.add("NO-SUCH-CHECK", "f", 1, "");
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.errors.size(), 1u);
}

TEST(Report, ExitCodeFollowsTheWorstSeverity) {
  AuditResult r;
  EXPECT_EQ(exitCodeFor(r), 0);
  r.add("GW-TLS-MIN-VERSION", "gw.yaml", 1, "");
  EXPECT_EQ(exitCodeFor(r), 0);  // info only
  r.add("AST-NO-TLS", "sip.conf", 1, "");
  EXPECT_EQ(exitCodeFor(r), 10);
  r.add("AST-STRICTRTP-OFF", "rtp.conf", 1, "");
  EXPECT_EQ(exitCodeFor(r), 11);
  r.add("AST-ALLOWGUEST", "sip.conf", 2, "");
  EXPECT_EQ(exitCodeFor(r), 12);
  r.add("AST-ENDPOINT-NO-AUTH", "pjsip.conf", 2, "");
  EXPECT_EQ(exitCodeFor(r), 13);
  r.errors.push_back("x.conf:0: cannot open");
  EXPECT_EQ(exitCodeFor(r), kExitIncomplete);
}

TEST(Report, JsonHasTheStableSchema) {
  std::ostringstream out;
  writeJson(sample(), out);
  const auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["target"], "/etc/asterisk");
  ASSERT_EQ(doc["findings"].size(), 2u);
  const auto& f = doc["findings"][0];
  std::set<std::string> keys;
  for (const auto& [k, v] : f.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"id", "severity", "title", "file", "line", "evidence",
                                         "fix", "references"}));
  EXPECT_EQ(f["id"], "AST-DIAL-INJECTION");
  EXPECT_EQ(f["severity"], "critical");
  EXPECT_EQ(f["line"], 9);
  EXPECT_TRUE(f["references"].is_array());
  EXPECT_TRUE(doc["errors"].is_array());
}

TEST(Report, JsonSurvivesInvalidUtf8) {
  AuditResult r;
  r.add("AST-NO-TLS", "sip.conf", 1, std::string("\xff\xfe bad"));
  std::ostringstream out;
  writeJson(r, out);
  EXPECT_TRUE(nlohmann::json::accept(out.str()));
}

TEST(Report, HtmlEscapesEverythingFromTheInput) {
  std::ostringstream out;
  writeHtml(sample(), out);
  const std::string html = out.str();
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("Dial(&lt;script&gt;&amp;&quot;x&#39;&quot;)"), std::string::npos);
  EXPECT_NE(html.find("<h2>critical</h2>"), std::string::npos);
  EXPECT_EQ(html.rfind("</html>\n"), html.size() - 8);
  EXPECT_EQ(html.find("src="), std::string::npos);  // self-contained: nothing loaded
}

TEST(Report, TextGroupsBySeverityWithTheFix) {
  std::ostringstream out;
  writeText(sample(), out);
  const std::string text = out.str();
  const size_t critical = text.find("CRITICAL\n  [AST-DIAL-INJECTION]");
  const size_t low = text.find("LOW\n  [AST-NO-TLS]");
  ASSERT_NE(critical, std::string::npos) << text;
  ASSERT_NE(low, std::string::npos) << text;
  EXPECT_LT(critical, low);
  EXPECT_NE(text.find("    at: extensions.conf:9\n"), std::string::npos);
  EXPECT_NE(text.find("    fix: "), std::string::npos);
}

TEST(Catalog, IdsAreUniqueAndDocumented) {
  std::ifstream in(std::string(TG_SOURCE_DIR) + "/docs/audit.md");
  ASSERT_TRUE(in) << "docs/audit.md is missing";
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string_view> seen;
  for (const Check& c : checkCatalog()) {
    EXPECT_TRUE(seen.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_NE(docs.find("`" + std::string(c.id) + "`"), std::string::npos)
        << c.id << " is not documented in docs/audit.md";
    EXPECT_FALSE(c.fix.empty());
    EXPECT_FALSE(c.reference.empty());
  }
}

}  // namespace
}  // namespace tg::audit
