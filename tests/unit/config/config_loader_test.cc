#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config_test_util.h"

namespace tg::config {
namespace {

// The smallest valid configuration; tests append or replace lines to break one thing at a time.
// Line numbers below refer to this layout.
constexpr const char* kMinimal = kMinimalConfig;

LoadResult load(const std::string& yaml) { return loadConfigString(yaml, "test.yaml"); }

// kMinimal with its provider block replaced by `providers` (lines from 6 on).
std::string withProviders(const std::string& providers) {
  return "pbx:\n"
         "  listen: [ \"udp://127.0.0.1:5070\" ]\n"
         "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
         "trunk:\n"
         "  listen: [ \"udp://127.0.0.1:5060\" ]\n"
         "  providers:\n" +
         providers;
}

TEST(ConfigLoader, ExampleFileLoads) {
  const std::string path = std::string(TG_SOURCE_DIR) + "/config/trunkguard.example.yaml";
  const LoadResult r = loadConfigFile(path);
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.sourcePath, path);
  EXPECT_EQ(c.workers, 1);
  ASSERT_EQ(c.pbx.listen.size(), 1u);
  EXPECT_EQ(c.pbx.listen[0].address.toString(), "127.0.0.1:5070");
  EXPECT_EQ(c.pbx.listen[0].transport, TransportKind::kUdp);
  ASSERT_EQ(c.pbx.targets.size(), 1u);
  EXPECT_EQ(c.pbx.targets[0].host, "127.0.0.1");
  EXPECT_EQ(c.pbx.targets[0].port, 5080);
  ASSERT_EQ(c.trunk.listen.size(), 1u);
  EXPECT_EQ(c.trunk.listen[0].address.toString(), "127.0.0.1:5060");
  ASSERT_EQ(c.trunk.providers.size(), 1u);
  const Provider& p = c.trunk.providers[0];
  EXPECT_EQ(p.name, "example-carrier");
  EXPECT_EQ(p.target.host, "127.0.0.1");
  EXPECT_EQ(p.target.port, 5090);
  EXPECT_EQ(p.target.transport, TransportKind::kUdp);
  EXPECT_TRUE(p.allowPlaintext);
  EXPECT_EQ(c.health.interval, std::chrono::milliseconds(10000));
  ASSERT_TRUE(c.publicZone.has_value());
  EXPECT_TRUE(c.publicZone->listen.empty());
  // The example shows every default; loading it must give the same values as the structs.
  const Config defaults;
  EXPECT_EQ(c.timers.t1, defaults.timers.t1);
  EXPECT_EQ(c.timers.t2, defaults.timers.t2);
  EXPECT_EQ(c.timers.t4, defaults.timers.t4);
  EXPECT_EQ(c.b2bua.copyHeaders, defaults.b2bua.copyHeaders);
  EXPECT_EQ(c.b2bua.userAgent, defaults.b2bua.userAgent);
  EXPECT_EQ(c.b2bua.noAnswerTimeout, defaults.b2bua.noAnswerTimeout);
  EXPECT_EQ(c.tcp.maxConnections, defaults.tcp.maxConnections);
  EXPECT_EQ(c.limits.maxMessageBytes, defaults.limits.maxMessageBytes);
  EXPECT_EQ(c.limits.maxVias, defaults.limits.maxVias);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, "text");
  EXPECT_EQ(c.database.path, std::string(TG_SOURCE_DIR) + "/config/trunkguard.db");
  // The loopback example is plaintext, and says so.
  ASSERT_EQ(r.warnings.size(), 2u) << dump(r);
  EXPECT_TRUE(hasWarning(r, "provider 'example-carrier' signalling is unencrypted"));
  // The example's policy is on with the safe defaults; it lists no own numbers yet, and says so.
  EXPECT_TRUE(c.policy.enabled);
  EXPECT_TRUE(c.policy.enforce);
  EXPECT_TRUE(c.policy.defaultRules);
  EXPECT_TRUE(hasWarning(r, "CALLER-ID NOT CHECKED"));
}

TEST(ConfigLoader, MinimalConfigTakesDefaults) {
  const LoadResult r = load(kMinimal);
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.sourcePath, "test.yaml");
  EXPECT_EQ(c.workers, 1);
  EXPECT_EQ(c.pbx.targets[0].transport, TransportKind::kUdp);
  ASSERT_EQ(c.pbx.allowedSources.size(), 1u);
  EXPECT_EQ(c.pbx.allowedSources[0].text, "127.0.0.1/32");
  const Provider& p = c.trunk.providers[0];
  EXPECT_EQ(p.target.port, 5060);
  EXPECT_EQ(p.priority, 10);
  ASSERT_EQ(p.allowedSources.size(), 1u);
  EXPECT_EQ(p.allowedSources[0].text, "192.0.2.1/32");
  EXPECT_FALSE(c.publicZone.has_value());
  EXPECT_FALSE(c.pbx.allowRefer);
  EXPECT_FALSE(c.trunk.allowRefer);
  EXPECT_EQ(c.health.interval, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.health.failuresBeforeDown, 2);
  // loadConfigString has no directory to resolve against.
  EXPECT_EQ(c.database.path, "trunkguard.db");
}

