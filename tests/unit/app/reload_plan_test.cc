// SIGHUP tells the truth: every changed key is either applied or named as needing a restart.

#include "app/reload_plan.h"

#include <gtest/gtest.h>

#include <string>

#include "../config/config_test_util.h"
#include "config/config_loader.h"

namespace tg::app {
namespace {

// The minimal configuration (config_test_util.h) and what this suite adds to it.
const std::string kBase = std::string(config::kMinimalConfig) + R"(public:
  listen: [ "udp://127.0.0.1:5062" ]
  auth: { realm: sip.example.com }
tcp:
  idle_timeout_s: 300
dns:
  servers: [ "127.0.0.1:5353" ]
accounts:
  lockout: { failures: 5, max_tracked: 1000 }
guard:
  scanner: { enabled: true }
)";

config::ConfigPtr load(const std::string& yaml) {
  const config::LoadResult r = config::loadConfigString(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  return r.config;
}

// kBase with the first `from` replaced by `to`.
config::ConfigPtr changed(const std::string& from, const std::string& to) {
  std::string yaml = kBase;
  const size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  yaml.replace(at, from.size(), to);
  return load(yaml);
}

using Keys = std::vector<std::string>;

TEST(ReloadPlan, NothingChangedSaysSo) {
  const ReloadResult r = planReload(*load(kBase), *load(kBase));
  EXPECT_TRUE(r.applied.empty());
  EXPECT_TRUE(r.needsRestart.empty());
  EXPECT_EQ(r.summary(), "nothing changed");
}

TEST(ReloadPlan, ARealmChangeNeedsARestart) {
  const ReloadResult r = planReload(*load(kBase), *changed("sip.example.com", "pbx.example.com"));
  EXPECT_EQ(r.needsRestart, Keys{"public.auth.realm"});
  EXPECT_TRUE(r.applied.empty());
}

TEST(ReloadPlan, TcpIdleTimeoutNeedsARestart) {
  const ReloadResult r =
      planReload(*load(kBase), *changed("idle_timeout_s: 300", "idle_timeout_s: 60"));
  EXPECT_EQ(r.needsRestart, Keys{"tcp.idle_timeout_s"});
  EXPECT_EQ(r.summary(), "needs a restart: tcp.idle_timeout_s");
}

TEST(ReloadPlan, DnsServersNeedARestartNamedWithoutIndices) {
  const ReloadResult r = planReload(
      *load(kBase), *changed("\"127.0.0.1:5353\"", "\"127.0.0.1:5353\", \"127.0.0.2:53\""));
  EXPECT_EQ(r.needsRestart, Keys{"dns.servers"});
  EXPECT_TRUE(r.applied.empty());
}

TEST(ReloadPlan, TheControlSocketNeedsARestart) {
  const config::ConfigPtr next =
      load(std::string(kBase) + "database: { control_socket: /run/trunkguard/control.sock }\n");
  EXPECT_EQ(next->database.controlSocketPath(), "/run/trunkguard/control.sock");
  EXPECT_EQ(load(kBase)->database.controlSocketPath(), "trunkguard.db.ctl");
  const ReloadResult r = planReload(*load(kBase), *next);
  EXPECT_EQ(r.needsRestart, Keys{"database.control_socket"});
  EXPECT_TRUE(r.applied.empty());
}

TEST(ReloadPlan, LiveKeysAreAppliedUnderTheirEntry) {
  const ReloadResult r = planReload(*load(kBase), *changed("192.0.2.1", "192.0.2.9"));
  EXPECT_EQ(r.applied, Keys{"trunk.providers"});
  EXPECT_TRUE(r.needsRestart.empty());
  EXPECT_EQ(r.summary(), "applied: trunk.providers");
}

TEST(ReloadPlan, TheLockoutAppliesButItsCapacityDoesNot) {
  ReloadResult r = planReload(*load(kBase), *changed("failures: 5", "failures: 3"));
  EXPECT_EQ(r.applied, Keys{"accounts.lockout"});
  EXPECT_TRUE(r.needsRestart.empty());
  r = planReload(*load(kBase), *changed("max_tracked: 1000", "max_tracked: 2000"));
  EXPECT_TRUE(r.applied.empty());
  EXPECT_EQ(r.needsRestart, Keys{"accounts.lockout.max_tracked"});
}

TEST(ReloadPlan, AddedAndRemovedKeysCountAsChanges) {
  // A listener added, a section removed, one written that was not.
  std::string yaml = kBase;
  yaml.replace(yaml.find("guard:\n  scanner: { enabled: true }\n"),
               std::string("guard:\n  scanner: { enabled: true }\n").size(),
               "b2bua:\n  user_agent: pbx-gw\n");
  yaml.replace(yaml.find("[ \"udp://127.0.0.1:5070\" ]"), 26,
               "[ \"udp://127.0.0.1:5070\", \"udp://127.0.0.1:5071\" ]");
  const ReloadResult r = planReload(*load(kBase), *load(yaml));
  EXPECT_EQ(r.applied, (Keys{"b2bua", "guard"}));
  EXPECT_EQ(r.needsRestart, Keys{"pbx.listen"});
  EXPECT_EQ(r.summary(), "applied: b2bua, guard; needs a restart: pbx.listen");
}

TEST(ReloadPlan, AKeyNotInTheTableNeedsARestart) {
  EXPECT_FALSE(appliesLive("media.port_min"));  // a future section, until it says otherwise
  EXPECT_FALSE(appliesLive("workers"));
  EXPECT_TRUE(appliesLive("policy.rules[3].action"));
  EXPECT_TRUE(appliesLive("guard.acl.pbx.allow[0]"));
  EXPECT_TRUE(appliesLive("alerts.mail[0].to[1]"));
  EXPECT_FALSE(appliesLive("tls.handshake_timeout_ms"));
  EXPECT_TRUE(appliesLive("tls.certificate"));
  EXPECT_FALSE(appliesLive("tls.max_handshakes_per_source_per_s"));  // set at start
  EXPECT_FALSE(appliesLive("tcp.max_accepts_per_prefix_per_s"));
  EXPECT_TRUE(appliesLive("tcp.offences_before_ban"));  // the guard reads its new config
  EXPECT_TRUE(appliesLive("tcp.offence_window_s"));
  EXPECT_FALSE(appliesLive("logs"));  // a prefix only covers whole names
}

TEST(ReloadPlan, SummaryNamesWhatWasKept) {
  ReloadResult r;
  r.applied = {"guard"};
  r.failed = {"policy (rule 'x': unknown class)"};
  r.needsRestart = {"tcp.max_connections"};
  EXPECT_EQ(r.summary(),
            "applied: guard; kept the running policy (rule 'x': unknown class); needs a "
            "restart: tcp.max_connections");
  r = {};
  r.refused = true;
  EXPECT_EQ(r.summary(), "refused; keeping the running configuration");
}

}  // namespace
}  // namespace tg::app
