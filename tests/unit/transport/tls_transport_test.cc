// TransportManager over TLS: handshakes on loopback with a test PKI, certificate and host name
// checks of providers, handshake timeouts and garbage, caps, and certificate reload.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "tls_test_certs.h"
#include "transport/transport_manager.h"
#include "transport_test_util.h"

namespace tg::transport {
namespace {

using namespace testing;
using tls_testing::TestPki;

class TlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(TestPki::create()); }
  static void TearDownTestSuite() {
    pki_->remove();
    delete pki_;
  }
  void SetUp() override { ASSERT_TRUE(pki_->ok) << "openssl CLI failed to make the test PKI"; }

  // A trunk-zone tls:// listener presenting `cert`.
  config::Config serverConfig(const std::string& cert, const std::string& key) const {
    config::Config c;
    c.trunk.listen.push_back(makeListener(TransportKind::kTls, "127.0.0.1"));
    c.tls.certificate = cert;
    c.tls.privateKey = key;
    return c;
  }
  void startServer(const config::Config& c, TransportOptions options = {}) {
    server_ = std::make_unique<TransportManager>(io_, c, serverRec_.packetHandler(),
                                                 serverRec_.errorHandler(), options);
    ASSERT_EQ(server_->start(), "");
  }
  base::Address serverAddress() const {
    return server_->localEndpoint(Zone::kTrunk, TransportKind::kTls)->address;
  }

  // A manager whose one provider is the server, checked with `tls`.
  std::unique_ptr<TransportManager> makeClient(Recorder& rec, config::ProviderTls tls) {
    config::Config c;
    config::Provider p;
    p.name = "carrier-a";
    p.target = {serverAddress().ip(), serverAddress().port(), TransportKind::kTls};
    p.tls = std::move(tls);
    c.trunk.providers.push_back(p);
    auto m = std::make_unique<TransportManager>(io_, c, rec.packetHandler(), rec.errorHandler());
    EXPECT_EQ(m->start(), "");
    return m;
  }
  config::ProviderTls trustingCa() const {
    config::ProviderTls t;
    t.caFile = pki_->caCert;
    return t;
  }
  SendTarget toServer() const { return {Zone::kTrunk, TransportKind::kTls, serverAddress(), 0}; }

  static TestPki* pki_;
  asio::io_context io_;
  Recorder serverRec_;
  std::unique_ptr<TransportManager> server_;
};

TestPki* TlsTransportTest::pki_ = nullptr;

TEST_F(TlsTransportTest, MessagesBothWaysOverOneVerifiedConnection) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  client->send(toServer(), sipMessage("a"));
  client->send(toServer(), sipMessage("b", "body"));  // queued behind the handshake
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 2; }))
      << (clientRec.errors.empty() ? "" : clientRec.errors[0].second);
  const Packet p = serverRec_.packets[0];  // a copy: the vector grows below
  EXPECT_EQ(p.bytes, sipMessage("a"));
  EXPECT_EQ(serverRec_.packets[1].bytes, sipMessage("b", "body"));
  EXPECT_EQ(p.transport, TransportKind::kTls);
  EXPECT_EQ(p.zone, Zone::kTrunk);
  EXPECT_NE(p.connection, 0u);

  // The reply goes back on the connection the request came on (RFC 3261 §18.2.2).
  server_->send({Zone::kTrunk, TransportKind::kTls, p.source, p.connection}, sipMessage("r"));
  ASSERT_TRUE(runUntil(io_, [&] { return clientRec.packets.size() == 1; }));
  EXPECT_EQ(clientRec.packets[0].bytes, sipMessage("r"));
  EXPECT_EQ(clientRec.packets[0].transport, TransportKind::kTls);

  // Reuse: a later request to the provider takes the same connection (§18.1.1).
  client->send(toServer(), sipMessage("c"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 3; }));
  EXPECT_EQ(serverRec_.packets[2].connection, p.connection);
  EXPECT_EQ(client->openConnections(), 1u);
  EXPECT_EQ(client->stats().tlsHandshakes, 1u);
  EXPECT_EQ(server_->stats().tlsHandshakes, 1u);
  EXPECT_TRUE(clientRec.errors.empty());
}

TEST_F(TlsTransportTest, BurstLargerThanSocketBuffersArrivesInOrder) {
  // 3 MB at once: SSL_write meets a full socket, waits for it and resumes (partial writes).
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  constexpr int kMessages = 100;
  for (int i = 0; i < kMessages; ++i) {
    client->send(toServer(), sipMessage(std::to_string(i), std::string(30000, 'a' + i % 26)));
  }
  ASSERT_TRUE(runUntil(
      io_, [&] { return serverRec_.packets.size() == kMessages; }, 10000ms))
      << serverRec_.packets.size();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(serverRec_.packets[i].bytes,
              sipMessage(std::to_string(i), std::string(30000, 'a' + i % 26)));
  }
  EXPECT_TRUE(clientRec.errors.empty());
}

