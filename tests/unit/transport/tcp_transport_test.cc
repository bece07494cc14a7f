// TransportManager over TCP: framing, keep-alives, caps, idle closing, outbound connections.

#include <gtest/gtest.h>
#include <poll.h>

#include <memory>

#include "transport/connection_directory.h"
#include "transport/transport_manager.h"
#include "transport_test_util.h"

namespace tg::transport {
namespace {

using namespace testing;

config::Config tcpConfig(Zone zone, const std::string& ip = "127.0.0.1") {
  config::Config c;
  auto& listen = zone == Zone::kPbx ? c.pbx.listen : c.trunk.listen;
  listen.push_back(makeListener(TransportKind::kTcp, ip));
  return c;
}

base::Address tcpAddress(const TransportManager& m, Zone zone) {
  return m.localEndpoint(zone, TransportKind::kTcp)->address;
}

// A manager with one TCP listener in the pbx zone, and helpers to talk to it.
class TcpServerTest : public ::testing::Test {
 protected:
  void startServer(config::Config c, TransportOptions options = {}) {
    server_ = std::make_unique<TransportManager>(io_, c, rec_.packetHandler(), rec_.errorHandler(),
                                                 options);
    ASSERT_EQ(server_->start(), "");
  }
  void startServer() { startServer(tcpConfig(Zone::kPbx)); }

  base::Address serverAddress() const { return tcpAddress(*server_, Zone::kPbx); }

  RawSocket connectClient(const std::string& fromIp = "") {
    const uint64_t before =
        server_->stats().connectionsAccepted + server_->stats().connectionsRefused;
    RawSocket client = RawSocket::tcpConnect(serverAddress(), fromIp);
    EXPECT_TRUE(client.valid());
    EXPECT_TRUE(runUntil(io_, [&] {
      return server_->stats().connectionsAccepted + server_->stats().connectionsRefused > before;
    }));
    return client;
  }

  // Waits until the server closed the client's connection.
  bool closedByServer(RawSocket& client, std::chrono::milliseconds limit = 5000ms) {
    std::string ignored;
    return runUntil(
        io_, [&] { return !client.readAvailable(ignored); }, limit);
  }

