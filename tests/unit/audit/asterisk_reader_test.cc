#include "audit/asterisk_reader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "memory_source.h"
#include "scratch_dir.h"

namespace tg::audit::asterisk {
namespace {

bool hasError(const ReadResult& r, std::string_view text) {
  for (const std::string& e : r.errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(AsteriskReader, SectionsSettingsAndLines) {
  MemorySource src;
  src.files["sip.conf"] =
      "; comment\n[general]\nallowguest = no ; trailing\n\n[201]\nsecret=a\\;b\n";
  const ReadResult r = readConfig(src, "sip.conf");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.config.sections.size(), 2u);
  const Section* general = r.config.section("general");
  ASSERT_NE(general, nullptr);
  EXPECT_EQ(general->line, 2);
  ASSERT_NE(general->last("AllowGuest"), nullptr);
  EXPECT_EQ(general->last("allowguest")->value, "no");
  EXPECT_EQ(general->last("allowguest")->line, 3);
  EXPECT_EQ(r.config.section("201")->value("secret"), "a;b");
}

TEST(AsteriskReader, TemplatesAreInheritedWithTheirOwnLines) {
  MemorySource src;
  src.files["pjsip.conf"] =
      "[base](!)\ntype=endpoint\ncontext=a\n[more](!)\ncontext=b\n[201](base,more)\nauth=x\n";
  const ReadResult r = readConfig(src, "pjsip.conf");
  ASSERT_TRUE(r.errors.empty());
  const Section* s = r.config.section("201");
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->isTemplate);
  EXPECT_TRUE(r.config.section("base")->isTemplate);
  EXPECT_EQ(s->value("context"), "b");  // the later template wins
  EXPECT_EQ(s->last("context")->line, 5);
  EXPECT_TRUE(s->last("context")->inherited);
  EXPECT_EQ(s->value("type"), "endpoint");
  EXPECT_FALSE(s->last("auth")->inherited);
}

TEST(AsteriskReader, MissingTemplateAndAppend) {
  MemorySource src;
  src.files["x.conf"] = "[a]\nk=1\n[b](nosuch)\n[a](+)\nk=2\n[c](+)\n";
  const ReadResult r = readConfig(src, "x.conf");
  EXPECT_TRUE(hasError(r, "x.conf:3: template 'nosuch' is not defined"));
  EXPECT_TRUE(hasError(r, "x.conf:6: [c](+) adds to a section that is not defined"));
  EXPECT_EQ(r.config.section("a")->all("k").size(), 2u);
}

TEST(AsteriskReader, BlockComments) {
  MemorySource src;
  src.files["x.conf"] = "[a]\n;-- hidden\nk=1\n--;\nk2=2 ;-- inline --; \nk3=3\n";
  const ReadResult r = readConfig(src, "x.conf");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config.section("a")->last("k"), nullptr);
  EXPECT_EQ(r.config.section("a")->value("k2"), "2");
  EXPECT_EQ(r.config.section("a")->last("k3")->line, 6);
}

TEST(AsteriskReader, IncludesKeepTheirFileAndLine) {
  MemorySource src;
  src.files["pjsip.conf"] =
      "[t]\ntype=transport\n#include \"more.conf\"\n#tryinclude absent.conf\n";
  src.files["more.conf"] = "\n[201]\ntype=endpoint\n";
  const ReadResult r = readConfig(src, "pjsip.conf");
  ASSERT_TRUE(r.errors.empty());
  const Section* s = r.config.section("201");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->file, "more.conf");
  EXPECT_EQ(s->last("type")->line, 3);
}

TEST(AsteriskReader, MissingIncludeIsAnError) {
  MemorySource src;
  src.files["a.conf"] = "[x]\n#include nope.conf\n";
  const ReadResult r = readConfig(src, "a.conf");
  EXPECT_TRUE(hasError(r, "a.conf:2: #include nope.conf: cannot open"));
  EXPECT_FALSE(r.readFailed);
}