TEST(ConfigLoader, EveryKeyIsRead) {
  const LoadResult r = load(std::string(kMinimal) + R"(workers: 4
public:
  listen: [ "tcp://[::1]:5062" ]
  allow_refer: true
timers: { t1_ms: 250, t2_ms: 2000, t4_ms: 3000 }
health: { interval_ms: 0, failures_before_down: 5 }
b2bua:
  copy_headers: [ Allow, X-Custom ]
  user_agent: ""
  max_call_duration_s: 3600
  no_answer_timeout_s: 60
tcp: { idle_timeout_s: 30, max_connections_per_source: 4, max_connections: 100 }
limits:
  max_message_bytes: 8000
  max_headers: 64
  max_vias: 10
  max_uri_length: 512
  max_header_value_bytes: 1000
log: { level: debug, format: json, modules: { b2bua: trace, db: warn } }
database: { path: /var/lib/trunkguard/tg.db }
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.workers, 4);
  ASSERT_TRUE(c.publicZone.has_value());
  ASSERT_EQ(c.publicZone->listen.size(), 1u);
  EXPECT_EQ(c.publicZone->listen[0].transport, TransportKind::kTcp);
  EXPECT_EQ(c.publicZone->listen[0].address.toString(), "[::1]:5062");
  EXPECT_TRUE(c.publicZone->allowRefer);
  EXPECT_EQ(c.timers.t1, std::chrono::milliseconds(250));
  EXPECT_EQ(c.timers.t2, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.timers.t4, std::chrono::milliseconds(3000));
  EXPECT_EQ(c.health.interval, std::chrono::milliseconds(0));
  EXPECT_EQ(c.health.failuresBeforeDown, 5);
  EXPECT_EQ(c.b2bua.copyHeaders, (std::vector<std::string>{"Allow", "X-Custom"}));
  EXPECT_EQ(c.b2bua.userAgent, "");
  EXPECT_EQ(c.b2bua.maxCallDuration, std::chrono::seconds(3600));
  EXPECT_EQ(c.b2bua.noAnswerTimeout, std::chrono::seconds(60));
  EXPECT_EQ(c.tcp.idleTimeout, std::chrono::seconds(30));
  EXPECT_EQ(c.tcp.maxConnectionsPerSource, 4u);
  EXPECT_EQ(c.tcp.maxConnections, 100u);
  EXPECT_EQ(c.limits.maxMessageBytes, 8000u);
  EXPECT_EQ(c.limits.maxHeaders, 64u);
  EXPECT_EQ(c.limits.maxVias, 10u);
  EXPECT_EQ(c.limits.maxUriLength, 512u);
  EXPECT_EQ(c.limits.maxHeaderValueBytes, 1000u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.log.modules.at("b2bua"), "trace");
  EXPECT_EQ(c.log.modules.at("db"), "warn");
  EXPECT_EQ(c.database.path, "/var/lib/trunkguard/tg.db");
}

TEST(ConfigLoader, EmptyPublicSectionEnablesTheZone) {
  const LoadResult r = load(std::string(kMinimal) + "public:\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_TRUE(r.config->publicZone.has_value());
  EXPECT_TRUE(r.config->publicZone->listen.empty());
}

TEST(ConfigLoader, UnknownTopLevelKeySuggestsClosest) {
  const LoadResult r = load("wokers: 2\n" + std::string(kMinimal));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 1, "", "unknown key 'wokers'; did you mean 'workers'?"));
}

TEST(ConfigLoader, UnknownNestedKeySuggestsClosestWithLineAndPath) {
  const LoadResult r = load(withProviders(R"(    - name: a
      host: 192.0.2.1
      transport: udp
      allow_plaintext: true
    - name: b
      host: 192.0.2.2
      trasnport: udp
      alow_plaintext: true
)"));
  EXPECT_FALSE(r.ok());
  // A transposition counts as one edit.
  EXPECT_TRUE(
      hasError(r, 13, "trunk.providers[1]", "unknown key 'trasnport'; did you mean 'transport'?"));
  EXPECT_TRUE(hasError(r, 14, "trunk.providers[1]",
                       "unknown key 'alow_plaintext'; did you mean 'allow_plaintext'?"));
}

TEST(ConfigLoader, UnknownKeyFarFromAnyListsKnownKeys) {
  const LoadResult r = load(std::string(kMinimal) + "timers: { frobnicate: 1 }\n");
  EXPECT_TRUE(hasError(r, 11, "timers", "unknown key 'frobnicate'; known keys here: t1_ms"));
}

TEST(ConfigLoader, KeyWrittenTwiceIsAnError) {
  const LoadResult r = load(std::string(kMinimal) + "workers: 2\nworkers: 3\n");
  EXPECT_TRUE(hasError(r, 12, "workers", "written twice (first on line 11)"));
}

TEST(ConfigLoader, WrongTypesAreErrors) {
  const LoadResult r = load(R"(pbx:
  listen: "udp://127.0.0.1:5070"
  targets: [ { host: 127.0.0.1, port: "5080" } ]
  allow_refer: maybe
trunk: [ 1, 2 ]
workers: abc
timers: 5
health: { interval_ms: 1.5 }
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 2, "pbx.listen", "expected a list"));
  EXPECT_TRUE(hasError(r, 3, "pbx.targets[0].port", "got the string \"5080\"; remove the quotes"));
  EXPECT_TRUE(hasError(r, 4, "pbx.allow_refer", "expected true or false, got 'maybe'"));
  EXPECT_TRUE(hasError(r, 5, "trunk", "expected a mapping"));
  EXPECT_TRUE(hasError(r, 6, "workers", "expected a whole number from 1 to 64, got 'abc'"));
  EXPECT_TRUE(hasError(r, 7, "timers", "expected a mapping"));
  EXPECT_TRUE(hasError(r, 8, "health.interval_ms", "got '1.5'"));
}

