// The Prometheus exposition: every declared counter with HELP and TYPE, gauges for calls and
// peers, label values escaped. (promtool checks the format itself in the integration test.)

#include "app/admin_api/metrics_text.h"

#include <gtest/gtest.h>

namespace tg::app::admin_api {
namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsText, SnakeCase) {
  EXPECT_EQ(snakeCase("received"), "received");
  EXPECT_EQ(snakeCase("sourceDropped"), "source_dropped");
  EXPECT_EQ(snakeCase("stunKeepAlives"), "stun_keep_alives");
}

TEST(MetricsText, EveryDeclaredCounterIsExposedWithHelpAndType) {
  StatusFacts f;
  f.snapshot.gateway.received = 7;
  f.snapshot.calls.callsStarted = 3;
  f.snapshot.guard.bannedDrops = 2;
  f.snapshot.largeRequests.overStream = 5;
  f.snapshot.transport.datagramsReassembled = 4;
  const std::string text = metricsText(f);
#define TG_EXPECT_COUNTER(component)                                                    \
  [&](const char* field, const char* help) {                                            \
    const std::string name = "trunkguard_" component "_" + snakeCase(field) + "_total"; \
    EXPECT_TRUE(has(text, "# HELP " + name + " " + help + "\n")) << name;               \
    EXPECT_TRUE(has(text, "# TYPE " + name + " counter\n")) << name;                    \
  }
#define TG_CHECK(name, help) check(#name, help);
  {
    auto check = TG_EXPECT_COUNTER("gateway");
    TG_GATEWAY_COUNTERS(TG_CHECK)
  }
  {
    auto check = TG_EXPECT_COUNTER("b2bua");
    TG_B2BUA_COUNTERS(TG_CHECK)
  }
  {
    auto check = TG_EXPECT_COUNTER("guard");
    TG_GUARD_COUNTERS(TG_CHECK)
  }
  {
    auto check = TG_EXPECT_COUNTER("large_requests");
    TG_LARGE_REQUEST_COUNTERS(TG_CHECK)
  }
  {
    auto check = TG_EXPECT_COUNTER("transport");
    TG_TRANSPORT_COUNTERS(TG_CHECK)
  }
#undef TG_CHECK
#undef TG_EXPECT_COUNTER
  EXPECT_TRUE(has(text, "\ntrunkguard_gateway_received_total 7\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_b2bua_calls_started_total 3\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_guard_banned_drops_total 2\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_large_requests_over_stream_total 5\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_transport_datagrams_reassembled_total 4\n"));
}

TEST(MetricsText, CaptureCountersOnlyWhenCaptureIsOn) {
  StatusFacts f;
  EXPECT_FALSE(has(metricsText(f), "trunkguard_capture_"));
  f.capture.emplace();
  f.capture->sent = 12;
  f.capture->dropped = 1;
  const std::string text = metricsText(f);
#define TG_CHECK(name, help)                                                                   \
  EXPECT_TRUE(has(text, "# TYPE trunkguard_capture_" + snakeCase(#name) + "_total counter\n")) \
      << #name;
  TG_CAPTURE_COUNTERS(TG_CHECK)
#undef TG_CHECK
  EXPECT_TRUE(has(text, "\ntrunkguard_capture_sent_total 12\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_capture_dropped_total 1\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_capture_send_errors_total 0\n"));
}

TEST(MetricsText, GaugesAndPeersWithEscapedLabels) {
  StatusFacts f;
  f.version = "trunkguard 1.0 \"dev\"";
  f.snapshot.activeCalls = 4;
  f.bans = 9;
  b2bua::PeerHealth p;
  p.name = "carrier\\a";
  b2bua::AddressHealth up;
  up.target.address = *base::Address::parse("192.0.2.1", 5060);
  up.pingsSent = 5;
  b2bua::AddressHealth down = up;
  down.target.address = *base::Address::parse("192.0.2.2", 5060);
  down.up = false;
  p.addresses = {up, down};
  f.peers.push_back(p);
  trunk::RegistrationStatus reg;
  reg.provider = "carrier-a";
  reg.state = trunk::RegistrationState::kRegistered;
  f.registrations.push_back(reg);
  const std::string text = metricsText(f);
  EXPECT_TRUE(has(text, "trunkguard_build_info{version=\"trunkguard 1.0 \\\"dev\\\"\"} 1\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_active_calls 4\n"));
  EXPECT_TRUE(has(text, "\ntrunkguard_bans_active 9\n"));
  EXPECT_TRUE(has(text,
                  "trunkguard_peer_address_up{peer=\"carrier\\\\a\",transport=\"udp\","
                  "address=\"192.0.2.1:5060\"} 1\n"));
  EXPECT_TRUE(has(text, "address=\"192.0.2.2:5060\"} 0\n"));
  EXPECT_TRUE(has(text,
                  "trunkguard_peer_health_pings_total{peer=\"carrier\\\\a\",transport="
                  "\"udp\",address=\"192.0.2.1:5060\"} 5\n"));
  EXPECT_TRUE(has(text, "trunkguard_provider_registered{provider=\"carrier-a\"} 1\n"));
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace tg::app::admin_api
