// RFC 3261 §18.1.1: a request over 1300 bytes that would go over UDP goes over TCP to the same
// address instead (large_requests.h), and back over UDP when the peer refuses TCP.

#include <gtest/gtest.h>

#include "sip/request_via.h"
#include "transaction/large_requests.h"
#include "txn_test_util.h"

namespace tg::transaction::testing {
namespace {

using config::TransportKind;

class LargeRequestTest : public TransactionTest {
 protected:
  LargeRequestTest()
      : large_(
            [this](transport::Zone zone, TransportKind t) -> const transport::LocalEndpoint* {
              if (t != TransportKind::kTcp || !tcpListener_) return nullptr;
              tcp_.zone = zone;
              return &tcp_;
            },
            clock_) {
    tcp_.transport = TransportKind::kTcp;
    tcp_.address = addr("192.0.2.1", 5070);
    layer_->setLargeRequests(&large_);
  }

  // Our request with enough Route headers to pass 1300 bytes (or not).
  static RequestSpec sized(bool large, std::string branch = "z9hG4bKtgbig0001") {
    RequestSpec s = ourRequest("INVITE", std::move(branch));
    for (int i = 0; large && i < 16; ++i) {
      s.routes.push_back("<sip:proxy" + std::to_string(i) +
                         ".carrier.example.net:5060;lr;transport=udp;x-padding=abcdefghijklmn>");
    }
    return s;
  }

  bool tcpListener_ = true;
  transport::LocalEndpoint tcp_;
  LargeRequests large_;
};

TEST_F(LargeRequestTest, ALargeRequestToAUdpTargetGoesOverTcpWithItsViaSayingSo) {
  const RequestSpec spec = sized(true);
  ASSERT_GT(buildRequest(spec).size(), LargeRequests::kUdpLimit);
  ClientTransaction& ct = startClient(spec, udpTarget());
  ASSERT_EQ(sender_.sent.size(), 1u);
  const Sent& s = sender_.sent[0];
  EXPECT_EQ(s.target.transport, TransportKind::kTcp);
  EXPECT_EQ(s.target.address, udpTarget().address) << "the same host and port";
  EXPECT_EQ(s.target.zone, transport::Zone::kTrunk);
  const sip::Via* via = s.msg->topVia();
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->transport, "TCP");
  EXPECT_EQ(via->host, "192.0.2.1");
  EXPECT_EQ(via->port, 5070) << "the zone's tcp:// listener is the sent-by";
  EXPECT_EQ(via->branch(), spec.branch) << "the transaction is still found by its branch";
  EXPECT_TRUE(ct.reliable());
  // Reliable: no Timer A retransmissions.
  advanceTo(5000);
  EXPECT_EQ(sender_.requests("INVITE").size(), 1u);
  EXPECT_EQ(large_.stats().overStream, 1u);
  EXPECT_EQ(large_.stats().overUdp, 0u);
  // The answer over the connection completes the transaction.
  deliver(responseTo(s.bytes, 200), tcpPacket("203.0.113.10", 5060, 7, transport::Zone::kTrunk));
  EXPECT_EQ(user_.countResponses(200), 1u);
}

TEST_F(LargeRequestTest, ASmallRequestStaysOnUdp) {
  const RequestSpec spec = sized(false);
  ASSERT_LE(buildRequest(spec).size(), LargeRequests::kUdpLimit);
  startClient(spec, udpTarget());
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].target.transport, TransportKind::kUdp);
  EXPECT_EQ(sender_.sent[0].bytes, buildRequest(spec));
  EXPECT_EQ(large_.stats().overStream + large_.stats().overUdp, 0u);
}

TEST_F(LargeRequestTest, WithoutATcpListenerInTheZoneItGoesOverUdpWholeAndIsCounted) {
  tcpListener_ = false;
  const RequestSpec spec = sized(true);
  startClient(spec, udpTarget());
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].target.transport, TransportKind::kUdp);
  EXPECT_EQ(sender_.sent[0].bytes, buildRequest(spec)) << "never truncated or changed";
  EXPECT_EQ(large_.stats().overUdp, 1u);
  advanceTo(600);
  EXPECT_EQ(sender_.requests("INVITE").size(), 2u) << "Timer A as for any UDP request";
}