TEST(ConfigLoader, NullScalarIsAnErrorOnTheKeysLine) {
  const LoadResult r =
      load(std::string(kMinimal) + "b2bua:\n  user_agent:\n  max_call_duration_s:\n");
  EXPECT_TRUE(hasError(r, 12, "b2bua.user_agent", "expected a text value, got nothing"));
  EXPECT_TRUE(hasError(r, 13, "b2bua.max_call_duration_s", "got nothing"));
}

TEST(ConfigLoader, AllErrorsAreCollectedInLineOrder) {
  const LoadResult r = load(R"(workers: 0
pbx:
  listen: [ "udp://127.0.0.1:99999" ]
  targets: [ { host: 192.0.2.20 } ]
  allowed_sources: [ "10.1.1.1/8" ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - { name: a, host: 192.0.2.1, transport: udp }
limits: { max_headers: 0 }
)");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(hasError(r, 1, "workers", "0 is out of range; use a whole number from 1 to 64"));
  EXPECT_TRUE(hasError(r, 3, "pbx.listen[0]", "invalid port '99999'"));
  EXPECT_TRUE(hasError(r, 5, "pbx.allowed_sources[0]", "host bits set"));
  EXPECT_TRUE(hasError(r, 9, "trunk.providers[0].transport", "plaintext transport udp"));
  EXPECT_TRUE(hasError(r, 10, "limits.max_headers", "out of range"));
  EXPECT_EQ(r.errors.size(), 5u) << dump(r);
  for (size_t i = 1; i < r.errors.size(); ++i) {
    EXPECT_LE(r.errors[i - 1].line, r.errors[i].line);
  }
  for (const auto& e : r.errors) EXPECT_EQ(e.file, "test.yaml");
}

TEST(ConfigLoader, SyntaxErrorBecomesAConfigErrorWithItsLine) {
  const LoadResult r = load("pbx:\n  listen: [ \"udp://127.0.0.1:5070\"\ntrunk: {\n  x: : :\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_GT(r.errors[0].line, 1);
  EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos);

  const LoadResult tabs = load("pbx:\n\tlisten: []\n");
  ASSERT_FALSE(tabs.ok());
  EXPECT_EQ(tabs.errors[0].line, 2) << dump(tabs);
}

TEST(ConfigLoader, EmptyOrNonMappingDocument) {
  EXPECT_TRUE(hasError(load(""), 0, "", "the file is empty"));
  EXPECT_TRUE(hasError(load("# only a comment\n"), 0, "", "the file is empty"));
  EXPECT_TRUE(hasError(load("- a\n- b\n"), 1, "", "expected a mapping"));
}

TEST(ConfigLoader, RequiredZonesAndEntries) {
  const LoadResult none = load("workers: 1\n");
  EXPECT_TRUE(hasError(none, 1, "pbx", "missing"));
  EXPECT_TRUE(hasError(none, 1, "trunk", "missing"));

  const LoadResult empty = load(R"(pbx:
  listen: []
  targets: []
trunk:
  listen: []
  providers: []
)");
  EXPECT_TRUE(hasError(empty, 2, "pbx.listen", "is empty"));
  EXPECT_TRUE(hasError(empty, 3, "pbx.targets", "is empty"));
  EXPECT_TRUE(hasError(empty, 5, "trunk.listen", "is empty"));
  EXPECT_TRUE(hasError(empty, 6, "trunk.providers", "is empty"));

  const LoadResult missing = load("pbx:\n  allow_refer: true\ntrunk:\n  allow_refer: false\n");
  EXPECT_TRUE(hasError(missing, 1, "pbx.listen", "missing"));
  EXPECT_TRUE(hasError(missing, 1, "pbx.targets", "missing"));
  EXPECT_TRUE(hasError(missing, 3, "trunk.listen", "missing"));
  EXPECT_TRUE(hasError(missing, 3, "trunk.providers", "missing"));

  const LoadResult noHost = load(withProviders("    - { name: a, port: 5060 }\n"));
  EXPECT_TRUE(hasError(noHost, 7, "trunk.providers[0].host", "missing"));
}

TEST(ConfigLoader, ListenerUrlErrorsCarryPathAndLine) {
  const LoadResult r = load(R"(pbx:
  listen:
    - "udp://127.0.0.1:5070"
    - "udp://localhost:5071"
    - "sctp://127.0.0.1:5072"
    - "udp://127.0.0.1"
    - "udp://::1:5073"
    - "127.0.0.1:5074"
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:0" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  EXPECT_TRUE(hasError(r, 4, "pbx.listen[1]", "listeners need an IP address"));
  EXPECT_TRUE(hasError(r, 5, "pbx.listen[2]", "unknown transport 'sctp'; use udp://, tcp://"));
  EXPECT_TRUE(hasError(r, 6, "pbx.listen[3]", "has no port"));
  EXPECT_TRUE(hasError(r, 7, "pbx.listen[4]", "put it in brackets"));
  EXPECT_TRUE(hasError(r, 8, "pbx.listen[5]", "is not a listener URL"));
  EXPECT_TRUE(hasError(r, 11, "trunk.listen[0]", "invalid port '0'; use a number from 1"));
  EXPECT_EQ(r.errors.size(), 6u) << dump(r);
}

TEST(ParseListener, AcceptsAndRejects) {
  auto v4 = parseListener("tcp://192.0.2.10:5060");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->transport, TransportKind::kTcp);
  EXPECT_EQ(v4->address.toString(), "192.0.2.10:5060");
  EXPECT_EQ(v4->text, "tcp://192.0.2.10:5060");
  auto v6 = parseListener("udp://[2001:db8::1]:65535");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address.isV6());
  EXPECT_EQ(v6->address.port(), 65535);
  auto tls = parseListener("tls://127.0.0.1:5061");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->transport, TransportKind::kTls);

  std::string why;
  EXPECT_FALSE(parseListener("udp://127.0.0.1:65536", &why));
  EXPECT_NE(why.find("invalid port"), std::string::npos);
  EXPECT_FALSE(parseListener("udp://[::1:5060", &why));
  EXPECT_NE(why.find("closing ']'"), std::string::npos);
  EXPECT_FALSE(parseListener("udp://[::1]5060", &why));
  EXPECT_FALSE(parseListener("udp://999.0.0.1:5060", &why));
  EXPECT_NE(why.find("invalid IP address"), std::string::npos);
  EXPECT_FALSE(parseListener("UDP://127.0.0.1:5060"));
  EXPECT_FALSE(parseListener("udp://127.0.0.1:5060/x"));
  EXPECT_FALSE(parseListener("udp://127.0.0.1:"));
  EXPECT_FALSE(parseListener(""));
}

