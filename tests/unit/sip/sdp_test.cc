#include "sip/sdp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace tg::sip {
namespace {

// Test SDPs are written with '\n' for readability; the wire form uses CRLF.
std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

SessionDescription mustParse(std::string_view body) {
  auto r = parseSdp(body);
  EXPECT_TRUE(r.ok()) << r.error() << "\n" << body;
  return r.ok() ? *r : SessionDescription{};
}

// parse(serialize(parse(x))) == parse(x), and serializing again changes nothing.
void expectRoundTrip(std::string_view body) {
  auto first = parseSdp(body);
  ASSERT_TRUE(first.ok()) << first.error();
  const std::string text = serializeSdp(*first);
  auto second = parseSdp(text);
  ASSERT_TRUE(second.ok()) << second.error() << "\n" << text;
  EXPECT_EQ(*first, *second) << text;
  EXPECT_EQ(serializeSdp(*second), text);
}

const std::string kPlainOffer = crlf(R"(v=0
o=- 3869148423 3869148423 IN IP4 203.0.113.10
s=Asterisk
c=IN IP4 203.0.113.10
t=0 0
m=audio 16384 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
)");

const std::string kSdesOffer = crlf(R"(v=0
o=jdoe 2890844526 2890842807 IN IP4 192.0.2.1
s=SRTP call
c=IN IP4 192.0.2.1
t=0 0
m=audio 49170 RTP/SAVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 UNENCRYPTED_SRTCP KDR=1
a=rtcp:49171
)");

const std::string kDtlsOffer = crlf(R"(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic: WMS stream
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:8hhY
a=ice-pwd:asd88fgpdd777uzjYhagZg
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:0 PCMU/8000
a=rtpmap:126 telephone-event/8000
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:1
a=recvonly
a=rtpmap:96 VP8/90000
)");

const std::string kIpv6Answer = crlf(R"(v=0
o=alice 1 2 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 5004 RTP/AVP 9 101
a=rtpmap:9 G722/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
)");

const std::string kHoldReinvite = crlf(R"(v=0
o=- 3869148423 3869148424 IN IP4 203.0.113.10
s=Asterisk
c=IN IP4 0.0.0.0
t=0 0
m=audio 16384 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=sendonly
)");

const std::string kAudioVideo = crlf(R"(v=0
o=bob 2808844564 2808844564 IN IP4 198.51.100.7
s=Video call
c=IN IP4 198.51.100.7
b=AS:2048
t=0 0
a=sendrecv
m=audio 49170 RTP/AVP 0 8
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
m=video 51372 RTP/AVP 99 100
c=IN IP4 198.51.100.8
b=AS:512
b=TIAS:512000
a=rtpmap:99 H264/90000
a=fmtp:99 profile-level-id=42e01f; packetization-mode=1
a=rtpmap:100 H263-1998/90000
a=inactive
)");

// RFC 8866 §5 example plus the rarer fields: u=, e=, p=, r=, z=, k=, multicast /ttl/count.
const std::string kRfcExample = crlf(R"(v=0
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
s=Call to John Smith
i=SDP Offer #1
u=http://www.jdoe.example.com/home.html
e=Jane Doe <jane@jdoe.example.com>
p=+1 617 555-6011
c=IN IP4 233.252.0.1/127/3
b=CT:128
t=3724394400 3724398000
r=604800 3600 0 90000
r=7d 1h 0 25h
t=0 0
z=2882844526 -1h 2898848070 0
k=prompt
a=recvonly
m=audio 49170 RTP/AVP 0
i=Voice
c=IN IP6 ff15::101/3
k=clear:secret
m=video 51372/2 RTP/AVP 99
a=rtpmap:99 h263-1998/90000
m=application 32416 udp wb
a=orient:portrait
m=image 4000 udptl t38
a=T38FaxVersion:0
a=T38FaxRateManagement:transferredTCF
)");

const std::string* const kAllSamples[] = {&kPlainOffer,   &kSdesOffer,  &kDtlsOffer, &kIpv6Answer,
                                          &kHoldReinvite, &kAudioVideo, &kRfcExample};

TEST(SdpTest, PlainAudioOffer) {
  const auto sdp = mustParse(kPlainOffer);
  EXPECT_EQ(sdp.origin.username, "-");
  EXPECT_EQ(sdp.origin.sessionId, "3869148423");
  EXPECT_EQ(sdp.origin.sessionVersion, "3869148423");
  EXPECT_EQ(sdp.origin.netType, "IN");
  EXPECT_EQ(sdp.origin.addrType, "IP4");
  EXPECT_EQ(sdp.origin.address, "203.0.113.10");
  EXPECT_EQ(sdp.sessionName, "Asterisk");
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_EQ(sdp.connection->address, "203.0.113.10");
  EXPECT_TRUE(sdp.connection->isIp4());
  ASSERT_EQ(sdp.timings.size(), 1u);
  EXPECT_EQ(sdp.timings[0].start, 0u);
  EXPECT_EQ(sdp.timings[0].stop, 0u);

  ASSERT_EQ(sdp.media.size(), 1u);
  const SdpMedia& m = sdp.media[0];
  EXPECT_EQ(m.type, "audio");
  EXPECT_EQ(m.port, 16384);
  EXPECT_FALSE(m.portCount.has_value());
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_FALSE(m.isSecure());
  EXPECT_FALSE(m.isDisabled());
  EXPECT_TRUE(m.connections.empty());

  ASSERT_EQ(m.attributes.size(), 7u);
  EXPECT_EQ(m.attributes.items()[5].name, "maxptime");
  EXPECT_EQ(m.attributes.items()[5].value, "150");
  EXPECT_EQ(m.attributes.value("MaxPtime"), "150");  // lookup ignores case

  const auto pcmu = m.attributes.rtpmap(0);
  ASSERT_TRUE(pcmu.has_value());
  EXPECT_EQ(pcmu->encoding, "PCMU");
  EXPECT_EQ(pcmu->clockRate, 8000u);
  EXPECT_EQ(pcmu->channels, 1u);
  const auto dtmf = m.attributes.rtpmap(101);
  ASSERT_TRUE(dtmf.has_value());
  EXPECT_EQ(dtmf->encoding, "telephone-event");
  EXPECT_FALSE(m.attributes.rtpmap(9).has_value());
  EXPECT_EQ(m.attributes.rtpmaps().size(), 3u);

  const auto fmtp = m.attributes.fmtp("101");
  ASSERT_TRUE(fmtp.has_value());
  EXPECT_EQ(fmtp->params, "0-16");
  EXPECT_FALSE(m.attributes.fmtp("0").has_value());
  EXPECT_EQ(m.attributes.ptime(), 20u);
  EXPECT_EQ(m.attributes.direction(), SdpDirection::kSendRecv);
  EXPECT_TRUE(m.attributes.cryptos().empty());
  EXPECT_FALSE(m.attributes.fingerprint().has_value());

  const SdpConnection* c = effectiveConnection(sdp, m);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->address, "203.0.113.10");
  EXPECT_EQ(effectiveDirection(sdp, m), SdpDirection::kSendRecv);
}

