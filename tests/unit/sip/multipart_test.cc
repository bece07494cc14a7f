#include "sip/multipart.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sip/sdp.h"

namespace tg::sip {
namespace {

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// RFC 4475 §3.1.1.11: a text/plain part and a binary (DER) part.
TEST(MultipartTest, Rfc4475Mpart01) {
  std::ifstream in(TG_TESTDATA_DIR "/rfc4475/mpart01.dat", std::ios::binary);
  ASSERT_TRUE(in) << "missing " TG_TESTDATA_DIR "/rfc4475/mpart01.dat";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string message = ss.str();
  const size_t split = message.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const std::string_view headers = std::string_view(message).substr(0, split + 2);
  const std::string_view body = std::string_view(message).substr(split + 4);
  ASSERT_EQ(body.size(), 553u);  // its Content-Length

  const size_t ct = headers.find("\r\nContent-Type: ");
  ASSERT_NE(ct, std::string_view::npos);
  const size_t valueStart = ct + 16;
  const std::string_view contentType =
      headers.substr(valueStart, headers.find("\r\n", valueStart) - valueStart);
  EXPECT_EQ(contentType, "multipart/mixed;boundary=7a9cbec02ceef655");
  const std::string_view boundary = boundaryFromContentType(contentType);
  EXPECT_EQ(boundary, "7a9cbec02ceef655");

  auto parts = parseMultipart(body, boundary);
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 2u);

  const BodyPart& text = (*parts)[0];
  ASSERT_EQ(text.headers.size(), 2u);
  EXPECT_EQ(text.headers[0].name, "Content-Type");
  EXPECT_EQ(text.contentType(), "text/plain");
  EXPECT_TRUE(text.hasContentType("TEXT/PLAIN"));
  EXPECT_EQ(text.header("content-transfer-encoding"), "binary");
  EXPECT_EQ(text.body, "Hello");

  const BodyPart& binary = (*parts)[1];
  EXPECT_TRUE(binary.hasContentType("application/octet-stream"));
  EXPECT_TRUE(binary.contentDisposition().empty());
  // The part is one DER SEQUENCE with a two-byte length: its size proves the cut points.
  ASSERT_GE(binary.body.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(binary.body[0]), 0x30);
  EXPECT_EQ(static_cast<unsigned char>(binary.body[1]), 0x82);
  const size_t derLength = (static_cast<unsigned char>(binary.body[2]) << 8) |
                           static_cast<unsigned char>(binary.body[3]);
  EXPECT_EQ(binary.body.size(), 4 + derLength);
}

// SIP-I / SIP-T (RFC 3204): SDP next to an encapsulated ISUP IAM.
TEST(MultipartTest, SdpAndIsupPartsAsFromAnItuGateway) {
  const std::string isup(
      "\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00"
      "\x00\x03\x06\x0d\x03\x80\x90\xa2\x07\x03\x10\x03\x63\x53\x00",
      33);
  const std::string body = crlf(R"(--unique-boundary-1
Content-Type: application/sdp

v=0
o=- 1 1 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=audio 20000 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000

--unique-boundary-1
Content-Type: application/ISUP;version=itu-t92+
Content-Disposition: signal;handling=optional

)") + isup + "\r\n--unique-boundary-1--\r\n";
  const std::string_view boundary =
      boundaryFromContentType("multipart/mixed;boundary=unique-boundary-1");
  ASSERT_EQ(boundary, "unique-boundary-1");

  auto parts = parseMultipart(body, boundary);
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 2u);
  ASSERT_TRUE((*parts)[0].hasContentType("application/sdp"));
  auto sdp = parseSdp((*parts)[0].body);
  ASSERT_TRUE(sdp.ok()) << sdp.error();
  ASSERT_EQ(sdp->media.size(), 1u);
  EXPECT_EQ(sdp->media[0].port, 20000);
  EXPECT_EQ(sdp->media[0].attributes.rtpmap(8)->encoding, "PCMA");