TEST(ConfigLoader, AllInterfacesListenerIsAWarning) {
  const LoadResult r = load(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://0.0.0.0:5060", "tcp://[::]:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(hasWarning(r,
                         "test.yaml:5: trunk.listen[0]: 'udp://0.0.0.0:5060' listens on all "
                         "interfaces"));
  EXPECT_TRUE(hasWarning(r, "trunk.listen[1]: 'tcp://[::]:5060' listens on all interfaces"));
}

TEST(ConfigLoader, NonLoopbackListenerIsAllowedWithoutWarning) {
  const LoadResult r = load(R"(pbx:
  listen: [ "udp://10.0.0.5:5060" ]
  targets: [ { host: 10.0.0.20 } ]
trunk:
  listen: [ "udp://203.0.113.5:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(nonPolicyWarnings(r), 1u) << dump(r);  // only the plaintext provider
}

TEST(ConfigLoader, DuplicateListenersAcrossZones) {
  const LoadResult r = load(R"(pbx:
  listen: [ "udp://127.0.0.1:5060", "tcp://127.0.0.1:5061" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060", "tls://127.0.0.1:5061", "tcp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  EXPECT_TRUE(hasError(r, 5, "trunk.listen[0]",
                       "uses the same socket as 'udp://127.0.0.1:5060' (pbx.listen[0], line 2)"));
  // tls and tcp both need a TCP socket.
  EXPECT_TRUE(hasError(r, 5, "trunk.listen[1]", "uses the same socket as 'tcp://127.0.0.1:5061'"));
  // udp and tcp on one port are different sockets.
  for (const auto& e : r.errors) EXPECT_NE(e.keyPath, "trunk.listen[2]") << e.toString();
}

TEST(ConfigLoader, TargetThatIsOurOwnListenerIsAnError) {
  const LoadResult r = load(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5060 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  EXPECT_TRUE(hasError(r, 3, "pbx.targets[0]", "is trunkguard's own listener"));
}

TEST(ConfigLoader, PlaintextProviderNeedsAllowPlaintext) {
  const LoadResult r = load(withProviders(R"(    - name: x
      host: 192.0.2.1
      transport: udp
)"));
  EXPECT_TRUE(hasError(r, 9, "trunk.providers[0].transport",
                       "provider 'x' uses plaintext transport udp; set transport: tls "
                       "(recommended) or allow_plaintext: true to accept unencrypted "
                       "signalling"));

  const LoadResult tcp = load(withProviders(R"(    - name: y
      host: 192.0.2.1
      transport: tcp
      allow_plaintext: false
)"));
  EXPECT_TRUE(hasError(tcp, 9, "trunk.providers[0].transport", "plaintext transport tcp"));

  const LoadResult allowed = load(withProviders(R"(    - name: z
      host: 192.0.2.1
      transport: tcp
      allow_plaintext: true
)"));
  ASSERT_TRUE(allowed.ok()) << dump(allowed);
  EXPECT_TRUE(hasWarning(allowed,
                         "test.yaml:9: trunk.providers[0].transport: provider 'z' "
                         "signalling is unencrypted (allow_plaintext: true)"));
}

TEST(ConfigLoader, TlsIsTheDefaultAndTlsListenersNeedACertificate) {
  // Provider default transport is tls: encryption by default.
  const LoadResult byDefault = load(withProviders("    - { name: a, host: 192.0.2.1 }\n"));
  ASSERT_TRUE(byDefault.ok());
  EXPECT_EQ(byDefault.config->trunk.providers[0].target.transport, TransportKind::kTls);
  EXPECT_EQ(byDefault.config->trunk.providers[0].target.port, 5061);

  const LoadResult r = load(R"(pbx:
  listen: [ "tls://127.0.0.1:5071" ]
  targets: [ { host: 127.0.0.1, port: 5080, transport: tls } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: tls } ]
)");
  EXPECT_TRUE(hasError(r, 2, "pbx.listen[0]",
                       "'tls://127.0.0.1:5071' needs a certificate; add a top-level section "
                       "tls: { certificate:"));
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST(ConfigLoader, UnknownTransportValueSuggests) {
  const LoadResult r = load(withProviders(
      "    - { name: a, host: 192.0.2.1, transport: udpp, allow_plaintext: true }\n"));
  EXPECT_TRUE(hasError(r, 7, "trunk.providers[0].transport",
                       "unknown value 'udpp'; did you mean 'udp'? (use udp, tcp or tls)"));
}

TEST(ConfigLoader, ProviderNames) {
  const LoadResult r = load(
      withProviders(R"(    - { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true }
    - { name: a, host: 192.0.2.2, transport: udp, allow_plaintext: true }
    - { name: "", host: 192.0.2.3, transport: udp, allow_plaintext: true }
    - { name: "bad name", host: 192.0.2.4, transport: udp, allow_plaintext: true }
    - { host: 192.0.2.5, transport: udp, allow_plaintext: true }
)"));
  EXPECT_TRUE(hasError(r, 8, "trunk.providers[1].name",
                       "provider 'a' is already defined on line 7; provider names must be "
                       "unique"));
  EXPECT_TRUE(hasError(r, 9, "trunk.providers[2].name", "is empty"));
  EXPECT_TRUE(hasError(r, 10, "trunk.providers[3].name", "may only use letters, digits"));
  EXPECT_TRUE(hasError(r, 11, "trunk.providers[4].name", "missing"));
}

TEST(ConfigLoader, ProvidersAreSortedByPriorityStably) {
  const LoadResult r = load(withProviders(
      R"(    - { name: c, host: 192.0.2.3, priority: 20, transport: udp, allow_plaintext: true }
    - { name: a, host: 192.0.2.1, priority: 5, transport: udp, allow_plaintext: true }
    - { name: d, host: 192.0.2.4, transport: udp, allow_plaintext: true }
    - { name: b, host: 192.0.2.2, priority: 10, transport: udp, allow_plaintext: true }
)"));
  ASSERT_TRUE(r.ok()) << dump(r);
  std::vector<std::string> order;
  for (const auto& p : r.config->trunk.providers) order.push_back(p.name);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "d", "b", "c"}));
}

TEST(ConfigLoader, ProvidersAddressedByNameNeedAllowedSources) {
  const LoadResult r = load(withProviders(
      "    - { name: a, host: sip.carrier.example, transport: udp, allow_plaintext: true }\n"));
  EXPECT_TRUE(hasError(r, 7, "trunk.providers[0].allowed_sources",
                       "give allowed_sources for providers addressed by name"));

  const LoadResult ok = load(withProviders(R"(    - name: a
      host: sip.carrier.example
      transport: udp
      allow_plaintext: true
      allowed_sources: [ "198.51.100.0/24", "2001:db8::/32" ]
)"));
  ASSERT_TRUE(ok.ok()) << dump(ok);
  const auto& p = ok.config->trunk.providers[0];
  EXPECT_EQ(p.target.host, "sip.carrier.example");
  ASSERT_EQ(p.allowedSources.size(), 2u);
  EXPECT_EQ(p.allowedSources[1].text, "2001:db8::/32");

  const LoadResult badHost = load(withProviders(
      "    - { name: a, host: \"not a host\", transport: udp, allow_plaintext: true }\n"));
  EXPECT_TRUE(hasError(badHost, 7, "trunk.providers[0].host", "neither an IP address"));
}

TEST(ConfigLoader, PbxTargetByNameNeedsAllowedSources) {
  const LoadResult r = load(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: pbx.lan, port: 5080 }, { host: "::1", port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  EXPECT_TRUE(hasError(r, 1, "pbx.allowed_sources", "targets addressed by name"));

  const LoadResult literal = load(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets:
    - { host: 127.0.0.1, port: 5080 }
    - { host: "[::1]", port: 5081 }
    - { host: 127.0.0.1, port: 5082 }
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)");
  ASSERT_TRUE(literal.ok()) << dump(literal);
  const auto& sources = literal.config->pbx.allowedSources;
  ASSERT_EQ(sources.size(), 2u);  // duplicates folded
  EXPECT_EQ(sources[0].text, "127.0.0.1/32");
  EXPECT_EQ(sources[1].text, "::1/128");
  EXPECT_EQ(literal.config->pbx.targets[1].host, "::1");
}

TEST(ConfigLoader, CidrErrors) {
  const LoadResult r = load(std::string(kMinimal) + R"(      allowed_sources:
        - "10.1.2.3/8"
        - "10.0.0.0/33"
        - "2001:db8::/129"
        - "banana"
        - "0.0.0.0/0"
)");
  EXPECT_TRUE(hasError(r, 12, "trunk.providers[0].allowed_sources[0]",
                       "'10.1.2.3/8' has host bits set; write the network 10.0.0.0/8"));
  EXPECT_TRUE(hasError(r, 13, "trunk.providers[0].allowed_sources[1]", "use 0-32"));
  EXPECT_TRUE(hasError(r, 14, "trunk.providers[0].allowed_sources[2]", "use 0-128"));
  EXPECT_TRUE(hasError(r, 15, "trunk.providers[0].allowed_sources[3]", "is not an IP network"));
  EXPECT_TRUE(hasWarning(r, "'0.0.0.0/0' accepts traffic from any address"));
  EXPECT_EQ(r.errors.size(), 4u) << dump(r);
}

TEST(Cidr, ParseAndContains) {
  auto net = Cidr::parse("192.0.2.0/24");
  ASSERT_TRUE(net);
  EXPECT_EQ(net->prefixLength, 24);
  EXPECT_EQ(net->text, "192.0.2.0/24");
  EXPECT_TRUE(net->contains(*base::Address::parse("192.0.2.77", 5060)));
  EXPECT_FALSE(net->contains(*base::Address::parse("192.0.3.1", 5060)));
  EXPECT_FALSE(net->contains(*base::Address::parse("2001:db8::1", 5060)));
  // A dual-stack socket's view of an IPv4 peer.
  EXPECT_TRUE(net->contains(*base::Address::parse("::ffff:192.0.2.9", 5060)));
  EXPECT_FALSE(net->contains(base::Address{}));

  auto odd = Cidr::parse("10.0.0.0/9");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(*base::Address::parse("10.127.255.255", 0)));
  EXPECT_FALSE(odd->contains(*base::Address::parse("10.128.0.0", 0)));

  auto bare = Cidr::parse("203.0.113.7");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->text, "203.0.113.7/32");
  EXPECT_TRUE(bare->contains(*base::Address::parse("203.0.113.7", 1)));
  EXPECT_FALSE(bare->contains(*base::Address::parse("203.0.113.8", 1)));

  auto v6 = Cidr::parse("2001:db8:abcd::/48");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*base::Address::parse("2001:db8:abcd:1::5", 0)));
  EXPECT_FALSE(v6->contains(*base::Address::parse("2001:db8:abce::5", 0)));
  EXPECT_FALSE(v6->contains(*base::Address::parse("192.0.2.1", 0)));

  auto all = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(*base::Address::parse("8.8.8.8", 0)));
  auto all6 = Cidr::parse("::/0");
  ASSERT_TRUE(all6);
  EXPECT_TRUE(all6->contains(*base::Address::parse("2001:db8::1", 0)));

  std::string why;
  EXPECT_FALSE(Cidr::parse("2001:db8::1/32", &why));
  EXPECT_NE(why.find("write the network 2001:db8::/32"), std::string::npos) << why;
  EXPECT_FALSE(Cidr::parse("10.0.0.0/", &why));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/-1", &why));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/8x", &why));
  EXPECT_FALSE(Cidr::parse("", &why));

  const Cidr one = Cidr::single(*base::Address::parse("::1", 5060));
  EXPECT_EQ(one.text, "::1/128");
  EXPECT_EQ(one.network.port(), 0);
}