  asio::io_context io_;
  Recorder rec_;
  std::unique_ptr<TransportManager> server_;
};

TEST_F(TcpServerTest, SeveralMessagesInOneWrite) {
  startServer();
  RawSocket client = connectClient();
  ASSERT_TRUE(client.write(sipMessage("a") + sipMessage("b", "body") + sipMessage("c")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 3; }));
  EXPECT_EQ(rec_.packets[0].bytes, sipMessage("a"));
  EXPECT_EQ(rec_.packets[1].bytes, sipMessage("b", "body"));
  EXPECT_EQ(rec_.packets[2].bytes, sipMessage("c"));
  for (const auto& p : rec_.packets) {
    EXPECT_EQ(p.transport, TransportKind::kTcp);
    EXPECT_EQ(p.zone, Zone::kPbx);
    EXPECT_NE(p.connection, 0u);
    EXPECT_EQ(p.connection, rec_.packets[0].connection);
    EXPECT_EQ(p.source, client.local());
    EXPECT_EQ(p.local, serverAddress());
  }
  EXPECT_EQ(server_->stats().streamMessagesReceived, 3u);
  EXPECT_EQ(server_->stats().connectionsAccepted, 1u);
  EXPECT_EQ(server_->openConnections(), 1u);
}

TEST_F(TcpServerTest, AMessageSplitOverManyWrites) {
  startServer();
  RawSocket client = connectClient();
  const std::string message = sipMessage("split", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  for (size_t at = 0; at < message.size(); at += 7) {
    ASSERT_TRUE(client.write(message.substr(at, 7)));
    runFor(io_, 1ms);
  }
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  EXPECT_EQ(rec_.packets[0].bytes, message);
}

TEST_F(TcpServerTest, PingIsAnsweredWithPong) {
  startServer();
  RawSocket client = connectClient();
  ASSERT_TRUE(client.write("\r\n\r\n"));
  std::string received;
  ASSERT_TRUE(runUntil(io_, [&] {
    client.readAvailable(received);
    return !received.empty();
  }));
  runFor(io_, 20ms);
  client.readAvailable(received);
  EXPECT_EQ(received, "\r\n");
  EXPECT_EQ(server_->stats().keepAlivePongs, 1u);
  EXPECT_EQ(server_->stats().streamMessagesSent, 0u) << "a pong is not a message";
  EXPECT_TRUE(rec_.packets.empty());
  // The stream goes on after the ping.
  ASSERT_TRUE(client.write(sipMessage("after-ping")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
}

TEST_F(TcpServerTest, FramingErrorClosesTheConnection) {
  startServer();
  RawSocket client = connectClient();
  ASSERT_TRUE(client.write("OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n\r\n"));  // no CL
  ASSERT_TRUE(closedByServer(client));
  EXPECT_EQ(server_->stats().framingErrors, 1u);
  EXPECT_EQ(server_->openConnections(), 0u);
  EXPECT_TRUE(rec_.packets.empty());
}

TEST_F(TcpServerTest, FramingErrorsAndOversizeMessagesAreReportedAsTheSourcesOffences) {
  config::Config c = tcpConfig(Zone::kPbx);
  c.limits.maxMessageBytes = 1000;
  startServer(c);
  std::vector<std::pair<base::Address, StreamOffence>> seen;
  server_->setOffenceHandler([&](Zone zone, const base::Address& from, StreamOffence offence) {
    EXPECT_EQ(zone, Zone::kPbx);
    seen.emplace_back(from, offence);
  });
  RawSocket big = connectClient();
  ASSERT_TRUE(big.write(sipMessage("big", std::string(900, 'x'))));
  ASSERT_TRUE(runUntil(io_, [&] { return seen.size() == 1; }));
  EXPECT_EQ(seen[0].second, StreamOffence::kOversizeMessage);
  EXPECT_TRUE(seen[0].first.sameIp(serverAddress()));
  RawSocket garbage = connectClient();
  ASSERT_TRUE(garbage.write("OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nContent-Length: x\r\n\r\n"));
  ASSERT_TRUE(closedByServer(garbage));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].second, StreamOffence::kFramingError);
  EXPECT_EQ(offenceName(StreamOffence::kFramingError), "framing-error");
}

TEST_F(TcpServerTest, OversizeStreamMessageIsDroppedAndTheStreamContinues) {
  config::Config c = tcpConfig(Zone::kPbx);
  c.limits.maxMessageBytes = 1000;
  startServer(c);
  RawSocket client = connectClient();
  // Header and body each within bounds, their sum over the limit.
  ASSERT_TRUE(client.write(sipMessage("big", std::string(900, 'x')) + sipMessage("small")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  EXPECT_EQ(rec_.packets[0].bytes, sipMessage("small"));
  EXPECT_EQ(server_->stats().oversizeDropped, 1u);
  EXPECT_EQ(server_->openConnections(), 1u);
}

TEST_F(TcpServerTest, IdleConnectionsAreClosedOnSimulatedTime) {
  base::ManualClock clock;
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.firstMessageTimeout = 0ms;  // off: this test is about the idle timeout alone
  startServer(c, {.clock = &clock, .idleSweepInterval = 5ms});
  RawSocket client = connectClient();

  clock.advance(299s);
  runFor(io_, 30ms);
  EXPECT_EQ(server_->openConnections(), 1u) << "the default idle timeout is 300 s";

  ASSERT_TRUE(client.write(sipMessage("traffic")));  // activity at t=299 s
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  clock.advance(200s);
  runFor(io_, 30ms);
  EXPECT_EQ(server_->openConnections(), 1u);

  clock.advance(101s);
  ASSERT_TRUE(closedByServer(client));
  EXPECT_EQ(server_->openConnections(), 0u);
  EXPECT_EQ(server_->stats().connectionsClosedIdle, 1u);
}

TEST_F(TcpServerTest, IdleConnectionsAreClosedOnRealTime) {
  startServer(tcpConfig(Zone::kPbx), {.idleTimeout = 150ms});
  RawSocket client = connectClient();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(closedByServer(client));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 140ms);
  EXPECT_EQ(server_->stats().connectionsClosedIdle, 1u);
}

TEST_F(TcpServerTest, PerSourceCapRefusesConnections) {
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.maxConnectionsPerSource = 2;
  startServer(c);
  RawSocket a = connectClient();
  RawSocket b = connectClient();
  RawSocket refused = connectClient();
  ASSERT_TRUE(closedByServer(refused));
  EXPECT_EQ(server_->stats().connectionsAccepted, 2u);
  EXPECT_EQ(server_->stats().connectionsRefused, 1u);
  EXPECT_EQ(server_->openConnections(), 2u);

  if (canBind("127.0.0.2")) {  // another source IP is not limited by the first one's count
    RawSocket other = connectClient("127.0.0.2");
    EXPECT_EQ(server_->stats().connectionsAccepted, 3u);
  }
  // A closed connection frees its slot.
  a = RawSocket();
  ASSERT_TRUE(runUntil(io_, [&] { return server_->openConnections() <= 2; }));
  RawSocket again = connectClient();
  EXPECT_EQ(server_->stats().connectionsRefused, 1u);
}

TEST_F(TcpServerTest, TotalCapRefusesConnections) {
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.maxConnections = 2;
  c.tcp.maxConnectionsPerSource = 100;
  startServer(c);
  RawSocket a = connectClient();
  RawSocket b = connectClient();
  RawSocket refused = connectClient();
  ASSERT_TRUE(closedByServer(refused));
  EXPECT_EQ(server_->stats().connectionsRefused, 1u);
  EXPECT_EQ(server_->openConnections(), 2u);
  std::string ignored;
  EXPECT_TRUE(a.readAvailable(ignored)) << "the accepted ones stay open";
}

TEST_F(TcpServerTest, AConnectionThatSendsNoMessageIsClosedAtTheFirstMessageDeadline) {
  base::ManualClock clock;
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.firstMessageTimeout = 3000ms;
  startServer(c, {.clock = &clock, .idleSweepInterval = 5ms});
  RawSocket silent = connectClient();
  RawSocket pinging = connectClient();
  RawSocket talking = connectClient();
  ASSERT_TRUE(pinging.write("\r\n\r\n"));  // keep-alives are not a message
  ASSERT_TRUE(talking.write(sipMessage("register")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));

  clock.advance(2900ms);
  runFor(io_, 30ms);
  EXPECT_EQ(server_->openConnections(), 3u);
  clock.advance(100ms);
  ASSERT_TRUE(closedByServer(silent));
  ASSERT_TRUE(closedByServer(pinging));
  EXPECT_EQ(server_->stats().connectionsClosedNoMessage, 2u);
  EXPECT_EQ(server_->openConnections(), 1u) << "the one that sent a message stays";
  std::string ignored;
  EXPECT_TRUE(talking.readAvailable(ignored));
}

TEST_F(TcpServerTest, ASlowSenderIsClosedAtTheMessageDeadline) {
  base::ManualClock clock;
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.firstMessageTimeout = 0ms;  // off: only the message deadline is tested here
  c.tcp.messageTimeout = 4000ms;
  startServer(c, {.clock = &clock, .idleSweepInterval = 5ms});
  RawSocket slow = connectClient();
  RawSocket steady = connectClient();
  const std::string message = sipMessage("slowloris");
  // A byte every second: never idle, but the message never completes in time.
  size_t sent = 0;
  for (int second = 0; second < 4; ++second) {
    ASSERT_TRUE(slow.write(message.substr(sent++, 1)));
    ASSERT_TRUE(steady.write(sipMessage("m" + std::to_string(second))));
    runUntil(io_, [&] { return rec_.packets.size() == static_cast<size_t>(second + 1); });
    clock.advance(999ms);
    runFor(io_, 20ms);
  }
  EXPECT_EQ(server_->openConnections(), 2u);
  clock.advance(10ms);
  ASSERT_TRUE(closedByServer(slow));
  EXPECT_EQ(server_->stats().connectionsClosedSlow, 1u);
  EXPECT_EQ(server_->openConnections(), 1u) << "complete messages never hit the deadline";
}

TEST_F(TcpServerTest, AFullTableEvictsSilentThenUnprovenPublicConnectionsNeverAConfirmedOne) {
  config::Config c = tcpConfig(Zone::kPublic);
  c.publicZone.emplace();
  c.publicZone->listen.push_back(makeListener(TransportKind::kTcp, "127.0.0.1"));
  c.pbx.listen.clear();
  c.tcp.maxConnections = 3;
  c.tcp.reservedForPeers = 0;
  startServer(c);
  const base::Address at = tcpAddress(*server_, Zone::kPublic);
  const auto connect = [&] {
    const uint64_t before =
        server_->stats().connectionsAccepted + server_->stats().connectionsRefused;
    RawSocket s = RawSocket::tcpConnect(at);
    EXPECT_TRUE(runUntil(io_, [&] {
      return server_->stats().connectionsAccepted + server_->stats().connectionsRefused > before;
    }));
    return s;
  };
  RawSocket phone = connect();
  ASSERT_TRUE(phone.write(sipMessage("register")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  RawSocket idle1 = connect();
  RawSocket idle2 = connect();
  RawSocket newcomer = connect();  // the table is full: the oldest silent one goes
  ASSERT_TRUE(closedByServer(idle1));
  EXPECT_EQ(server_->stats().connectionsEvicted, 1u);
  EXPECT_EQ(server_->openConnections(), 3u);
  ASSERT_TRUE(newcomer.write(sipMessage("newcomer")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 2; }));
  RawSocket another = connect();
  ASSERT_TRUE(closedByServer(idle2));
  ASSERT_TRUE(another.write(sipMessage("another")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 3; }));
  // Everyone left has spoken; the phone's REGISTER was answered 200 (it proved itself).
  server_->confirmConnection(rec_.packets[0].connection);
  // A newcomer pushes out the unproven peer that spoke longest ago, never the phone.
  RawSocket fourth = connect();
  ASSERT_TRUE(closedByServer(newcomer));
  EXPECT_EQ(server_->stats().connectionsEvicted, 3u);
  ASSERT_TRUE(another.write(sipMessage("again")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 4; }));
  ASSERT_TRUE(fourth.write(sipMessage("fourth")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 5; }));
  RawSocket fifth = connect();
  ASSERT_TRUE(closedByServer(another)) << "the least recently active unproven peer";
  RawSocket sixth = connect();
  ASSERT_TRUE(closedByServer(fifth)) << "a silent one goes before one that spoke";
  EXPECT_EQ(server_->stats().connectionsEvicted, 5u);
  std::string ignored;
  EXPECT_TRUE(phone.readAvailable(ignored)) << "the confirmed phone is never evicted";
  EXPECT_TRUE(fourth.readAvailable(ignored));
  EXPECT_EQ(server_->openConnections(), 3u);
}

TEST_F(TcpServerTest, ATableOfConfirmedPhonesRefusesNewcomers) {
  config::Config c = tcpConfig(Zone::kPublic);
  c.publicZone.emplace();
  c.publicZone->listen.push_back(makeListener(TransportKind::kTcp, "127.0.0.1"));
  c.pbx.listen.clear();
  c.tcp.maxConnections = 1;
  c.tcp.reservedForPeers = 0;
  startServer(c);
  const base::Address at = tcpAddress(*server_, Zone::kPublic);
  RawSocket phone = RawSocket::tcpConnect(at);
  ASSERT_TRUE(phone.write(sipMessage("register")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  server_->confirmConnection(rec_.packets[0].connection);
  RawSocket refused = RawSocket::tcpConnect(at);
  ASSERT_TRUE(closedByServer(refused));
  EXPECT_EQ(server_->stats().connectionsRefused, 1u);
  EXPECT_EQ(server_->stats().connectionsEvicted, 0u);
}

TEST_F(TcpServerTest, PerPrefixBudgetRefusesTheRestOfA24) {
  if (!canBind("127.0.0.2") || !canBind("127.0.0.3")) GTEST_SKIP() << "needs 127.0.0.2-3";
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.maxConnectionsPerPrefix = 2;
  startServer(c);
  RawSocket a = connectClient("127.0.0.1");
  RawSocket b = connectClient("127.0.0.2");
  RawSocket refused = connectClient("127.0.0.3");
  ASSERT_TRUE(closedByServer(refused));
  EXPECT_EQ(server_->stats().connectionsAccepted, 2u);
  EXPECT_EQ(server_->stats().connectionsRefused, 1u);
}

TEST_F(TcpServerTest, ResponsesGoBackOnTheConnectionTheRequestCameOn) {
  startServer();
  RawSocket client = connectClient();
  ASSERT_TRUE(client.write(sipMessage("req")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  const Packet& request = rec_.packets[0];
  // The address is deliberately wrong: the connection id must win.
  server_->send({Zone::kPbx, TransportKind::kTcp, addr("127.0.0.1", 9), request.connection},
                sipMessage("resp"));
  std::string received;
  ASSERT_TRUE(runUntil(io_, [&] {
    client.readAvailable(received);
    return received.size() >= sipMessage("resp").size();
  }));
  EXPECT_EQ(received, sipMessage("resp"));
  EXPECT_EQ(server_->openConnections(), 1u);
  EXPECT_EQ(server_->stats().streamMessagesSent, 1u);
  EXPECT_TRUE(rec_.errors.empty());
}

TEST_F(TcpServerTest, ASlowReaderIsDisconnectedAndUnsentMessagesReported) {
  startServer(tcpConfig(Zone::kPbx), {.maxQueuedBytesPerConnection = 64 << 10});
  RawSocket client = connectClient();
  ASSERT_TRUE(client.write(sipMessage("req")));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.packets.size() == 1; }));
  const SendTarget back{Zone::kPbx, TransportKind::kTcp, rec_.packets[0].source,
                        rec_.packets[0].connection};
  // The client never reads: kernel buffers fill, then the queue, then the connection closes.
  const std::string chunk(16 << 10, 'z');
  int sent = 0;
  while (server_->openConnections() == 1 && sent < 4000) {
    server_->send(back, chunk);
    ++sent;
  }
  ASSERT_EQ(server_->openConnections(), 0u) << "after " << sent << " sends";
  ASSERT_TRUE(runUntil(io_, [&] { return !rec_.errors.empty(); }));
  runFor(io_, 10ms);
  EXPECT_GE(rec_.errors.size(), 4u) << "every queued message is reported";
  EXPECT_EQ(rec_.errors[0].first.connection, back.connection);
  EXPECT_NE(rec_.errors[0].second.find("write queue full"), std::string::npos)
      << rec_.errors[0].second;
  EXPECT_EQ(server_->stats().sendErrors, rec_.errors.size());
}

// Two managers: `a` (trunk zone) opens connections to `b` (pbx zone).
class TcpPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_unique<TransportManager>(io_, tcpConfig(Zone::kTrunk, aIp_),
                                            aRec_.packetHandler(), aRec_.errorHandler(),
                                            TransportOptions{.connectTimeout = 300ms});
    b_ = std::make_unique<TransportManager>(io_, tcpConfig(Zone::kPbx), bRec_.packetHandler(),
                                            bRec_.errorHandler());
    ASSERT_EQ(a_->start(), "");
    ASSERT_EQ(b_->start(), "");
  }
  SendTarget toB() const {
    return {Zone::kTrunk, TransportKind::kTcp, tcpAddress(*b_, Zone::kPbx), 0};
  }

