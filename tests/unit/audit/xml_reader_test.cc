#include "audit/xml_reader.h"

#include <gtest/gtest.h>

namespace tg::audit::xml {
namespace {

TEST(XmlReader, ElementsAttributesAndLines) {
  const ParseResult r = parseXml("<a>\n  <b x=\"1\" y='&amp;'/>\n  <c><b x=\"2\"/></c>\n</a>\n");
  ASSERT_TRUE(r.root) << r.error;
  const auto bs = r.root->findAll("b");
  ASSERT_EQ(bs.size(), 2u);
  EXPECT_EQ(bs[0]->line, 2);
  EXPECT_EQ(bs[0]->attribute("y"), "&");
  EXPECT_EQ(bs[1]->attribute("x"), "2");
  EXPECT_EQ(bs[1]->line, 3);
  EXPECT_EQ(bs[0]->attribute("missing"), "");
  EXPECT_EQ(r.root->findAll("a").size(), 1u);  // itself
}

TEST(XmlReader, EntityDeclarationsAreRefused) {
  const ParseResult bomb = parseXml(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
      "\"&a;&a;&a;\">]>\n"
      "<x>&b;</x>");
  EXPECT_FALSE(bomb.root);
  EXPECT_NE(bomb.error.find("DOCTYPE is not accepted"), std::string::npos) << bomb.error;
  const ParseResult external = parseXml("<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><x/>");
  EXPECT_FALSE(external.root);
}

TEST(XmlReader, UndeclaredEntityIsAnError) {
  const ParseResult r = parseXml("<x>&undeclared;</x>");
  EXPECT_FALSE(r.root);
  EXPECT_NE(r.error.find("line 1"), std::string::npos) << r.error;
}

TEST(XmlReader, GarbageAndTruncationAreErrors) {
  EXPECT_FALSE(parseXml(std::string("\x00\x01\xff<<>>", 7)).root);
  EXPECT_FALSE(parseXml("<a><b></a>").root);
  EXPECT_FALSE(parseXml("").root);
  EXPECT_FALSE(parseXml("just text").root);
}

TEST(XmlReader, LimitsHold) {
  XmlLimits limits;
  limits.maxDepth = 3;
  EXPECT_NE(parseXml("<a><b><c><d/></c></b></a>", limits).error.find("nested deeper"),
            std::string::npos);
  limits = {};
  limits.maxElements = 2;
  EXPECT_NE(parseXml("<a><b/><c/></a>", limits).error.find("more than 2 elements"),
            std::string::npos);
  limits = {};
  limits.maxBytes = 10;
  EXPECT_NE(parseXml("<a>0123456789</a>", limits).error.find("too large"), std::string::npos);
}

TEST(XmlReader, FileErrors) {
  EXPECT_NE(parseXmlFile("/nonexistent.xml").error.find("cannot open"), std::string::npos);
  EXPECT_NE(parseXmlFile("/tmp").error.find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace tg::audit::xml