TEST(ConfigLoader, TimerRules) {
  const LoadResult order = load(std::string(kMinimal) + "timers: { t1_ms: 5000, t2_ms: 4000 }\n");
  EXPECT_TRUE(hasError(order, 11, "timers.t1_ms", "RFC 3261 needs t1 <= t2"));
  const LoadResult onlyT2 = load(std::string(kMinimal) + "timers:\n  t2_ms: 100\n");
  EXPECT_TRUE(hasError(onlyT2, 12, "timers.t1_ms", "(500) is larger than t2_ms (100)"));
  const LoadResult zero = load(std::string(kMinimal) + "timers: { t1_ms: 0, t4_ms: -5 }\n");
  EXPECT_TRUE(hasError(zero, 11, "timers.t1_ms", "0 is out of range"));
  EXPECT_TRUE(hasError(zero, 11, "timers.t4_ms", "-5 is out of range"));
  EXPECT_TRUE(load(std::string(kMinimal) + "timers: { t1_ms: 4000, t2_ms: 4000 }\n").ok());
}

TEST(ConfigLoader, WorkersRange) {
  EXPECT_TRUE(
      hasError(load(std::string(kMinimal) + "workers: 0\n"), 11, "workers", "out of range"));
  EXPECT_TRUE(
      hasError(load(std::string(kMinimal) + "workers: 65\n"), 11, "workers", "out of range"));
  EXPECT_TRUE(hasError(load(std::string(kMinimal) + "workers: 99999999999999999999\n"), 11,
                       "workers", "expected a whole number"));
  const LoadResult ok = load(std::string(kMinimal) + "workers: 64\n");
  ASSERT_TRUE(ok.ok()) << dump(ok);
  EXPECT_EQ(ok.config->workers, 64);
}

