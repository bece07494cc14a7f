// The top-level `tls:` and providers' `tls:`: defaults, file checks with paths, and the
// warnings and errors that keep signalling encrypted.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../transport/tls_test_certs.h"
#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

using tls_testing::TestPki;

class TlsConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(TestPki::create()); }
  static void TearDownTestSuite() {
    pki_->remove();
    delete pki_;
  }
  void SetUp() override { ASSERT_TRUE(pki_->ok); }

  // Written next to the PKI so that relative paths resolve against it.
  LoadResult loadFile(const std::string& yaml) const {
    const std::string path = (pki_->dir / "trunkguard.yaml").string();
    std::ofstream(path) << yaml;
    return loadConfigFile(path);
  }

  // Lines 1-6; a provider's `tls:` and the top-level `tls:` are appended by the tests.
  static std::string base(const std::string& provider) {
    return "pbx:\n"
           "  listen: [ \"udp://127.0.0.1:5070\" ]\n"
           "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
           "trunk:\n"
           "  listen: [ \"tls://127.0.0.1:5061\" ]\n"
           "  providers:\n" +
           provider;
  }

  static TestPki* pki_;
};

TestPki* TlsConfigTest::pki_ = nullptr;

// A private key handed in by systemd (LoadCredential=) is read from $CREDENTIALS_DIRECTORY, so
// it need not be readable by the service user on disk (docs/operations.md).
TEST_F(TlsConfigTest, PrivateKeyFromASystemdCredential) {
  const std::string yaml =
      base("    - name: carrier-a\n      host: 192.0.2.1\n") +
      "tls:\n  certificate: server.pem\n  private_key: credential:server.key\n";
  ::setenv("CREDENTIALS_DIRECTORY", pki_->dir.c_str(), 1);
  const LoadResult r = loadFile(yaml);
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->tls.privateKey, pki_->serverKey);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const LoadResult unset = loadFile(yaml);
  EXPECT_TRUE(hasError(unset, 11, "tls.private_key", "CREDENTIALS_DIRECTORY"));
}