TEST_F(TlsTransportTest, KeepAlivePingIsAnsweredInsideTls) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  client->send(toServer(), "\r\n\r\n");  // RFC 5626 ping
  ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().keepAlivePongs == 1; }));
  EXPECT_TRUE(serverRec_.packets.empty());
}

TEST_F(TlsTransportTest, WrongHostNameIsRefused) {
  startServer(serverConfig(pki_->otherHostCert, pki_->otherHostKey));
  {
    Recorder clientRec;  // checked against the provider's IP: the certificate lacks it
    auto client = makeClient(clientRec, trustingCa());
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return clientRec.errors.size() == 1; }));
    EXPECT_NE(clientRec.errors[0].second.find("certificate verify failed: IP address mismatch"),
              std::string::npos)
        << clientRec.errors[0].second;
    EXPECT_EQ(clientRec.errors[0].first.address, serverAddress());
    EXPECT_EQ(client->stats().tlsVerifyFailures, 1u);
  }
  {
    Recorder clientRec;  // checked against a configured name the certificate does not carry
    config::ProviderTls tls = trustingCa();
    tls.serverName = "localhost";
    auto client = makeClient(clientRec, tls);
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return clientRec.errors.size() == 1; }));
    EXPECT_NE(clientRec.errors[0].second.find("certificate verify failed: hostname mismatch"),
              std::string::npos)
        << clientRec.errors[0].second;
  }
  {
    Recorder clientRec;  // the name it does carry
    config::ProviderTls tls = trustingCa();
    tls.serverName = "other.example";
    auto client = makeClient(clientRec, tls);
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
    EXPECT_TRUE(clientRec.errors.empty());
  }
  EXPECT_TRUE(runUntil(io_, [&] { return server_->stats().tlsHandshakeFailures == 2; }));
}

TEST_F(TlsTransportTest, AddressFoundByDnsIsCheckedAsItsProvider) {
  startServer(serverConfig(pki_->otherHostCert, pki_->otherHostKey));
  config::Config c;
  config::Provider p;
  p.name = "carrier-dns";
  p.target = {"other.example", 5061, TransportKind::kTls};  // a name: no address of its own
  p.tls = trustingCa();
  c.trunk.providers.push_back(p);
  Recorder clientRec;
  TransportManager client(io_, c, clientRec.packetHandler(), clientRec.errorHandler());
  ASSERT_EQ(client.start(), "");
  // Unknown address: the system store and the IP, which the test CA's certificate fails.
  client.send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(io_, [&] { return clientRec.errors.size() == 1; }));
  EXPECT_NE(clientRec.errors[0].second.find("certificate verify failed"), std::string::npos);
  // Once the resolver says whose address it is, the provider's CA and name apply.
  client.bindTlsPeer(serverAddress(), "carrier-dns");
  client.send(toServer(), sipMessage("b"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
  EXPECT_EQ(serverRec_.packets[0].bytes, sipMessage("b"));
}

TEST_F(TlsTransportTest, SelfSignedIsRefusedUnlessItsCaIsConfigured) {
  startServer(serverConfig(pki_->selfSignedCert, pki_->selfSignedKey));
  {
    Recorder clientRec;
    auto client = makeClient(clientRec, trustingCa());
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return clientRec.errors.size() == 1; }));
    EXPECT_NE(clientRec.errors[0].second.find("certificate verify failed: self-signed"),
              std::string::npos)
        << clientRec.errors[0].second;
  }
  {
    Recorder clientRec;
    config::ProviderTls tls;
    tls.caFile = pki_->selfSignedCert;
    auto client = makeClient(clientRec, tls);
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
    EXPECT_TRUE(clientRec.errors.empty());
  }
  EXPECT_TRUE(serverRec_.packets.size() == 1) << "nothing arrived before a verified handshake";
}

TEST_F(TlsTransportTest, VerifyOffAcceptsAnyCertificate) {
  startServer(serverConfig(pki_->selfSignedCert, pki_->selfSignedKey));
  Recorder clientRec;
  config::ProviderTls tls;
  tls.verify = false;
  auto client = makeClient(clientRec, tls);
  client->send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
}

TEST_F(TlsTransportTest, SilentClientTimesOutWithoutBlockingOthers) {
  TransportOptions options;
  // Long enough that a real handshake under ASan on a loaded machine ends well before it.
  options.tlsHandshakeTimeout = 1500ms;
  startServer(serverConfig(pki_->serverCert, pki_->serverKey), options);
  RawSocket silent = RawSocket::tcpConnect(serverAddress());
  ASSERT_TRUE(silent.valid());
  ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().connectionsAccepted == 1; }));

  // Meanwhile a real client completes its handshake.
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  client->send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(
      io_, [&] { return serverRec_.packets.size() == 1; }, 1000ms));
  EXPECT_EQ(server_->stats().tlsHandshakeTimeouts, 0u);

  std::string ignored;
  ASSERT_TRUE(runUntil(
      io_, [&] { return !silent.readAvailable(ignored); }, 5000ms));
  EXPECT_EQ(server_->stats().tlsHandshakeTimeouts, 1u);
  EXPECT_EQ(server_->openConnections(), 1u);
}