TEST(ConfigLoader, LimitsMustBePositive) {
  const LoadResult r = load(std::string(kMinimal) + R"(limits:
  max_message_bytes: 0
  max_headers: -1
  max_vias: 0
  max_uri_length: 0
  max_header_value_bytes: 0
)");
  EXPECT_TRUE(hasError(r, 12, "limits.max_message_bytes", "out of range"));
  EXPECT_TRUE(hasError(r, 13, "limits.max_headers", "out of range"));
  EXPECT_TRUE(hasError(r, 14, "limits.max_vias", "out of range"));
  EXPECT_TRUE(hasError(r, 15, "limits.max_uri_length", "out of range"));
  EXPECT_TRUE(hasError(r, 16, "limits.max_header_value_bytes", "out of range"));
}

TEST(ConfigLoader, OtherRanges) {
  const LoadResult r =
      load(std::string(kMinimal) + R"(health: { interval_ms: -1, failures_before_down: 0 }
tcp: { idle_timeout_s: 0, max_connections_per_source: 0, max_connections: 0 }
b2bua: { no_answer_timeout_s: 0, max_call_duration_s: -1 }
)");
  EXPECT_TRUE(hasError(r, 11, "health.interval_ms", "out of range"));
  EXPECT_TRUE(hasError(r, 11, "health.failures_before_down", "out of range"));
  EXPECT_TRUE(hasError(r, 12, "tcp.idle_timeout_s", "out of range"));
  EXPECT_TRUE(hasError(r, 12, "tcp.max_connections_per_source", "out of range"));
  EXPECT_TRUE(hasError(r, 12, "tcp.max_connections", "out of range"));
  EXPECT_TRUE(hasError(r, 13, "b2bua.no_answer_timeout_s", "out of range"));
  EXPECT_TRUE(hasError(r, 13, "b2bua.max_call_duration_s", "out of range"));
}