TEST(SdpTest, SdesSrtpOffer) {
  const auto sdp = mustParse(kSdesOffer);
  ASSERT_EQ(sdp.media.size(), 1u);
  const SdpMedia& m = sdp.media[0];
  EXPECT_EQ(m.proto, "RTP/SAVP");
  EXPECT_TRUE(m.isSecure());

  const auto cryptos = m.attributes.cryptos();
  ASSERT_EQ(cryptos.size(), 2u);
  EXPECT_EQ(cryptos[0].tag, 1u);
  EXPECT_EQ(cryptos[0].suite, "AES_CM_128_HMAC_SHA1_80");
  ASSERT_EQ(cryptos[0].keys.size(), 1u);
  EXPECT_EQ(cryptos[0].keys[0].method, "inline");
  EXPECT_EQ(cryptos[0].keys[0].key, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  EXPECT_EQ(cryptos[0].keys[0].lifetime, uint64_t{1} << 20);
  EXPECT_EQ(cryptos[0].keys[0].mki, "1");
  EXPECT_EQ(cryptos[0].keys[0].mkiLength, 4u);
  EXPECT_TRUE(cryptos[0].sessionParams.empty());

  EXPECT_EQ(cryptos[1].tag, 2u);
  EXPECT_EQ(cryptos[1].suite, "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(cryptos[1].keys[0].mkiLength, 32u);
  EXPECT_EQ(cryptos[1].sessionParams,
            (std::vector<std::string_view>{"UNENCRYPTED_SRTCP", "KDR=1"}));

  const auto rtcp = m.attributes.rtcp();
  ASSERT_TRUE(rtcp.has_value());
  EXPECT_EQ(rtcp->port, 49171);
  EXPECT_TRUE(rtcp->address.empty());
}

TEST(SdpTest, DtlsSrtpOffer) {
  const auto sdp = mustParse(kDtlsOffer);
  EXPECT_EQ(sdp.origin.sessionId, "4611731400430051336");
  EXPECT_FALSE(sdp.connection.has_value());
  EXPECT_EQ(sdp.attributes.value("group"), "BUNDLE 0 1");
  EXPECT_EQ(sdp.attributes.value("msid-semantic"), " WMS stream");
  ASSERT_EQ(sdp.media.size(), 2u);

  const SdpMedia& audio = sdp.media[0];
  EXPECT_EQ(audio.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(audio.isSecure());
  const auto fp = audio.attributes.fingerprint();
  ASSERT_TRUE(fp.has_value());
  EXPECT_EQ(fp->hashFunction, "sha-256");
  EXPECT_EQ(fp->fingerprint.size(), 32u * 3 - 1);
  EXPECT_EQ(fp->fingerprint.substr(0, 5), "D2:FA");
  EXPECT_EQ(audio.attributes.setup(), SdpSetup::kActPass);
  EXPECT_TRUE(audio.attributes.has("rtcp-mux"));

  const auto opus = audio.attributes.rtpmap(111);
  ASSERT_TRUE(opus.has_value());
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clockRate, 48000u);
  EXPECT_EQ(opus->channels, 2u);
  const auto fmtp = audio.attributes.fmtp("111");
  ASSERT_TRUE(fmtp.has_value());
  EXPECT_EQ(fmtp->param("useinbandfec"), "1");
  EXPECT_EQ(fmtp->param("MINPTIME"), "10");
  EXPECT_EQ(fmtp->param("stereo"), "");

  const auto rtcp = audio.attributes.rtcp();
  ASSERT_TRUE(rtcp.has_value());
  EXPECT_EQ(rtcp->port, 9);
  EXPECT_EQ(rtcp->netType, "IN");
  EXPECT_EQ(rtcp->addrType, "IP4");
  EXPECT_EQ(rtcp->address, "0.0.0.0");

  // Media-level c= wins; with trickle ICE 0.0.0.0 is not a hold.
  const SdpConnection* c = effectiveConnection(sdp, audio);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->address, "0.0.0.0");
  EXPECT_EQ(effectiveDirection(sdp, audio), SdpDirection::kSendRecv);
  EXPECT_EQ(effectiveDirection(sdp, sdp.media[1]), SdpDirection::kRecvOnly);
}

TEST(SdpTest, Ipv6Connection) {
  const auto sdp = mustParse(kIpv6Answer);
  EXPECT_EQ(sdp.origin.addrType, "IP6");
  EXPECT_EQ(sdp.origin.address, "2001:db8::1");
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_TRUE(sdp.connection->isIp6());
  EXPECT_FALSE(sdp.connection->isIp4());
  EXPECT_EQ(sdp.connection->address, "2001:db8::1");
  EXPECT_FALSE(sdp.connection->ttl.has_value());
  EXPECT_FALSE(sdp.connection->count.has_value());
  EXPECT_FALSE(sdp.connection->isUnspecified());
  EXPECT_EQ(sdp.media[0].attributes.rtpmap(9)->encoding, "G722");
}

TEST(SdpTest, HoldWithSendonlyAndNullAddress) {
  const auto sdp = mustParse(kHoldReinvite);
  ASSERT_EQ(sdp.media.size(), 1u);
  const SdpConnection* c = effectiveConnection(sdp, sdp.media[0]);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->isUnspecified());
  EXPECT_EQ(effectiveDirection(sdp, sdp.media[0]), SdpDirection::kSendOnly);
}

