#include "sip/validator.h"

#include <gtest/gtest.h>

#include "../common/case_name.h"
#include "test_messages.h"

namespace tg::sip {
namespace {

using testing::crlf;

Verdict check(const std::string& text, const Limits& limits = {}) {
  Message m;
  ParseStatus st = m.parse(text);
  if (!st.ok()) return verdictForParseError(text, st.reason);
  return validate(m, limits);
}

const std::string kHead =
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\n"
    "From: <sip:a@example.com>;tag=1\n"
    "To: <sip:b@example.com>\n"
    "Call-ID: abc@192.0.2.1\n";

std::string request(const std::string& line, const std::string& extra,
                    const std::string& cseq = "CSeq: 1 OPTIONS\n") {
  return crlf(line + "\n" + kHead + cseq + extra + "\n");
}

TEST(ValidatorTest, AcceptsWellFormedMessages) {
  EXPECT_TRUE(check(testing::kInvite).ok());
  EXPECT_TRUE(check(testing::kOk).ok());
  EXPECT_TRUE(check(request("OPTIONS sip:b@example.com SIP/2.0", "Max-Forwards: 70\n")).ok());
}

TEST(ValidatorTest, RejectsOtherVersionsWith505) {
  Verdict v = check(request("OPTIONS sip:b@example.com SIP/7.0", ""));
  EXPECT_EQ(v.action, VerdictAction::kReject);
  EXPECT_EQ(v.code, 505);
}

TEST(ValidatorTest, DropsResponsesInsteadOfAnswering) {
  Verdict v = check(crlf("SIP/2.0 999 Weird\n" + kHead + "CSeq: 1 INVITE\n\n"));
  EXPECT_EQ(v.action, VerdictAction::kDrop);
  EXPECT_EQ(v.reason, "status code out of range");
  v = check(crlf("SIP/2.0 200 OK\n" + kHead + "\n"));
  EXPECT_EQ(v.action, VerdictAction::kDrop);
  EXPECT_EQ(v.reason, "missing CSeq header");
}

TEST(ValidatorTest, ParseErrorsOfRequestsAre400AndOfResponsesDrops) {
  EXPECT_EQ(check("INVITE sip:a@b\r\n\r\n").code, 400);
  EXPECT_EQ(check("\r\nSIP/2.0 2000 OK\r\n\r\n").action, VerdictAction::kDrop);
}

struct Case {
  std::string text;
  int code;
  std::string_view reason;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.code << " " << c.reason; }

class ValidatorRejectsTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidatorRejectsTest, WithCodeAndReason) {
  Verdict v = check(GetParam().text);
  EXPECT_EQ(v.action, VerdictAction::kReject);
  EXPECT_EQ(v.code, GetParam().code);
  EXPECT_EQ(v.reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Requests, ValidatorRejectsTest,
    ::testing::Values(
        Case{request("OPTIONS <sip:b@example.com> SIP/2.0", ""), 400, "malformed Request-URI"},
        Case{request("OPTIONS http://example.com/ SIP/2.0", ""), 416, "unsupported URI scheme"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "", "CSeq: 1 INVITE\n"), 400,
             "CSeq method does not match the request method"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "", "CSeq: 2147483648 OPTIONS\n"), 400,
             "malformed CSeq header"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Max-Forwards: 256\n"), 400,
             "Max-Forwards out of range"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Expires: 4294967296\n"), 400,
             "Expires out of range"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Call-ID: other\n"), 400,
             "multiple Call-ID headers"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Content-Length: 0\nl: 0\n"), 400,
             "multiple Content-Length headers"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Via: SIP/2.0/UDP ;;,\n"), 400,
             "malformed Via header"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Contact: \"unterminated <sip:x@y>\n"),
             400, "malformed Contact header"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Contact: *, <sip:x@y>\n"), 400,
             "malformed Contact header"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Require: a b\n"), 400,
             "malformed Require header"},
        Case{request("OPTIONS sip:b@example.com SIP/2.0", "Content-Type: sdp\n"), 400,
             "malformed Content-Type header"},
        Case{crlf("OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
                  "CSeq: 1 OPTIONS\n\n"),
             400, "missing From header"}),
    [](const ::testing::TestParamInfo<Case>& p) {
      return tg::testing::caseName(p.index, p.param.reason);
    });

TEST(ValidatorTest, LimitsAreConfigurable) {
  const std::string text = request("OPTIONS sip:b@example.com SIP/2.0", "X-A: 1\nX-B: 2\n");
  Limits tight;
  tight.maxHeaders = 6;
  EXPECT_EQ(check(text, tight).reason, "too many header fields");
  tight = {};
  tight.maxMessageBytes = 100;
  EXPECT_EQ(check(text, tight).code, 513);
  tight = {};
  tight.maxUriLength = 10;
  EXPECT_EQ(check(text, tight).code, 414);
  tight = {};
  tight.maxVias = 0;
  EXPECT_EQ(check(text, tight).reason, "too many Via entries");
  tight = {};
  tight.maxHeaderValueBytes = 10;
  EXPECT_EQ(check(text, tight).reason, "header value too long");
}

}  // namespace
}  // namespace tg::sip