TEST(ConfigLoader, TcpAdmissionKeys) {
  const LoadResult r = load(std::string(kMinimal) + R"(tcp:
  max_connections: 100
  max_connections_per_prefix: 8
  reserved_for_peers: 10
  first_message_timeout_ms: 3000
  message_timeout_ms: 0
  max_accepts_per_source_per_s: 5
)");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().message;
  const config::TcpSettings& t = r.config->tcp;
  EXPECT_EQ(t.maxConnectionsPerPrefix, 8u);
  EXPECT_EQ(t.reservedForPeers, 10u);
  EXPECT_EQ(t.firstMessageTimeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(t.messageTimeout, std::chrono::milliseconds(0)) << "0 turns the deadline off";
  EXPECT_EQ(t.maxAcceptsPerSourcePerSecond, 5u);

  const LoadResult defaults = load(std::string(kMinimal) + "tcp: { max_connections: 40 }\n");
  ASSERT_TRUE(defaults.errors.empty());
  EXPECT_EQ(defaults.config->tcp.reservedForPeers, 10u) << "a quarter of a small table";
  EXPECT_EQ(defaults.config->tcp.firstMessageTimeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults.config->tcp.maxConnectionsPerPrefix, 256u);
}

TEST(ConfigLoader, TcpAdmissionRanges) {
  const LoadResult r = load(std::string(kMinimal) + R"(tcp:
  max_connections: 50
  reserved_for_peers: 50
  max_connections_per_prefix: 0
  first_message_timeout_ms: -1
  message_timeout_ms: 600001
  max_accepts_per_source_per_s: -1
)");
  EXPECT_TRUE(hasError(r, 13, "tcp.reserved_for_peers", "must be below tcp.max_connections"));
  EXPECT_TRUE(hasError(r, 14, "tcp.max_connections_per_prefix", "out of range"));
  EXPECT_TRUE(hasError(r, 15, "tcp.first_message_timeout_ms", "out of range"));
  EXPECT_TRUE(hasError(r, 16, "tcp.message_timeout_ms", "out of range"));
  EXPECT_TRUE(hasError(r, 17, "tcp.max_accepts_per_source_per_s", "out of range"));
}

// The rates and thresholds that were defaults in code (TransportOptions, Guard) have keys.
TEST(ConfigLoader, TcpFloodKeys) {
  const LoadResult defaults = load(kMinimal);
  ASSERT_TRUE(defaults.errors.empty());
  const config::TcpSettings& d = defaults.config->tcp;
  EXPECT_EQ(d.maxAcceptsPerPrefixPerSecond, 1000u);
  EXPECT_EQ(d.connectTimeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(d.maxSendQueueBytes, size_t{4} << 20);
  EXPECT_EQ(d.offencesBeforeBan, 10u);
  EXPECT_EQ(d.offenceWindow, std::chrono::seconds(60));

  const LoadResult r = load(std::string(kMinimal) + R"(tcp:
  max_accepts_per_prefix_per_s: 0
  connect_timeout_ms: 1500
  max_send_queue_bytes: 1048576
  offences_before_ban: 3
  offence_window_s: 600
)");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().message;
  const config::TcpSettings& t = r.config->tcp;
  EXPECT_EQ(t.maxAcceptsPerPrefixPerSecond, 0u) << "0: no limit";
  EXPECT_EQ(t.connectTimeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(t.maxSendQueueBytes, 1048576u);
  EXPECT_EQ(t.offencesBeforeBan, 3u);
  EXPECT_EQ(t.offenceWindow, std::chrono::seconds(600));
}

TEST(ConfigLoader, TcpFloodKeyRanges) {
  const LoadResult r = load(std::string(kMinimal) + R"(tcp:
  max_accepts_per_prefix_per_s: -5
  connect_timeout_ms: 0
  max_send_queue_bytes: 1000
  offences_before_ban: 0
  offence_window_s: 0
  offences_before_ban_typo: 1
)");
  EXPECT_TRUE(hasError(r, 12, "tcp.max_accepts_per_prefix_per_s", "out of range"));
  EXPECT_TRUE(hasError(r, 13, "tcp.connect_timeout_ms", "out of range"));
  EXPECT_TRUE(hasError(r, 14, "tcp.max_send_queue_bytes", "out of range"));
  EXPECT_TRUE(hasError(r, 15, "tcp.offences_before_ban", "out of range"));
  EXPECT_TRUE(hasError(r, 16, "tcp.offence_window_s", "out of range"));
  EXPECT_TRUE(hasError(r, 17, "tcp", "unknown key 'offences_before_ban_typo'"));
  EXPECT_FALSE(r.ok());
}

TEST(ConfigLoader, LogSettingsAreValidated) {
  const LoadResult r = load(std::string(kMinimal) + R"(log:
  level: loud
  format: xml
  modules: { b2bau: debug, db: nope }
)");
  EXPECT_TRUE(hasError(r, 12, "log.level", "unknown log level 'loud'"));
  EXPECT_TRUE(hasError(r, 13, "log.format", "unknown log format 'xml'; use text or json"));
  EXPECT_TRUE(hasError(r, 14, "log.modules", "unknown key 'b2bau'; did you mean 'b2bua'?"));
  EXPECT_TRUE(hasError(r, 14, "log.modules.db", "unknown log level 'nope'"));
}

TEST(ConfigLoader, CopyHeadersCannotLeakTopology) {
  const LoadResult r = load(std::string(kMinimal) + R"(b2bua:
  copy_headers: [ Allow, via, Contact, Record-Route, Authorization, "Bad Name", i ]
)");
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[1]", "written by the B2BUA itself"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[2]", "written by the B2BUA itself"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[3]", "written by the B2BUA itself"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[4]", "written by the B2BUA itself"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[5]", "is not a header name"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[6]", "written by the B2BUA itself"));
  EXPECT_EQ(r.errors.size(), 6u) << dump(r);
}

// RFC 3262 headers are per leg; copying them broke 100rel calls (issue 21).
TEST(ConfigLoader, CopyHeadersRefusesThe100relHeaders) {
  const LoadResult r = load(std::string(kMinimal) + R"(b2bua:
  copy_headers: [ Allow, Require, rseq, RAck, Supported ]
)");
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[1]", "100rel/PRACK"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[2]", "100rel/PRACK"));
  EXPECT_TRUE(hasError(r, 12, "b2bua.copy_headers[3]", "100rel/PRACK"));
  EXPECT_EQ(r.errors.size(), 3u) << dump(r);
}