TEST(AsteriskReader, IncludeLoopIsReportedNotFollowed) {
  MemorySource src;
  src.files["a.conf"] = "#include b.conf\n";
  src.files["b.conf"] = "#include a.conf\n";
  const ReadResult r = readConfig(src, "a.conf");
  EXPECT_TRUE(hasError(r, "b.conf:1: #include loop: a.conf is already being read"));
}

TEST(AsteriskReader, IncludeDepthIsLimited) {
  MemorySource src;
  for (int i = 0; i < 20; ++i) {
    src.files["f" + std::to_string(i) + ".conf"] = "#include f" + std::to_string(i + 1) + ".conf\n";
  }
  src.files["f20.conf"] = "[end]\n";
  const ReadResult r = readConfig(src, "f0.conf");
  EXPECT_TRUE(hasError(r, "nested deeper than 8 levels"));
}

TEST(AsteriskReader, BinaryGarbageIsRefused) {
  MemorySource src;
  src.files["sip.conf"] = std::string(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0[x]\n",
      14);
  const ReadResult r = readConfig(src, "sip.conf");
  EXPECT_TRUE(r.readFailed);
  EXPECT_TRUE(hasError(r, "binary data"));
}

TEST(AsteriskReader, TextGarbageGivesErrorsNotACrash) {
  MemorySource src;
  src.files["x.conf"] = "]]]\n[\n=\nkey_without_section=1\n[(]\n#bogus\n[ok](!,+)\n";
  const ReadResult r = readConfig(src, "x.conf");
  EXPECT_TRUE(hasError(r, "x.conf:1: not a setting"));
  EXPECT_TRUE(hasError(r, "x.conf:2: section header without a name"));
  EXPECT_TRUE(hasError(r, "x.conf:6: unknown directive"));
}

TEST(AsteriskReader, HugeFilesAreRefused) {
  MemorySource src;
  src.files["big.conf"] = std::string(2000, 'a');
  ReadLimits limits;
  limits.maxFileBytes = 1000;
  const ReadResult r = readConfig(src, "big.conf", limits);
  EXPECT_TRUE(r.readFailed);
  EXPECT_TRUE(hasError(r, "too large"));
}

TEST(AsteriskReader, TooManySettingsStopsReading) {
  MemorySource src;
  std::string text = "[a]\n";
  for (int i = 0; i < 100; ++i) text += "k=v\n";
  src.files["x.conf"] = text;
  ReadLimits limits;
  limits.maxSettings = 50;
  const ReadResult r = readConfig(src, "x.conf", limits);
  EXPECT_TRUE(hasError(r, "reading stopped here"));
}

TEST(AsteriskReader, DialplanLinesAreArrowSettings) {
  MemorySource src;
  src.files["extensions.conf"] = "[c]\nexten => _X.,1,NoOp()\n same => n,Hangup()\n";
  const ReadResult r = readConfig(src, "extensions.conf");
  const auto lines = r.config.section("c")->all("exten");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]->arrow);
  EXPECT_EQ(lines[0]->value, "_X.,1,NoOp()");
  EXPECT_EQ(r.config.section("c")->last("same")->line, 3);
}

TEST(AsteriskReader, DiskSourceRefusesWhatIsNotAFile) {
  const ScratchDir scratch;
  const auto& dir = scratch.path();
  ASSERT_FALSE(dir.empty());
  std::filesystem::create_directories(dir / "sip.conf");  // a directory in the file's place
  DiskSource src(dir.string());
  const ReadResult r = readConfig(src, "sip.conf");
  EXPECT_TRUE(r.readFailed);
  EXPECT_TRUE(hasError(r, "not a regular file"));
  const ReadResult missing = readConfig(src, "nope.conf");
  EXPECT_TRUE(hasError(missing, "cannot open"));
}

TEST(AsteriskReader, TrueAndFalseFollowAsterisk) {
  EXPECT_TRUE(isTrue("Yes"));
  EXPECT_TRUE(isTrue("on"));
  EXPECT_FALSE(isTrue("maybe"));
  EXPECT_TRUE(isFalse("NO"));
  EXPECT_TRUE(isFalse("0"));
  EXPECT_FALSE(isFalse(""));
}

}  // namespace
}  // namespace tg::audit::asterisk
