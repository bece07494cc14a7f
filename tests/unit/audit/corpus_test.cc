// The project's audit corpus (tests/data/audit/): every seeded finding at its file and line, no
// finding anywhere else, and none at all on the hardened samples.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "audit/asterisk_audit.h"
#include "audit/freeswitch_audit.h"
#include "audit/gateway_audit.h"
#include "scratch_dir.h"

namespace tg::audit {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(TG_SOURCE_DIR) / "tests" / "data" / "audit";

// The non-comment lines of an expectations file.
std::multiset<std::string> expectations(const fs::path& file) {
  std::multiset<std::string> out;
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') out.insert(line);
  }
  return out;
}

std::string describe(const std::multiset<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += "\n  " + i;
  return out;
}

void expectSame(const std::multiset<std::string>& expected, const std::multiset<std::string>& got) {
  std::multiset<std::string> missing;
  std::multiset<std::string> extra;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::inserter(missing, missing.begin()));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::inserter(extra, extra.begin()));
  EXPECT_TRUE(missing.empty()) << "missing findings:" << describe(missing);
  EXPECT_TRUE(extra.empty()) << "unexpected findings:" << describe(extra);
}

class AsteriskCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(AsteriskCorpus, ReportsExactlyTheExpectedFindings) {
  const fs::path dir = kCorpus / "asterisk" / GetParam();
  const AuditResult result = auditAsteriskDirectory(dir.string());
  EXPECT_TRUE(result.errors.empty()) << result.errors.front();
  std::multiset<std::string> got;
  for (const Finding& f : result.findings) {
    got.insert(f.id + " " + f.file + ":" + std::to_string(f.line));
  }
  expectSame(expectations(dir / "expected.txt"), got);
}

INSTANTIATE_TEST_SUITE_P(Corpus, AsteriskCorpus, ::testing::Values("seeded", "hardened"));

class FreeswitchCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(FreeswitchCorpus, ReportsExactlyTheExpectedFindings) {
  const fs::path dir = kCorpus / "freeswitch" / GetParam();
  const AuditResult result = auditFreeswitchDirectory(dir.string());
  EXPECT_TRUE(result.errors.empty()) << result.errors.front();
  std::multiset<std::string> got;
  for (const Finding& f : result.findings) {
    got.insert(f.id + " " + f.file + ":" + std::to_string(f.line));
  }
  expectSame(expectations(dir / "expected.txt"), got);
}

INSTANTIATE_TEST_SUITE_P(Corpus, FreeswitchCorpus, ::testing::Values("seeded", "hardened"));

TEST(FreeswitchAudit, XmlBombIsRefusedNotExpanded) {
  const AuditResult result = auditFreeswitchDirectory((kCorpus / "freeswitch" / "bomb").string());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0],
            "vars.xml: line 2: a DOCTYPE is not accepted (entities are never "
            "expanded)");
  EXPECT_TRUE(result.findings.empty());
}

TEST(FreeswitchAudit, NotAFreeswitchDirectory) {
  const AuditResult result = auditFreeswitchDirectory((kCorpus / "asterisk" / "seeded").string());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("not a FreeSWITCH configuration"), std::string::npos);
  EXPECT_FALSE(auditFreeswitchDirectory("/nonexistent/fs").errors.empty());
}

class GatewayCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(GatewayCorpus, ReportsExactlyTheExpectedFindings) {
  // A copy, so that file modes are the test's and not the checkout's umask.
  const ScratchDir scratch;
  const fs::path& dir = scratch.path();
  ASSERT_FALSE(dir.empty());
  for (const char* name : {"seeded.yaml", "hardened.yaml", "provider.secret"}) {
    fs::copy_file(kCorpus / "gateway" / name, dir / name);
  }
  ASSERT_EQ(::chmod((dir / "provider.secret").c_str(), 0640), 0);
  const fs::path config = dir / (GetParam() + ".yaml");
  const AuditResult result = auditGateway(config.string());
  EXPECT_TRUE(result.errors.empty()) << result.errors.front();
  std::multiset<std::string> got;
  for (const Finding& f : result.findings) {
    EXPECT_EQ(f.file, config.string());
    got.insert(f.id + " " + std::to_string(f.line));
  }
  expectSame(expectations(kCorpus / "gateway" / (GetParam() + ".expected")), got);
}

INSTANTIATE_TEST_SUITE_P(Corpus, GatewayCorpus, ::testing::Values("seeded", "hardened"));

TEST(AsteriskAudit, IncludeLoopIsAnErrorNotACrash) {
  const AuditResult result =
      auditAsteriskDirectory((kCorpus / "asterisk" / "include-loop").string());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "loop_b.conf:1: #include loop: loop_a.conf is already being read");
}

TEST(AsteriskAudit, MissingDirectoryIsAnError) {
  const AuditResult result = auditAsteriskDirectory("/nonexistent/asterisk");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("none of"), std::string::npos) << result.errors[0];
  EXPECT_TRUE(result.findings.empty());
}

TEST(AsteriskAudit, BinaryAndHugeFilesAreErrors) {
  const ScratchDir scratch;
  const fs::path& dir = scratch.path();
  ASSERT_FALSE(dir.empty());
  {
    std::ofstream garbage(dir / "sip.conf", std::ios::binary);
    for (int i = 0; i < 4096; ++i) garbage.put(static_cast<char>((i * 131 + 7) % 256));
    std::ofstream huge(dir / "extensions.conf", std::ios::binary);
    const std::string line = "exten => _X.,1,NoOp(padding padding padding padding)\n";
    for (size_t written = 0; written <= (size_t{5} << 20); written += line.size()) huge << line;
  }
  const AuditResult result = auditAsteriskDirectory(dir.string());
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_NE(result.errors[0].find("binary data"), std::string::npos) << result.errors[0];
  EXPECT_NE(result.errors[1].find("too large"), std::string::npos) << result.errors[1];
}

TEST(GatewayAudit, AConfigThatDoesNotLoadIsAnError) {
  const AuditResult result = auditGateway("/nonexistent/trunkguard.yaml");
  EXPECT_FALSE(result.errors.empty());
  EXPECT_TRUE(result.findings.empty());
}

}  // namespace
}  // namespace tg::audit
