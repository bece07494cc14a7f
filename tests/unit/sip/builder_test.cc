#include "sip/builder.h"

#include <gtest/gtest.h>

#include "sip/validator.h"
#include "test_messages.h"

namespace tg::sip {
namespace {

using testing::crlf;
using testing::kInvite;

TEST(MessageEditorTest, NoEditsIsByteExact) {
  Message m;
  ASSERT_TRUE(m.parse(kInvite).ok());
  EXPECT_EQ(MessageEditor(m).serialize(), kInvite);
}

TEST(MessageEditorTest, UnknownAndFoldedHeadersSurviveExactly) {
  const std::string text = crlf(
      "OPTIONS sip:a@b SIP/2.0\nNewFangledHeader:   newfangled value\n continued value\n"
      "UnknownHeaderWithUnusualValue: ;;,,;;,;\nContent-Length: 0\n\n");
  Message m;
  ASSERT_TRUE(m.parse(text).ok());
  MessageEditor e(m);
  e.setRequestUri("sip:c@d");
  const std::string out = e.serialize();
  EXPECT_NE(out.find("NewFangledHeader:   newfangled value\r\n continued value\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(0, 25), "OPTIONS sip:c@d SIP/2.0\r\n");
}

TEST(MessageEditorTest, RemoveReplaceAddAndBody) {
  Message m;
  ASSERT_TRUE(m.parse(kInvite).ok());
  MessageEditor e(m);
  e.removeHeaderNamed("X-Internal");
  e.removeHeader(HeaderId::kUserAgent);
  e.replaceHeader(HeaderId::kMaxForwards, "69");
  e.addHeader(HeaderId::kVia, "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKnew",
              MessageEditor::Position::kTop);
  e.addHeader("Server", "trunkguard");
  e.setBody("text/plain", "hello");
  const std::string out = e.serialize();

  Message r;
  ASSERT_TRUE(r.parse(out).ok()) << out;
  EXPECT_TRUE(validate(r).ok()) << validate(r).reason;
  EXPECT_EQ(r.findByName("X-Internal"), nullptr);
  EXPECT_FALSE(r.has(HeaderId::kUserAgent));
  EXPECT_EQ(r.maxForwards(), 69u);
  EXPECT_EQ(r.topVia()->branch(), "z9hG4bKnew");
  EXPECT_EQ(r.count(HeaderId::kVia), 2u);
  EXPECT_EQ(r.value(HeaderId::kServer), "trunkguard");
  EXPECT_EQ(r.body(), "hello");
  EXPECT_EQ(r.contentLength(), 5u);
  EXPECT_EQ(r.value(HeaderId::kContentType), "text/plain");
  EXPECT_EQ(r.count(HeaderId::kContentType), 1u);
}

TEST(MessageBuilderTest, BuildsAValidRequest) {
  const std::string text = MessageBuilder::request("OPTIONS", "sip:gw@192.0.2.1")
                               .header(HeaderId::kVia, "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx")
                               .header(HeaderId::kFrom, "<sip:tg@192.0.2.2>;tag=a")
                               .header(HeaderId::kTo, "<sip:gw@192.0.2.1>")
                               .header(HeaderId::kCallId, "c1")
                               .header(HeaderId::kCSeq, "1 OPTIONS")
                               .header(HeaderId::kMaxForwards, "70")
                               .build();
  Message m;
  ASSERT_TRUE(m.parse(text).ok());
  EXPECT_TRUE(validate(m).ok()) << validate(m).reason;
  EXPECT_EQ(m.contentLength(), 0u);
}

TEST(MessageBuilderTest, ResponseToCopiesTheTransactionHeaders) {
  Message req;
  ASSERT_TRUE(req.parse(kInvite).ok());
  const std::string text = responseTo(req, 486, {}, "gw123").build();
  Message res;
  ASSERT_TRUE(res.parse(text).ok());
  EXPECT_TRUE(validate(res).ok()) << validate(res).reason;
  EXPECT_EQ(res.statusCode(), 486);
  EXPECT_EQ(res.reasonPhrase(), "Busy Here");
  EXPECT_EQ(res.to()->tag(), "gw123");
  EXPECT_EQ(res.from()->tag(), "1928301774");
  EXPECT_EQ(res.topVia()->branch(), "z9hG4bK776asdhds");
  EXPECT_EQ(res.callId(), req.callId());
  EXPECT_EQ(res.cseq()->number, 314159u);
  // 100 Trying never adds a tag.
  Message trying;
  ASSERT_TRUE(trying.parse(responseTo(req, 100, {}, "gw123").build()).ok());
  EXPECT_TRUE(trying.to()->tag().empty());
}

}  // namespace
}  // namespace tg::sip