TEST(SdpTest, VideoSecondStreamWithOwnConnectionAndBandwidth) {
  const auto sdp = mustParse(kAudioVideo);
  ASSERT_EQ(sdp.bandwidths.size(), 1u);
  EXPECT_EQ(sdp.bandwidths[0].type, "AS");
  EXPECT_EQ(sdp.bandwidths[0].value, 2048u);
  ASSERT_EQ(sdp.media.size(), 2u);

  const SdpMedia& audio = sdp.media[0];
  EXPECT_EQ(effectiveConnection(sdp, audio)->address, "198.51.100.7");
  EXPECT_EQ(effectiveDirection(sdp, audio), SdpDirection::kSendRecv);  // session level

  const SdpMedia& video = sdp.media[1];
  EXPECT_EQ(video.type, "video");
  EXPECT_EQ(video.port, 51372);
  EXPECT_EQ(effectiveConnection(sdp, video)->address, "198.51.100.8");
  ASSERT_EQ(video.bandwidths.size(), 2u);
  EXPECT_EQ(video.bandwidths[1].type, "TIAS");
  EXPECT_EQ(video.bandwidths[1].value, 512000u);
  EXPECT_EQ(video.attributes.rtpmap(99)->clockRate, 90000u);
  const auto fmtp = video.attributes.fmtp("99");
  ASSERT_TRUE(fmtp.has_value());
  EXPECT_EQ(fmtp->param("profile-level-id"), "42e01f");
  EXPECT_EQ(fmtp->param("packetization-mode"), "1");
  // The media-level direction overrides the session-level one.
  EXPECT_EQ(effectiveDirection(sdp, video), SdpDirection::kInactive);
}