  std::string aIp_ = "127.0.0.1";
  asio::io_context io_;
  Recorder aRec_, bRec_;
  std::unique_ptr<TransportManager> a_, b_;
};

TEST_F(TcpPairTest, OutboundConnectionIsOpenedOnceAndReused) {
  a_->send(toB(), sipMessage("one"));  // queued while connecting
  a_->send(toB(), sipMessage("two"));  // reuses the connecting connection
  EXPECT_EQ(a_->openConnections(), 1u);
  ASSERT_TRUE(runUntil(io_, [&] { return bRec_.packets.size() == 2; }));
  a_->send(toB(), sipMessage("three"));  // and the open one
  ASSERT_TRUE(runUntil(io_, [&] { return bRec_.packets.size() == 3; }));
  EXPECT_EQ(bRec_.packets[0].bytes, sipMessage("one"));
  EXPECT_EQ(bRec_.packets[1].bytes, sipMessage("two"));
  EXPECT_EQ(bRec_.packets[2].bytes, sipMessage("three"));
  EXPECT_EQ(bRec_.packets[0].connection, bRec_.packets[2].connection);
  EXPECT_EQ(a_->openConnections(), 1u);
  EXPECT_EQ(b_->stats().connectionsAccepted, 1u);
  EXPECT_EQ(a_->stats().streamMessagesSent, 3u);

  // b answers on its connection; a delivers it with the zone it sent into.
  const Packet& in = bRec_.packets[0];
  b_->send({Zone::kPbx, TransportKind::kTcp, in.source, in.connection}, sipMessage("answer"));
  ASSERT_TRUE(runUntil(io_, [&] { return aRec_.packets.size() == 1; }));
  const Packet& answer = aRec_.packets[0];
  EXPECT_EQ(answer.bytes, sipMessage("answer"));
  EXPECT_EQ(answer.zone, Zone::kTrunk);
  EXPECT_NE(answer.connection, 0u);
  EXPECT_EQ(answer.source, tcpAddress(*b_, Zone::kPbx));
  EXPECT_EQ(answer.local, tcpAddress(*a_, Zone::kTrunk)) << "reported as the zone's listener";
  EXPECT_TRUE(aRec_.errors.empty());
  EXPECT_TRUE(bRec_.errors.empty());

  // Sending by that connection id works too.
  a_->send({Zone::kTrunk, TransportKind::kTcp, toB().address, answer.connection},
           sipMessage("four"));
  ASSERT_TRUE(runUntil(io_, [&] { return bRec_.packets.size() == 4; }));
  EXPECT_EQ(a_->openConnections(), 1u);
}