TEST_F(LargeRequestTest, APublicZonePhoneIsReachedOverUdpAsItRegistered) {
  transport::SendTarget phone = udpTarget("198.51.100.7", 40000);
  phone.zone = transport::Zone::kPublic;
  startClient(sized(true), phone);
  EXPECT_EQ(sender_.sent[0].target.transport, TransportKind::kUdp);
  EXPECT_EQ(large_.stats().overUdp, 1u);
}

TEST_F(LargeRequestTest, RefusedTcpSendsTheRequestOverUdpAndRemembersThePeer) {
  const RequestSpec spec = sized(true);
  ClientTransaction& ct = startClient(spec, udpTarget());
  ASSERT_EQ(sender_.sent[0].target.transport, TransportKind::kTcp);
  advanceTo(20);
  layer_->onSendError(tcpTarget());  // connection refused
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].target.transport, TransportKind::kUdp);
  EXPECT_EQ(sender_.sent[1].bytes, buildRequest(spec)) << "as built for UDP, Via and all";
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u) << "a refused TCP is no failure of the call";
  EXPECT_FALSE(ct.reliable());
  // Timer A from the UDP send on, Timer B still from the first attempt.
  advanceTo(520);
  EXPECT_EQ(sender_.requestTimes("INVITE"), (std::vector<int64_t>{0, 20, 520}));
  advanceTo(32000);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(large_.stats().fellBackToUdp, 1u);

  // The next large request to that peer goes over UDP at once, until the memory expires.
  sender_.sent.clear();
  startClient(sized(true, "z9hG4bKtgbig0002"), udpTarget());
  EXPECT_EQ(sender_.sent.back().target.transport, TransportKind::kUdp);
  advance(LargeRequests::kRefusedFor, 1s);
  startClient(sized(true, "z9hG4bKtgbig0003"), udpTarget());
  EXPECT_EQ(sender_.sent.back().target.transport, TransportKind::kTcp);
}

TEST_F(LargeRequestTest, ARequestSentOverTcpByChoiceStillFailsWhenRefused) {
  startClient(sized(true), tcpTarget());
  layer_->onSendError(tcpTarget());
  EXPECT_EQ(sender_.sent.size(), 1u) << "no UDP retry for a TCP peer";
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(large_.stats().fellBackToUdp, 0u);
}

TEST(SetTopViaTransport, RewritesOnlyTheTopViaAndKeepsItsParameters) {
  RequestSpec spec;
  spec.viaHost = "192.0.2.1";
  spec.viaPort = 5060;
  spec.rport = true;
  spec.lowerVias = {"SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKlower"};
  std::string bytes = buildRequest(spec);
  ASSERT_TRUE(sip::setTopViaTransport(bytes, "TCP", "192.0.2.1:5070"));
  auto m = parse(bytes);
  std::vector<std::string> vias;
  m->forEachElement(sip::HeaderId::kVia, [&](std::string_view v) { vias.emplace_back(v); });
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0], "SIP/2.0/TCP 192.0.2.1:5070;branch=" + spec.branch + ";rport");
  EXPECT_EQ(vias[1], "SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKlower");
  EXPECT_EQ(m->callId(), spec.callId);
}

TEST(SetTopViaTransport, RefusesWhatHasNoViaAndLeavesItAlone) {
  std::string noVia = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
  const std::string before = noVia;
  EXPECT_FALSE(sip::setTopViaTransport(noVia, "TCP", "192.0.2.1:5070"));
  EXPECT_EQ(noVia, before);
  std::string garbage = "not sip at all";
  EXPECT_FALSE(sip::setTopViaTransport(garbage, "TCP", "192.0.2.1:5070"));
  EXPECT_EQ(garbage, "not sip at all");
}

}  // namespace
}  // namespace tg::transaction::testing