TEST(SdpTest, RareFieldsOfTheRfcExample) {
  const auto sdp = mustParse(kRfcExample);
  EXPECT_EQ(sdp.information, "SDP Offer #1");
  EXPECT_EQ(sdp.uri, "http://www.jdoe.example.com/home.html");
  EXPECT_EQ(sdp.emails, (std::vector<std::string>{"Jane Doe <jane@jdoe.example.com>"}));
  EXPECT_EQ(sdp.phones, (std::vector<std::string>{"+1 617 555-6011"}));
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_EQ(sdp.connection->address, "233.252.0.1");
  EXPECT_EQ(sdp.connection->ttl, 127u);
  EXPECT_EQ(sdp.connection->count, 3u);
  ASSERT_EQ(sdp.timings.size(), 2u);
  EXPECT_EQ(sdp.timings[0].start, 3724394400u);
  EXPECT_EQ(sdp.timings[0].stop, 3724398000u);
  EXPECT_EQ(sdp.timings[0].repeats,
            (std::vector<std::string>{"604800 3600 0 90000", "7d 1h 0 25h"}));
  EXPECT_TRUE(sdp.timings[1].repeats.empty());
  EXPECT_EQ(sdp.timeZones, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(sdp.key, "prompt");
  EXPECT_EQ(sdp.attributes.direction(), SdpDirection::kRecvOnly);

  ASSERT_EQ(sdp.media.size(), 4u);
  EXPECT_EQ(sdp.media[0].information, "Voice");
  ASSERT_EQ(sdp.media[0].connections.size(), 1u);
  EXPECT_EQ(sdp.media[0].connections[0].address, "ff15::101");
  EXPECT_FALSE(sdp.media[0].connections[0].ttl.has_value());
  EXPECT_EQ(sdp.media[0].connections[0].count, 3u);
  EXPECT_EQ(sdp.media[0].key, "clear:secret");
  EXPECT_EQ(sdp.media[1].portCount, 2u);
  EXPECT_EQ(effectiveDirection(sdp, sdp.media[1]), SdpDirection::kRecvOnly);
  EXPECT_EQ(sdp.media[2].formats, (std::vector<std::string>{"wb"}));
  EXPECT_EQ(sdp.media[3].type, "image");
  EXPECT_EQ(sdp.media[3].proto, "udptl");
  EXPECT_EQ(sdp.media[3].attributes.value("T38FaxRateManagement"), "transferredTCF");
}

TEST(SdpTest, SdpBodyOfRfc4475Sdp01) {
  std::ifstream in(TG_TESTDATA_DIR "/rfc4475/sdp01.dat", std::ios::binary);
  ASSERT_TRUE(in) << "missing " TG_TESTDATA_DIR "/rfc4475/sdp01.dat";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string message = ss.str();
  const size_t split = message.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const auto sdp = mustParse(std::string_view(message).substr(split + 4));
  EXPECT_EQ(sdp.origin.username, "mhandley");
  ASSERT_EQ(sdp.media.size(), 2u);
  EXPECT_EQ(sdp.media[0].formats, (std::vector<std::string>{"0", "12"}));
  EXPECT_EQ(sdp.media[1].port, 3227);
  // "a=rtpmap:31 LPC" lacks the clock rate: kept verbatim, but not a valid rtpmap.
  EXPECT_EQ(sdp.media[1].attributes.value("rtpmap"), "31 LPC");
  EXPECT_FALSE(sdp.media[1].attributes.rtpmap(31).has_value());
}

TEST(SdpTest, CanonicalInputSerializesByteForByte) {
  for (const std::string* sample : kAllSamples) {
    auto sdp = parseSdp(*sample);
    ASSERT_TRUE(sdp.ok()) << sdp.error();
    EXPECT_EQ(serializeSdp(*sdp), *sample);
  }
}

TEST(SdpTest, RoundTrips) {
  for (const std::string* sample : kAllSamples) expectRoundTrip(*sample);
}

TEST(SdpTest, BareLfEqualsCrlf) {
  for (const std::string* sample : kAllSamples) {
    std::string lf = *sample;
    lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
    auto a = parseSdp(lf);
    auto b = parseSdp(*sample);
    ASSERT_TRUE(a.ok()) << a.error();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*a, *b);
  }
}