TEST(ConfigLoader, DomainMustBeAHost) {
  const LoadResult r = load(std::string(kMinimal) + "      domain: \"sip carrier\"\n");
  EXPECT_TRUE(hasError(r, 11, "trunk.providers[0].domain", "is not a host name"));
  const LoadResult ok = load(std::string(kMinimal) + "      domain: sip.carrier.example\n");
  ASSERT_TRUE(ok.ok()) << dump(ok);
  EXPECT_EQ(ok.config->trunk.providers[0].domain, "sip.carrier.example");
}

class ConfigFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tg_config_test_" + std::to_string(::getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFile, RelativeDatabasePathIsResolvedAgainstTheFile) {
  const std::string path =
      write("gw.yaml", std::string(kMinimal) + "database: { path: x/tg.db }\n");
  const LoadResult r = loadConfigFile(path);
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->database.path, (dir_ / "x/tg.db").string());
  EXPECT_EQ(r.config->sourcePath, path);

  const LoadResult byDefault = loadConfigFile(write("d.yaml", kMinimal));
  ASSERT_TRUE(byDefault.ok());
  EXPECT_EQ(byDefault.config->database.path, (dir_ / "trunkguard.db").string());

  const LoadResult absolute =
      loadConfigFile(write("a.yaml", std::string(kMinimal) + "database: { path: /tmp/a.db }\n"));
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute.config->database.path, "/tmp/a.db");
}

TEST_F(ConfigFile, ControlSocketNextToTheDatabaseOrAsGiven) {
  const LoadResult byDefault =
      loadConfigFile(write("d.yaml", std::string(kMinimal) + "database: { path: x/tg.db }\n"));
  ASSERT_TRUE(byDefault.ok()) << dump(byDefault);
  EXPECT_EQ(byDefault.config->database.controlSocketPath(), (dir_ / "x/tg.db.ctl").string());

  const LoadResult relative = loadConfigFile(
      write("r.yaml", std::string(kMinimal) + "database: { control_socket: run/tg.sock }\n"));
  ASSERT_TRUE(relative.ok()) << dump(relative);
  EXPECT_EQ(relative.config->database.controlSocketPath(), (dir_ / "run/tg.sock").string());

  const LoadResult empty = loadConfigFile(
      write("e.yaml", std::string(kMinimal) + "database: { control_socket: \"\" }\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.errors[0].toString().find("database.control_socket: is empty"), std::string::npos)
      << empty.errors[0].toString();

  const LoadResult memory =
      loadConfigString(std::string(kMinimal) + "database: { path: \":memory:\" }\n", "m.yaml");
  ASSERT_TRUE(memory.ok()) << dump(memory);
  EXPECT_EQ(memory.config->database.controlSocketPath(), "");
}

TEST_F(ConfigFile, ErrorsNameTheFile) {
  const std::string path = write("bad.yaml", "wokers: 1\n");
  const LoadResult r = loadConfigFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.readFailed);
  EXPECT_EQ(r.errors[0].toString(), path + ":1: unknown key 'wokers'; did you mean 'workers'?");
}

TEST_F(ConfigFile, UnreadableFile) {
  const LoadResult missing = loadConfigFile((dir_ / "nope.yaml").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(missing.readFailed);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].message.find("No such file"), std::string::npos);

  const LoadResult directory = loadConfigFile(dir_.string());
  EXPECT_TRUE(directory.readFailed);
  EXPECT_NE(directory.errors[0].message.find("is a directory"), std::string::npos);
}

TEST(ConfigError, ToString) {
  EXPECT_EQ((ConfigError{"gw.yaml", 12, "trunk.providers[0].transport", "bad"}).toString(),
            "gw.yaml:12: trunk.providers[0].transport: bad");
  EXPECT_EQ((ConfigError{"gw.yaml", 0, "pbx", "bad"}).toString(), "gw.yaml: pbx: bad");
  EXPECT_EQ((ConfigError{"gw.yaml", 3, "", "bad"}).toString(), "gw.yaml:3: bad");
}

TEST(TransportName, RoundTrips) {
  for (auto t : {TransportKind::kUdp, TransportKind::kTcp, TransportKind::kTls}) {
    EXPECT_EQ(parseTransportName(transportName(t)), t);
  }
  EXPECT_EQ(transportName(TransportKind::kTls), "tls");
  EXPECT_FALSE(parseTransportName("sctp"));
}

}  // namespace
}  // namespace tg::config