  const BodyPart& isupPart = (*parts)[1];
  EXPECT_TRUE(isupPart.hasContentType("application/isup"));
  EXPECT_EQ(isupPart.contentType(), "application/ISUP;version=itu-t92+");
  EXPECT_EQ(isupPart.contentDisposition(), "signal;handling=optional");
  EXPECT_EQ(isupPart.body, isup);
}

// RFC 6442 location conveyance: SDP plus a PIDF-LO, quoted boundary with a space in it.
TEST(MultipartTest, SdpAndPidfLoWithPreambleAndEpilogue) {
  const std::string body = crlf(R"(This is a preamble that MIME readers ignore.
--boundary 1
Content-Type: application/sdp

v=0
o=alice 2890844526 2890844526 IN IP4 atlanta.example.com
s=-
c=IN IP4 atlanta.example.com
t=0 0
m=audio 49170 RTP/AVP 0
a=rtpmap:0 PCMU/8000

--boundary 1
Content-Type: application/pidf+xml
Content-ID: <target123@atlanta.example.com>

<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:alice@atlanta.example.com"/>
--boundary 1--
And an epilogue, also ignored.
--boundary 1
Content-Type: text/plain

not a part
)");
  const std::string_view boundary =
      boundaryFromContentType("multipart/mixed; boundary=\"boundary 1\"");
  ASSERT_EQ(boundary, "boundary 1");
  auto parts = parseMultipart(body, boundary);
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_TRUE(parseSdp((*parts)[0].body).ok());
  EXPECT_EQ((*parts)[1].header("Content-ID"), "<target123@atlanta.example.com>");
  EXPECT_EQ((*parts)[1].body.substr(0, 5), "<?xml");
  EXPECT_EQ((*parts)[1].body.back(), '>');  // the CRLF before the delimiter is not content
}

TEST(MultipartTest, BareLfPaddingFoldingAndHeaderlessParts) {
  const std::string body =
      "--b\t \n"                     // transport padding after the delimiter
      "Content-Type: text/plain;\n"  // a folded header
      "  charset=utf-8\n"
      "content-disposition : render\n"  // space before the colon, lower case
      "\n"
      "first\n"
      "--bX is content, not a delimiter\n"  // boundary lookalike
      "--b\n"
      "\n"  // no headers: defaults apply
      "second\n"
      "--b\n"
      "Content-Type: application/empty\n"  // headers only, no blank line, no body
      "--b--";
  auto parts = parseMultipart(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].contentType(), "text/plain;\n  charset=utf-8");
  EXPECT_TRUE((*parts)[0].hasContentType("text/plain"));
  EXPECT_EQ((*parts)[0].contentDisposition(), "render");
  EXPECT_EQ((*parts)[0].body, "first\n--bX is content, not a delimiter");
  EXPECT_TRUE((*parts)[1].headers.empty());
  EXPECT_EQ((*parts)[1].body, "second");
  EXPECT_EQ((*parts)[2].contentType(), "application/empty");
  EXPECT_TRUE((*parts)[2].body.empty());
}

TEST(MultipartTest, EmptyPartsBetweenAdjacentDelimiters) {
  auto parts = parseMultipart("--b\r\n\r\n--b\r\n--b--\r\n", "b");
  ASSERT_TRUE(parts.ok()) << parts.error();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_TRUE((*parts)[0].body.empty());
  EXPECT_TRUE((*parts)[1].headers.empty());
  EXPECT_TRUE((*parts)[1].body.empty());
}