TEST(SdpTest, LiberalInputIsNormalized) {
  // Padded fields, no final line break, trailing blank lines, an unknown line type, no t=.
  const std::string text =
      "v=0\no=-  1 1 IN IP4 192.0.2.1\ns=\nx=ignored\n"
      "m=audio  4000  RTP/AVP 0 8 \na=sendrecv \na=rtpmap:0 PCMU/8000";
  auto sdp = parseSdp(text);
  ASSERT_TRUE(sdp.ok()) << sdp.error();
  EXPECT_TRUE(sdp->timings.empty());
  EXPECT_EQ(sdp->sessionName, "");
  EXPECT_EQ(sdp->media[0].formats, (std::vector<std::string>{"0", "8"}));
  EXPECT_EQ(sdp->media[0].attributes.items()[0].name, "sendrecv");
  EXPECT_EQ(serializeSdp(*sdp),
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nm=audio 4000 RTP/AVP 0 8\r\n"
            "a=sendrecv\r\na=rtpmap:0 PCMU/8000\r\n");
  expectRoundTrip(text);
  EXPECT_TRUE(parseSdp(kPlainOffer + "\r\n\r\n").ok());
}

TEST(SdpTest, EditAndReserialize) {
  auto sdp = mustParse(kPlainOffer);
  // What the media relay does: anchor the stream on its own address and port.
  sdp.connection->address = "198.51.100.99";
  sdp.media[0].port = 40000;
  sdp.media[0].attributes.removeAll("maxptime");
  sdp.media[0].attributes.setDirection(SdpDirection::kSendOnly);
  sdp.media[0].attributes.add("rtcp", "40001");
  const std::string text = serializeSdp(sdp);
  EXPECT_NE(text.find("c=IN IP4 198.51.100.99\r\n"), std::string::npos);
  EXPECT_NE(text.find("m=audio 40000 RTP/AVP 0 8 101\r\n"), std::string::npos);
  EXPECT_EQ(text.find("maxptime"), std::string::npos);
  EXPECT_EQ(text.find("sendrecv"), std::string::npos);
  const auto again = mustParse(text);
  EXPECT_EQ(again, sdp);
  EXPECT_EQ(effectiveDirection(again, again.media[0]), SdpDirection::kSendOnly);
  EXPECT_EQ(again.media[0].attributes.rtcp()->port, 40001);
}