TEST_F(TlsConfigTest, FullSectionWithRelativePaths) {
  const LoadResult r = loadFile(base(R"(    - name: carrier-a
      host: 192.0.2.1
      tls:
        ca_file: ca.pem
        server_name: sip.carrier.example
        client_certificate: client.pem
        client_private_key: client.key
tls:
  certificate: server.pem
  private_key: server.key
  ca_file: ca.pem
  handshake_timeout_ms: 2500
  min_version: "1.3"
  ciphers: ECDHE-RSA-AES128-GCM-SHA256
)"));
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.tls.certificate, pki_->serverCert);
  EXPECT_EQ(c.tls.privateKey, pki_->serverKey);
  EXPECT_EQ(c.tls.caFile, pki_->caCert);
  EXPECT_EQ(c.tls.handshakeTimeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.tls.minVersion, TlsVersion::k13);
  EXPECT_EQ(c.tls.ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  const Provider& p = c.trunk.providers[0];
  EXPECT_EQ(p.target.transport, TransportKind::kTls);  // the default
  EXPECT_EQ(p.target.port, 5061);
  EXPECT_EQ(p.tls.caFile, pki_->caCert);
  EXPECT_EQ(p.tls.serverName, "sip.carrier.example");
  EXPECT_TRUE(p.tls.verify);
  EXPECT_EQ(p.tls.clientCertificate, pki_->clientCert);
  EXPECT_EQ(p.tls.clientPrivateKey, pki_->clientKey);
  EXPECT_EQ(expectedServerName(p.tls, p.target.host), "sip.carrier.example");
  EXPECT_EQ(nonPolicyWarnings(r), 0u) << dump(r);
}

TEST_F(TlsConfigTest, Defaults) {
  const LoadResult r = loadFile(base("    - { name: a, host: 192.0.2.1 }\n") +
                                "tls: { certificate: server.pem, private_key: server.key }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->tls.handshakeTimeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.config->tls.minVersion, TlsVersion::k12);
  EXPECT_TRUE(r.config->tls.ciphers.empty());
  EXPECT_TRUE(r.config->tls.caFile.empty());
  const Provider& p = r.config->trunk.providers[0];
  EXPECT_TRUE(p.tls.caFile.empty());  // the system store
  EXPECT_EQ(expectedServerName(p.tls, p.target.host), "192.0.2.1");
}

// The handshake rates (transport/connection_directory.h) have keys of their own; 0 turns one
// off, anything else not a count is refused with its line.
TEST_F(TlsConfigTest, HandshakeRates) {
  const std::string provider = "    - { name: a, host: 192.0.2.1 }\n";
  const std::string files = "tls:\n  certificate: server.pem\n  private_key: server.key\n";
  const LoadResult defaults = loadFile(base(provider) + files);
  ASSERT_TRUE(defaults.ok()) << dump(defaults);
  EXPECT_EQ(defaults.config->tls.maxHandshakesPerSourcePerSecond, 20u);
  EXPECT_EQ(defaults.config->tls.maxHandshakesPerPrefixPerSecond, 200u);

  const LoadResult set = loadFile(base(provider) + files +
                                  "  max_handshakes_per_source_per_s: 5\n"
                                  "  max_handshakes_per_prefix_per_s: 0\n");
  ASSERT_TRUE(set.ok()) << dump(set);
  EXPECT_EQ(set.config->tls.maxHandshakesPerSourcePerSecond, 5u);
  EXPECT_EQ(set.config->tls.maxHandshakesPerPrefixPerSecond, 0u) << "0: no limit";

  const LoadResult bad = loadFile(base(provider) + files +
                                  "  max_handshakes_per_source_per_s: -1\n"
                                  "  max_handshakes_per_prefix_per_s: lots\n");
  EXPECT_TRUE(hasError(bad, 11, "tls.max_handshakes_per_source_per_s", "out of range"))
      << dump(bad);
  EXPECT_TRUE(hasError(bad, 12, "tls.max_handshakes_per_prefix_per_s", "")) << dump(bad);
}

TEST_F(TlsConfigTest, TlsListenerWithoutCertificateSaysWhatToWrite) {
  const LoadResult r = loadFile(base("    - { name: a, host: 192.0.2.1 }\n"));
  EXPECT_TRUE(hasError(r, 5, "trunk.listen[0]",
                       "'tls://127.0.0.1:5061' needs a certificate; add a top-level section tls: "
                       "{ certificate: /etc/trunkguard/tls/cert.pem, private_key: "
                       "/etc/trunkguard/tls/key.pem }"));
  const LoadResult onlyCert =
      loadFile(base("    - { name: a, host: 192.0.2.1 }\n") + "tls:\n  certificate: server.pem\n");
  EXPECT_TRUE(hasError(onlyCert, 8, "tls.private_key", "missing; tls.certificate and"));
}

TEST_F(TlsConfigTest, FilesMustExistAndLoad) {
  std::ofstream(pki_->dir / "junk.pem") << "not a certificate\n";
  const LoadResult r = loadFile(base("    - { name: a, host: 192.0.2.1 }\n") + R"(tls:
  certificate: nope.pem
  private_key: junk.pem
  ca_file: junk.pem
)");
  const std::string dir = pki_->dir.string();
  EXPECT_TRUE(hasError(r, 9, "tls.certificate", "'" + dir + "/nope.pem' does not exist"));
  EXPECT_TRUE(hasError(r, 10, "tls.private_key",
                       "cannot load a PEM private key from '" + dir + "/junk.pem'"));
  EXPECT_TRUE(
      hasError(r, 11, "tls.ca_file", "cannot load CA certificates from '" + dir + "/junk.pem'"));
  // The listener is not blamed a second time for the same files.
  for (const auto& e : r.errors) EXPECT_NE(e.keyPath, "trunk.listen[0]") << e.toString();
}

TEST_F(TlsConfigTest, KeyMustMatchTheCertificate) {
  const LoadResult r = loadFile(base("    - { name: a, host: 192.0.2.1 }\n") +
                                "tls: { certificate: server.pem, private_key: other.key }\n");
  EXPECT_TRUE(hasError(r, 8, "tls.private_key", "is not the key of the certificate in"));
}

TEST_F(TlsConfigTest, KeyMaterialNeverAppearsInMessages) {
  // A certificate given as the key: the message names the path, never the file's content.
  const LoadResult r = loadFile(base("    - { name: a, host: 192.0.2.1 }\n") +
                                "tls: { certificate: server.pem, private_key: server.pem }\n");
  ASSERT_FALSE(r.ok());
  for (const auto& e : r.errors) {
    EXPECT_EQ(e.message.find("BEGIN"), std::string::npos) << e.toString();
    EXPECT_EQ(e.message.find("PRIVATE"), std::string::npos) << e.toString();
  }
}

TEST_F(TlsConfigTest, BadValues) {
  const LoadResult r = loadFile(base(R"(    - name: a
      host: 192.0.2.1
      tls: { server_name: "bad name!", client_certificate: client.pem, verfy: false }
tls:
  certificate: server.pem
  private_key: server.key
  min_version: "1.1"
  ciphers: NOT-A-CIPHER
  handshake_timeout_ms: 0
)"));
  EXPECT_TRUE(
      hasError(r, 9, "trunk.providers[0].tls", "unknown key 'verfy'; did you mean 'verify'?"));
  EXPECT_TRUE(hasError(r, 9, "trunk.providers[0].tls.server_name", "is not a host name"));
  EXPECT_TRUE(hasError(r, 9, "trunk.providers[0].tls.client_private_key",
                       "missing; client_certificate and client_private_key go together"));
  EXPECT_TRUE(hasError(r, 13, "tls.min_version", "'1.1' is not supported; use \"1.2\" or \"1.3\""));
  EXPECT_TRUE(hasError(r, 14, "tls.ciphers", "names no cipher OpenSSL knows"));
  EXPECT_TRUE(hasError(r, 15, "tls.handshake_timeout_ms", "out of range"));
}

TEST_F(TlsConfigTest, VerifyOffWarnsOnEveryLoad) {
  const LoadResult r = loadFile(base(R"(    - name: a
      host: 192.0.2.1
      tls: { verify: false }
tls: { certificate: server.pem, private_key: server.key }
)"));
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->trunk.providers[0].tls.verify);
  EXPECT_TRUE(hasWarning(r, "provider 'a': certificate verification is OFF"));
}

TEST_F(TlsConfigTest, PlaintextProviderNeedsTheOptIn) {
  const LoadResult refused =
      loadFile(base("    - { name: a, host: 192.0.2.1, transport: tcp }\n") +
               "tls: { certificate: server.pem, private_key: server.key }\n");
  EXPECT_TRUE(hasError(refused, 7, "trunk.providers[0].transport",
                       "provider 'a' uses plaintext transport tcp; set transport: tls"));
  const LoadResult allowed =
      loadFile(base("    - { name: a, host: 192.0.2.1, transport: tcp, allow_plaintext: true }\n") +
               "tls: { certificate: server.pem, private_key: server.key }\n");
  ASSERT_TRUE(allowed.ok()) << dump(allowed);
  EXPECT_TRUE(hasWarning(allowed, "provider 'a' signalling is unencrypted"));
}

TEST_F(TlsConfigTest, TlsProviderWithoutTlsListenerIsAWarning) {
  const LoadResult r = loadFile(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1 } ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(hasWarning(r, "the trunk zone has no tls:// listener"));
}

TEST_F(TlsConfigTest, PbxOverTls) {
  const LoadResult r = loadFile(R"(pbx:
  listen: [ "tls://127.0.0.1:5071" ]
  targets: [ { host: 127.0.0.1, port: 5081, transport: tls } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
tls: { certificate: server.pem, private_key: server.key, ca_file: ca.pem }
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->pbx.targets[0].transport, TransportKind::kTls);
}

}  // namespace
}  // namespace tg::config