TEST(MultipartTest, RejectsMalformedBodies) {
  const std::string ok = "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n";
  ASSERT_TRUE(parseMultipart(ok, "b").ok());

  EXPECT_EQ(parseMultipart(ok, "").error(), "invalid multipart boundary");
  EXPECT_EQ(parseMultipart(ok, "b ").error(), "invalid multipart boundary");
  EXPECT_EQ(parseMultipart(ok, "b\"").error(), "invalid multipart boundary");
  EXPECT_EQ(parseMultipart(ok, std::string(71, 'b')).error(), "invalid multipart boundary");
  EXPECT_TRUE(
      parseMultipart("--" + std::string(70, 'b') + "\r\n\r\nx\r\n--" + std::string(70, 'b') + "--",
                     std::string(70, 'b'))
          .ok());

  EXPECT_EQ(parseMultipart(ok, "c").error(), "multipart boundary not found");
  EXPECT_EQ(parseMultipart("", "b").error(), "multipart boundary not found");
  // A delimiter must start a line: only the close delimiter counts here.
  EXPECT_EQ(parseMultipart("x--b\r\n\r\nx\r\n--b--", "b").error(), "multipart body has no parts");
  EXPECT_EQ(parseMultipart("--b--\r\n", "b").error(), "multipart body has no parts");
  EXPECT_EQ(parseMultipart("--b\r\n\r\nx\r\n", "b").error(),
            "multipart body missing close delimiter");
  EXPECT_EQ(parseMultipart("--b\r\n\r\nx\r\n--b\r\n\r\ny", "b").error(),
            "multipart body missing close delimiter");
  EXPECT_EQ(parseMultipart("--b\r\nnot a header\r\n\r\nx\r\n--b--", "b").error(),
            "malformed multipart part header");
  EXPECT_EQ(parseMultipart("--b\r\n folded first\r\n\r\nx\r\n--b--", "b").error(),
            "malformed multipart part header");
  EXPECT_EQ(parseMultipart("--b\r\n: empty name\r\n\r\nx\r\n--b--", "b").error(),
            "malformed multipart part header");

  std::string many;
  for (int i = 0; i < 33; ++i) many += "--b\r\n\r\npart\r\n";
  many += "--b--\r\n";
  EXPECT_EQ(parseMultipart(many, "b").error(), "too many multipart parts");
  EXPECT_TRUE(parseMultipart(many, "b", 33).ok());

  std::string headers = "--b\r\n";
  for (size_t i = 0; i <= kMaxBodyPartHeaders; ++i) headers += "X-H: v\r\n";
  headers += "\r\nx\r\n--b--";
  EXPECT_EQ(parseMultipart(headers, "b").error(), "too many multipart part headers");
}

TEST(MultipartTest, EveryTruncationIsHandled) {
  const std::string body = crlf(R"(preamble
--xyz
Content-Type: application/sdp

v=0
--xyz
Content-Type: text/plain

hi
--xyz--
)");
  ASSERT_TRUE(parseMultipart(body, "xyz").ok());
  for (size_t n = 0; n <= body.size(); ++n) {
    const std::string prefix = body.substr(0, n);  // own buffer: ASan sees overreads
    auto parts = parseMultipart(prefix, "xyz");
    if (parts.ok()) {
      for (const auto& p : *parts) {
        EXPECT_GE(p.body.data(), prefix.data());
        EXPECT_LE(p.body.data() + p.body.size(), prefix.data() + prefix.size());
      }
    }
  }
}

TEST(MultipartTest, BoundaryFromContentType) {
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;boundary=unique-boundary-1"),
            "unique-boundary-1");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed; BOUNDARY = abc ; charset=x"), "abc");
  EXPECT_EQ(boundaryFromContentType("multipart/related;type=\"application/sdp;x=1\";"
                                    "boundary=\"----=_Part_0_1\";start=\"<sdp>\""),
            "----=_Part_0_1");
  EXPECT_EQ(boundaryFromContentType("multipart/alternative;flag;boundary=z"), "z");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;xboundary=z;boundary=y"), "y");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed"), "");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;"), "");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;boundary="), "");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;boundary=\"unterminated"), "");
  EXPECT_EQ(boundaryFromContentType("multipart/mixed;a=\"q\\\"uote;\";boundary=k"), "k");
  EXPECT_EQ(boundaryFromContentType(""), "");
}

}  // namespace
}  // namespace tg::sip