TEST(SdpTest, RejectsMalformedInput) {
  const std::string_view kValid = "o=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";
  const auto withBody = [&](std::string_view extra) {
    return "v=0\n" + std::string(kValid) + std::string(extra);
  };
  struct Case {
    std::string text;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty body"},
      {std::string(kValid), "missing v="},
      {"v=1\n" + std::string(kValid), "version 1"},
      {"v=0\ns=-\nt=0 0\n", "missing o="},
      {"v=0\no=- 1 1 IN IP4 192.0.2.1\nt=0 0\n", "missing s="},
      {"v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\n", "m= before s="},
      {"v=0\nv=0\n" + std::string(kValid), "duplicate v="},
      {withBody("o=- 1 1 IN IP4 192.0.2.1\n"), "duplicate o="},
      {withBody("s=again\n"), "duplicate s="},
      {"v=0\no=- 1 1 IN IP4\ns=-\n", "short o="},
      {"v=0\no=- x 1 IN IP4 192.0.2.1\ns=-\n", "non-numeric sess-id"},
      {withBody("m=audio 65536 RTP/AVP 0\n"), "port too large"},
      {withBody("m=audio -1 RTP/AVP 0\n"), "negative port"},
      {withBody("m=audio abc RTP/AVP 0\n"), "non-numeric port"},
      {withBody("m=audio 4000/0 RTP/AVP 0\n"), "port count 0"},
      {withBody("m=audio 4000 RTP/AVP\n"), "no formats"},
      {withBody("m=audio 4000 RTP//AVP 0\n"), "bad proto"},
      {withBody("hello world\n"), "garbage line"},
      {withBody("A=sendrecv\n"), "uppercase type"},
      {withBody("a =sendrecv\n"), "space before ="},
      {withBody("ab=c\n"), "two-letter type"},
      {withBody(" a=sendrecv\n"), "leading space"},
      {withBody("=x\n"), "no type"},
      {withBody("a\n"), "no ="},
      {withBody("\na=sendrecv\n"), "blank line inside"},
      {withBody("a=:value\n"), "empty attribute name"},
      {withBody("a=bad name:value\n"), "attribute name with space"},
      {withBody(std::string("a=x\0y\n", 6)), "NUL in value"},
      {withBody("a=x\ry\n"), "bare CR in value"},
      {withBody("c=IN IP4\n"), "short c="},
      {withBody("c=IN IP4 224.0.0.1/256\n"), "ttl too large"},
      {withBody("c=IN IP4 224.0.0.1/1/0\n"), "count 0"},
      {withBody("c=IN IP6 ff15::1/1/2\n"), "IP6 with ttl"},
      {withBody("c=IN IP4 /1\n"), "empty address"},
      {withBody("c=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.5\n"), "two session c="},
      {withBody("b=AS\n"), "b= without value"},
      {withBody("b=AS:x\n"), "non-numeric bandwidth"},
      {withBody("t=0\n"), "short t="},
      {withBody("t=0 0 0\n"), "long t="},
      {"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nr=7d 1h 0\n", "r= before t="},
      {withBody("r=7d 1h\n"), "short r="},
      {withBody("r=7d 1x 0\n"), "bad r= unit"},
      {withBody("z=2882844526\n"), "odd z="},
      {withBody("e=\n"), "empty e="},
      {withBody("m=audio 4000 RTP/AVP 0\nt=0 0\n"), "t= in media section"},
      {withBody("m=audio 4000 RTP/AVP 0\ni=a\ni=b\n"), "duplicate media i="},
  };
  for (const auto& c : cases) {
    auto r = parseSdp(c.text);
    EXPECT_FALSE(r.ok()) << c.why;
    EXPECT_EQ(r.ok(), r.error().empty()) << c.why;
  }
}