TEST_F(TlsTransportTest, GarbageInsteadOfAHandshakeIsCountedAndClosed) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  RawSocket raw = RawSocket::tcpConnect(serverAddress());
  ASSERT_TRUE(raw.valid());
  ASSERT_TRUE(raw.write(sipMessage("plaintext")));  // SIP in the clear on a TLS port
  std::string reply;
  ASSERT_TRUE(runUntil(io_, [&] { return !raw.readAvailable(reply); }));
  EXPECT_EQ(server_->stats().tlsHandshakeFailures, 1u);
  EXPECT_TRUE(serverRec_.packets.empty());
  EXPECT_EQ(server_->openConnections(), 0u);
  EXPECT_EQ(reply.find("SIP/2.0"), std::string::npos);
}

TEST_F(TlsTransportTest, GarbageAndStalledHandshakesAreReportedAsOffences) {
  TransportOptions options;
  options.tlsHandshakeTimeout = 200ms;
  startServer(serverConfig(pki_->serverCert, pki_->serverKey), options);
  std::vector<StreamOffence> seen;
  server_->setOffenceHandler(
      [&](Zone, const base::Address&, StreamOffence offence) { seen.push_back(offence); });
  RawSocket garbage = RawSocket::tcpConnect(serverAddress());
  ASSERT_TRUE(garbage.write(sipMessage("plaintext")));
  RawSocket silent = RawSocket::tcpConnect(serverAddress());
  ASSERT_TRUE(runUntil(io_, [&] { return seen.size() == 2; }));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen[0], StreamOffence::kTlsHandshakeFailed);
  EXPECT_EQ(seen[1], StreamOffence::kTlsHandshakeTimeout);
}

TEST_F(TlsTransportTest, HandshakeRateIsRefusedAtAcceptBeforeAnyHandshake) {
  base::ManualClock clock;  // the rate window does not move unless the test moves it
  TransportOptions options;
  options.clock = &clock;
  options.maxTlsHandshakesPerSourcePerSecond = 2;
  startServer(serverConfig(pki_->serverCert, pki_->serverKey), options);
  std::vector<RawSocket> sockets;
  for (int i = 0; i < 3; ++i) sockets.push_back(RawSocket::tcpConnect(serverAddress()));
  ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().connectionsRefused == 1; }));
  EXPECT_EQ(server_->stats().connectionsAccepted, 2u);
  clock.advance(1s);
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  client->send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }))
      << "the next second has room again";
}

// A blocking OpenSSL client on its own thread (the server runs on the test's io_context):
// handshakes, sends a keep-alive ping and reads the pong (so TLS 1.3 tickets have arrived),
// and keeps the session for the next connection.
struct ResumingClient {
  bool handshook = false;
  bool resumed = false;
  SSL_SESSION* session = nullptr;  // owned; the caller frees it

  static ResumingClient run(const base::Address& to, const std::string& ca, SSL_SESSION* resume) {
    ResumingClient out;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    SSL* ssl = SSL_new(ctx);
    if (::connect(fd, to.sockaddrPtr(), to.sockaddrLen()) == 0 && SSL_set_fd(ssl, fd) == 1 &&
        (resume == nullptr || SSL_set_session(ssl, resume) == 1) && SSL_connect(ssl) == 1) {
      out.handshook = true;
      out.resumed = SSL_session_reused(ssl) == 1;
      char pong[2];
      if (SSL_write(ssl, "\r\n\r\n", 4) == 4 && SSL_read(ssl, pong, 2) == 2) {
        out.session = SSL_get1_session(ssl);
      }
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
    return out;
  }
};

TEST_F(TlsTransportTest, AReconnectResumesItsSessionOnAnotherWorkersListener) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  // A second worker: its own listener and SSL contexts, the process's ticket keys.
  Recorder otherRec;
  TransportManager other(io_, serverConfig(pki_->serverCert, pki_->serverKey),
                         otherRec.packetHandler(), otherRec.errorHandler());
  ASSERT_EQ(other.start(), "");
  const base::Address otherAddress =
      other.localEndpoint(Zone::kTrunk, TransportKind::kTls)->address;