TEST_F(TcpPairTest, AResponseWhoseConnectionIsGoneOpensANewOne) {
  a_->send(toB(), sipMessage("req"));
  ASSERT_TRUE(runUntil(io_, [&] { return bRec_.packets.size() == 1; }));
  const Packet in = bRec_.packets[0];
  a_->stop();  // the connection goes away ...
  ASSERT_TRUE(runUntil(io_, [&] { return b_->openConnections() == 0; }));
  ASSERT_EQ(a_->start(), "");
  // ... so b opens a new one to a's listener (RFC 3261 §18.2.2).
  b_->send({Zone::kPbx, TransportKind::kTcp, tcpAddress(*a_, Zone::kTrunk), in.connection},
           sipMessage("resp"));
  ASSERT_TRUE(runUntil(io_, [&] { return aRec_.packets.size() == 1; }));
  EXPECT_EQ(aRec_.packets[0].bytes, sipMessage("resp"));
  EXPECT_TRUE(bRec_.errors.empty());
}

TEST_F(TcpPairTest, ConnectFailureIsReportedForEveryQueuedMessage) {
  // A bound but not listening port refuses connections, and nobody else can take it meanwhile.
  RawSocket closedPort = RawSocket::tcpBound("127.0.0.1");
  const SendTarget target{Zone::kTrunk, TransportKind::kTcp, closedPort.local(), 0};
  a_->send(target, sipMessage("1"));
  a_->send(target, sipMessage("2"));
  EXPECT_TRUE(aRec_.errors.empty()) << "never reported from inside send()";
  ASSERT_TRUE(runUntil(io_, [&] { return aRec_.errors.size() == 2; }));
  for (const auto& [t, reason] : aRec_.errors) {
    EXPECT_EQ(t.address, target.address);
    EXPECT_NE(reason.find("refused"), std::string::npos) << reason;
  }
  EXPECT_EQ(a_->openConnections(), 0u);
  EXPECT_EQ(a_->stats().sendErrors, 2u);
}