TEST(SdpTest, UnknownSingleLetterLinesAreDropped) {
  auto sdp = parseSdp(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\ny=whatever\nt=0 0\n"
      "m=audio 1 RTP/AVP 0\nx=also ignored\n");
  ASSERT_TRUE(sdp.ok()) << sdp.error();
  EXPECT_EQ(serializeSdp(*sdp).find("whatever"), std::string::npos);
  EXPECT_EQ(serializeSdp(*sdp).find("ignored"), std::string::npos);
}

TEST(SdpTest, EnforcesLimits) {
  std::string big = kPlainOffer;
  big.append(64 * 1024 - big.size(), '\n');  // exactly the limit: trailing blank lines are fine
  EXPECT_TRUE(parseSdp(big).ok());
  big += '\n';
  EXPECT_EQ(parseSdp(big).error(), "SDP body exceeds size limit");

  std::string media = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";
  for (int i = 0; i < 64; ++i) media += "m=audio 4000 RTP/AVP 0\n";
  EXPECT_TRUE(parseSdp(media).ok());
  media += "m=audio 4000 RTP/AVP 0\n";
  EXPECT_EQ(parseSdp(media).error(), "too many SDP media sections");

  std::string attrs = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
  for (int i = 0; i < 256; ++i) attrs += "a=x\n";
  EXPECT_TRUE(parseSdp(attrs).ok());
  attrs += "a=x\n";
  EXPECT_EQ(parseSdp(attrs).error(), "too many SDP attributes");

  std::string formats = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nm=audio 4000 RTP/AVP";
  for (int i = 0; i < 257; ++i) formats += " 0";
  EXPECT_EQ(parseSdp(formats).error(), "too many SDP media formats");

  SdpLimits tight;
  tight.maxBodySize = 32;
  EXPECT_EQ(parseSdp(kPlainOffer, tight).error(), "SDP body exceeds size limit");
}

TEST(SdpTest, EveryTruncationIsHandled) {
  for (const std::string* sample : kAllSamples) {
    for (size_t n = 0; n <= sample->size(); ++n) {
      const std::string prefix = sample->substr(0, n);  // own buffer: ASan sees overreads
      auto r = parseSdp(prefix);
      if (r.ok()) {
        const std::string text = serializeSdp(*r);
        auto again = parseSdp(text);
        ASSERT_TRUE(again.ok()) << again.error() << "\n" << prefix;
        EXPECT_EQ(*again, *r);
      } else {
        EXPECT_FALSE(r.error().empty());
      }
    }
  }
}

TEST(SdpAttributeTest, RtpMap) {
  auto m = parseSdpRtpMap("97 AMR-WB/16000/1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payloadType, 97);
  EXPECT_EQ(m->encoding, "AMR-WB");
  EXPECT_EQ(m->clockRate, 16000u);
  EXPECT_EQ(m->channels, 1u);
  EXPECT_FALSE(parseSdpRtpMap("128 PCMU/8000"));  // payload types are 7 bits
  EXPECT_FALSE(parseSdpRtpMap("0 PCMU"));
  EXPECT_FALSE(parseSdpRtpMap("0 PCMU/"));
  EXPECT_FALSE(parseSdpRtpMap("0 PCMU/8000/0"));
  EXPECT_FALSE(parseSdpRtpMap("0 PCMU/8000 extra"));
  EXPECT_FALSE(parseSdpRtpMap("x PCMU/8000"));
  EXPECT_FALSE(parseSdpRtpMap(""));
}

TEST(SdpAttributeTest, Crypto) {
  auto c = parseSdpCrypto(
      "1 AES_256_CM_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^31;"
      "inline:QUJjZGVmZ2hpSktMbW9QUXJzVFV2d3h5ekFCQ0RF|1048576|2:4 FEC_ORDER=FEC_SRTP");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->suite, "AES_256_CM_HMAC_SHA1_80");
  ASSERT_EQ(c->keys.size(), 2u);
  EXPECT_EQ(c->keys[0].lifetime, uint64_t{1} << 31);
  EXPECT_TRUE(c->keys[0].mki.empty());
  EXPECT_EQ(c->keys[1].lifetime, 1048576u);
  EXPECT_EQ(c->keys[1].mki, "2");
  EXPECT_EQ(c->keys[1].mkiLength, 4u);
  EXPECT_EQ(c->sessionParams, (std::vector<std::string_view>{"FEC_ORDER=FEC_SRTP"}));

  auto mkiOnly =
      parseSdpCrypto("3 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVFV2d3h5|1:4");
  ASSERT_TRUE(mkiOnly.has_value());
  EXPECT_FALSE(mkiOnly->keys[0].lifetime.has_value());
  EXPECT_EQ(mkiOnly->keys[0].mki, "1");

  const char* const bad[] = {
      "1 AES_CM_128_HMAC_SHA1_80",                        // no key params
      "x AES_CM_128_HMAC_SHA1_80 inline:YUJD",            // tag not numeric
      "1234567890 AES_CM_128_HMAC_SHA1_80 inline:YUJD",   // tag over 9 digits
      "1 AES_CM_128_HMAC_SHA1_80 inline:",                // empty key
      "1 AES_CM_128_HMAC_SHA1_80 inline:YU*D",            // not base64
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|1:4|2^20",   // lifetime after MKI
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|2^20|2^20",  // two lifetimes
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|2^64",       // lifetime overflow
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|1:0",        // MKI length 0
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|1:129",      // MKI length over 128
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD|",           // empty lifetime
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJD;",           // empty second key param
      "1 AES_CM_128_HMAC_SHA1_80 YUJD",                   // no key method
  };
  for (const char* value : bad) EXPECT_FALSE(parseSdpCrypto(value)) << value;
}