  const auto runClient = [&](const base::Address& to, SSL_SESSION* resume) {
    std::atomic<bool> done{false};
    ResumingClient result;
    std::thread client([&] {
      result = ResumingClient::run(to, pki_->caCert, resume);
      done = true;
    });
    runUntil(io_, [&] { return done.load(); });
    client.join();
    return result;
  };
  const ResumingClient first = runClient(serverAddress(), nullptr);
  ASSERT_TRUE(first.handshook);
  ASSERT_NE(first.session, nullptr) << "the server issued no session ticket";
  EXPECT_FALSE(first.resumed);
  const ResumingClient again = runClient(otherAddress, first.session);
  ASSERT_TRUE(again.handshook);
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(other.tlsResumed(), 1u);
  EXPECT_EQ(server_->tlsResumed(), 0u);
  SSL_SESSION_free(first.session);
  if (again.session != nullptr) SSL_SESSION_free(again.session);
  other.stop();
}

TEST_F(TlsTransportTest, PerSourceCapCountsUnfinishedHandshakes) {
  config::Config c = serverConfig(pki_->serverCert, pki_->serverKey);
  c.tcp.maxConnectionsPerSource = 2;
  startServer(c);
  RawSocket a = RawSocket::tcpConnect(serverAddress());
  RawSocket b = RawSocket::tcpConnect(serverAddress());
  RawSocket over = RawSocket::tcpConnect(serverAddress());
  ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().connectionsRefused == 1; }));
  EXPECT_EQ(server_->stats().connectionsAccepted, 2u);
}

TEST_F(TlsTransportTest, FilteredSourcesAreResetBeforeAnyHandshake) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  std::vector<std::pair<Zone, base::Address>> asked;
  bool admit = false;
  server_->setConnectionFilter([&](Zone zone, const base::Address& source) {
    asked.emplace_back(zone, source);
    return admit;
  });
  Recorder clientRec;
  auto client = makeClient(clientRec, trustingCa());
  client->send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().connectionsFiltered == 1; }));
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, Zone::kTrunk);
  EXPECT_TRUE(asked[0].second.sameIp(serverAddress()));
  runFor(io_, 50ms);
  EXPECT_EQ(server_->stats().tlsHandshakes, 0u) << "no handshake for a filtered source";
  EXPECT_EQ(server_->stats().connectionsAccepted, 0u);
  EXPECT_TRUE(serverRec_.packets.empty());

  // Admitted again: the next connection gets its handshake and its message through.
  admit = true;
  Recorder laterRec;
  auto later = makeClient(laterRec, trustingCa());
  later->send(toServer(), sipMessage("b"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
  EXPECT_EQ(server_->stats().connectionsAccepted, 1u);
}

TEST_F(TlsTransportTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  config::Config c = serverConfig(pki_->serverCert, pki_->serverKey);
  c.tls.caFile = pki_->caCert;
  startServer(c);
  {
    Recorder clientRec;
    auto client = makeClient(clientRec, trustingCa());
    client->send(toServer(), sipMessage("a"));
    ASSERT_TRUE(runUntil(io_, [&] { return server_->stats().tlsHandshakeFailures == 1; }));
    runFor(io_, 50ms);
    EXPECT_TRUE(serverRec_.packets.empty());
  }
  Recorder clientRec;
  config::ProviderTls tls = trustingCa();
  tls.clientCertificate = pki_->clientCert;
  tls.clientPrivateKey = pki_->clientKey;
  auto client = makeClient(clientRec, tls);
  client->send(toServer(), sipMessage("b"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));
  EXPECT_EQ(serverRec_.packets[0].bytes, sipMessage("b"));
}

TEST_F(TlsTransportTest, ReloadChangesNewHandshakesAndKeepsOpenConnections) {
  startServer(serverConfig(pki_->serverCert, pki_->serverKey));
  Recorder firstRec;
  auto first = makeClient(firstRec, trustingCa());
  first->send(toServer(), sipMessage("a"));
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 1; }));

  // A broken file is refused and the running certificate stays.
  config::Config broken = serverConfig(pki_->serverCert, pki_->dir.string() + "/missing.key");
  EXPECT_NE(server_->reloadTls(broken).find("missing.key"), std::string::npos);

  EXPECT_EQ(server_->reloadTls(serverConfig(pki_->otherHostCert, pki_->otherHostKey)), "");
  first->send(toServer(), sipMessage("b"));  // the open connection carries on
  ASSERT_TRUE(runUntil(io_, [&] { return serverRec_.packets.size() == 2; }));

  Recorder secondRec;  // a new handshake sees the new certificate (no 127.0.0.1 in it)
  auto second = makeClient(secondRec, trustingCa());
  second->send(toServer(), sipMessage("c"));
  ASSERT_TRUE(runUntil(io_, [&] { return secondRec.errors.size() == 1; }));
  EXPECT_NE(secondRec.errors[0].second.find("IP address mismatch"), std::string::npos);
  EXPECT_TRUE(firstRec.errors.empty());
}

}  // namespace
}  // namespace tg::transport