TEST_F(TcpPairTest, ConnectTimeoutIsReported) {
  // A listener whose accept queue is full drops further SYNs, so connecting hangs.
  RawSocket full = RawSocket::tcpBound("127.0.0.1", 0);
  std::vector<RawSocket> fillers;
  for (int i = 0; i < 4; ++i) {
    RawSocket f(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    const base::Address to = full.local();
    ::connect(f.fd(), to.sockaddrPtr(), to.sockaddrLen());
    fillers.push_back(std::move(f));
  }
  pollfd last{fillers.back().fd(), POLLOUT, 0};
  if (::poll(&last, 1, 100) != 0) GTEST_SKIP() << "this kernel completes connects to a full queue";
  a_->send({Zone::kTrunk, TransportKind::kTcp, full.local(), 0}, sipMessage("t"));
  ASSERT_TRUE(runUntil(
      io_, [&] { return aRec_.errors.size() == 1; }, 3000ms));
  EXPECT_NE(aRec_.errors[0].second.find("timed out"), std::string::npos) << aRec_.errors[0].second;
  EXPECT_EQ(a_->openConnections(), 0u);
}

TEST_F(TcpPairTest, DestroyingTheManagerSilencesPendingReports) {
  RawSocket closedPort = RawSocket::tcpBound("127.0.0.1");
  a_->send({Zone::kTrunk, TransportKind::kTcp, closedPort.local(), 0}, sipMessage("x"));
  a_.reset();
  runFor(io_, 50ms);  // queued handlers run against closed connections only
  EXPECT_TRUE(aRec_.errors.empty());
}

class TcpPairFromOtherIpTest : public TcpPairTest {
 protected:
  void SetUp() override {
    if (!canBind("127.0.0.2")) GTEST_SKIP() << "127.0.0.2 is not bindable here";
    aIp_ = "127.0.0.2";
    TcpPairTest::SetUp();
  }
};

TEST_F(TcpPairFromOtherIpTest, OutboundConnectionsLeaveFromTheZoneListenerAddress) {
  a_->send(toB(), sipMessage("from"));
  ASSERT_TRUE(runUntil(io_, [&] { return bRec_.packets.size() == 1; }));
  EXPECT_EQ(bRec_.packets[0].source.ip(), "127.0.0.2");
}

// Two workers: each binds the same port (SO_REUSEPORT) and owns what it accepts; the ids name
// the owner and the caps count both workers' connections.
TEST(TcpWorkersTest, EachWorkerAcceptsOnTheSharedPortAndTheCapsSpanThem) {
  asio::io_context io;
  Recorder rec0, rec1;
  config::Config c = tcpConfig(Zone::kPbx);
  c.tcp.maxConnections = 12;
  c.tcp.maxConnectionsPerSource = 0;
  TransportManager first(io, c, rec0.packetHandler(), rec0.errorHandler(),
                         TransportOptions{.worker = 0, .shareStreamPorts = true});
  ASSERT_EQ(first.start(), "");
  const base::Address shared = tcpAddress(first, Zone::kPbx);
  c.pbx.listen[0] = makeListener(TransportKind::kTcp, "127.0.0.1", shared.port());
  TransportManager second(io, c, rec1.packetHandler(), rec1.errorHandler(),
                          TransportOptions{.worker = 1, .shareStreamPorts = true});
  second.shareDirectory(first.directory());
  ASSERT_EQ(second.start(), "") << "the second worker binds the same port";

  std::vector<RawSocket> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(RawSocket::tcpConnect(shared));
    ASSERT_TRUE(clients.back().valid());
  }
  const auto settled = [&] {
    const auto& s0 = first.stats();
    const auto& s1 = second.stats();
    return s0.connectionsAccepted + s0.connectionsRefused + s1.connectionsAccepted +
               s1.connectionsRefused ==
           16;
  };
  ASSERT_TRUE(runUntil(io, settled));
  EXPECT_EQ(first.openConnections() + second.openConnections(), 12u) << "one cap for both";
  EXPECT_EQ(first.directory()->size(), 12u);
  // The kernel spreads 16 connections over both listeners (all on one: odds 2^-15).
  EXPECT_GT(first.stats().connectionsAccepted, 0u);
  EXPECT_GT(second.stats().connectionsAccepted, 0u);

  for (RawSocket& client : clients) client.write(sipMessage("hello"));
  ASSERT_TRUE(runUntil(io, [&] { return rec0.packets.size() + rec1.packets.size() == 12; }));
  for (const Packet& p : rec0.packets) EXPECT_EQ(connectionOwner(p.connection), 0u);
  for (const Packet& p : rec1.packets) EXPECT_EQ(connectionOwner(p.connection), 1u);

  // A send that names no connection finds the owner of the one to that address.
  ASSERT_FALSE(rec1.packets.empty());
  SendTarget reply{Zone::kPbx, TransportKind::kTcp, rec1.packets[0].source, 0};
  EXPECT_EQ(first.streamSender(reply), 1u);
  EXPECT_EQ(reply.connection, rec1.packets[0].connection);
  SendTarget fresh{Zone::kPbx, TransportKind::kTcp, addr("127.0.0.1", 9), 0};
  EXPECT_EQ(second.streamSender(fresh), 0u) << "worker 0 opens new connections";
  EXPECT_EQ(fresh.connection, 0u);

  second.stop();
  EXPECT_EQ(first.directory()->size(), first.openConnections()) << "a stopped worker leaves";
}

}  // namespace
}  // namespace tg::transport