TEST(SdpAttributeTest, FingerprintSetupRtcpPtime) {
  EXPECT_TRUE(
      parseSdpFingerprint("sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"));
  EXPECT_TRUE(parseSdpFingerprint("sha-256 ab:cd"));
  EXPECT_FALSE(parseSdpFingerprint("sha-256"));
  EXPECT_FALSE(parseSdpFingerprint("sha-256 ABC:D"));
  EXPECT_FALSE(parseSdpFingerprint("sha-256 AB:"));
  EXPECT_FALSE(parseSdpFingerprint("sha-256 AB:XY"));
  EXPECT_FALSE(parseSdpFingerprint("sha-256 AB CD"));

  EXPECT_EQ(parseSdpSetup("active"), SdpSetup::kActive);
  EXPECT_EQ(parseSdpSetup("passive"), SdpSetup::kPassive);
  EXPECT_EQ(parseSdpSetup("actpass"), SdpSetup::kActPass);
  EXPECT_EQ(parseSdpSetup("holdconn"), SdpSetup::kHoldConn);
  EXPECT_FALSE(parseSdpSetup("both"));

  EXPECT_TRUE(parseSdpRtcp("53020 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD"));
  EXPECT_FALSE(parseSdpRtcp("65536"));
  EXPECT_FALSE(parseSdpRtcp("5000 IN IP4"));
  EXPECT_FALSE(parseSdpRtcp(""));

  EXPECT_EQ(parseSdpPtime("30"), 30u);
  EXPECT_EQ(parseSdpPtime("20.5"), 20u);
  EXPECT_FALSE(parseSdpPtime("20."));
  EXPECT_FALSE(parseSdpPtime("ms"));
  EXPECT_FALSE(parseSdpPtime(""));
}

TEST(SdpAttributeTest, DirectionNames) {
  EXPECT_EQ(sdpDirectionName(SdpDirection::kSendRecv), "sendrecv");
  EXPECT_EQ(sdpDirectionName(SdpDirection::kSendOnly), "sendonly");
  EXPECT_EQ(sdpDirectionName(SdpDirection::kRecvOnly), "recvonly");
  EXPECT_EQ(sdpDirectionName(SdpDirection::kInactive), "inactive");
  SdpAttributes attrs;
  EXPECT_FALSE(attrs.direction().has_value());
  attrs.add("recvonly");
  attrs.add("sendonly");
  EXPECT_EQ(attrs.direction(), SdpDirection::kRecvOnly);  // the first one counts
  attrs.setDirection(SdpDirection::kInactive);
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs.direction(), SdpDirection::kInactive);
  EXPECT_EQ(attrs.removeAll("INACTIVE"), 1u);
  EXPECT_TRUE(attrs.empty());
}

}  // namespace
}  // namespace tg::sip
