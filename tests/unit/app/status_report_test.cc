// `trunkguard status`: the JSON document the control socket answers, its text form, and the
// command's answer when no gateway is running.

#include "app/status_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "app/status_command.h"

namespace tg::app {
namespace {

StatusFacts sampleFacts() {
  StatusFacts f;
  f.version = "trunkguard 9.9.9";
  f.uptimeSeconds = 42;
  f.snapshot.workers = 2;
  f.snapshot.workersAnswered = 2;
  f.snapshot.activeCalls = 3;
  f.snapshot.gateway.received = 17;
  f.snapshot.transport.oversizeDropped = 6;
  f.listeners = {{"pbx", "udp", "127.0.0.1:5060"}, {"trunk", "tls", "192.0.2.1:5061"}};
  f.providers = {"carrier-a", "carrier-b"};
  f.healthChecks = true;
  b2bua::PeerHealth a;
  a.name = "carrier-a";
  a.addresses.resize(2);
  a.addresses[1].up = false;
  b2bua::PeerHealth pbx;
  pbx.name = "pbx";
  pbx.addresses.resize(1);
  pbx.addresses[0].up = false;
  f.peers = {a, pbx};
  trunk::RegistrationStatus reg;
  reg.provider = "carrier-b";
  reg.state = trunk::RegistrationState::kFailed;
  reg.lastError = "403 Forbidden";
  f.registrations = {reg};
  f.bans = 5;
  return f;
}

TEST(StatusJson, CarriesEveryField) {
  const nlohmann::json j = statusJson(sampleFacts());
  EXPECT_EQ(j["version"], "trunkguard 9.9.9");
  EXPECT_EQ(j["uptime_s"], 42);
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["active_calls"], 3);
  EXPECT_EQ(j["bans"], 5);
  ASSERT_EQ(j["listeners"].size(), 2u);
  EXPECT_EQ(j["listeners"][1]["transport"], "tls");
  EXPECT_EQ(j["listeners"][1]["address"], "192.0.2.1:5061");
  EXPECT_EQ(j["counters"]["gateway"]["received"], 17);
  EXPECT_TRUE(j["counters"]["calls"].contains("callsStarted"));
  EXPECT_EQ(j["counters"]["transport"]["oversizeDropped"], 6);
  EXPECT_TRUE(j["counters"]["transport"].contains("datagramsReassembled"));
  EXPECT_TRUE(j["last_reload"].is_null());
}

TEST(StatusJson, EachGuardFilterHasItsOwnCounters) {
  StatusFacts f = sampleFacts();
  f.snapshot.filters[guard::FilterId::kScanner].blocked = 4;
  f.snapshot.filters[guard::FilterId::kRateLimit].shadowBlocked = 2;
  const nlohmann::json j = statusJson(f);
  const nlohmann::json& filters = j["counters"]["filters"];
  EXPECT_EQ(filters["scanner"]["blocked"], 4);
  EXPECT_EQ(filters["ratelimit"]["shadowBlocked"], 2);
  EXPECT_EQ(filters["overload"]["passed"], 0);  // every filter, enabled or not
  const std::string text = statusText(j);
  EXPECT_NE(text.find("\n  filters.scanner.blocked 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  filters.ratelimit.shadowBlocked 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("filters.overload"), std::string::npos) << "zero counters are left out";
}

// Each call-admission filter's counters, in chain order, summed over the workers.
TEST(StatusJson, EachAdmissionFilterHasItsOwnCounters) {
  StatusFacts f = sampleFacts();
  b2bua::admission::AdmissionStats worker;
  worker.names = {"phone_auth", "call_policy"};
  worker.filters.resize(2);
  worker.filters[0].refused = 3;
  worker.filters[1].shadowRefused = 1;
  f.snapshot.admission += worker;
  f.snapshot.admission += worker;
  const nlohmann::json j = statusJson(f);
  const nlohmann::json& admission = j["counters"]["admission"];
  EXPECT_EQ(admission["phone_auth"]["refused"], 6);
  EXPECT_EQ(admission["call_policy"]["shadowRefused"], 2);
  const std::string text = statusText(j);
  EXPECT_NE(text.find("\n  admission.phone_auth.refused 6\n"), std::string::npos) << text;
}

TEST(StatusJson, ProvidersWithHealthAndRegistration) {
  const nlohmann::json j = statusJson(sampleFacts());
  ASSERT_EQ(j["providers"].size(), 2u);
  EXPECT_EQ(j["providers"][0]["name"], "carrier-a");
  EXPECT_EQ(j["providers"][0]["up"], true);
  EXPECT_EQ(j["providers"][0]["addresses"], 2);
  EXPECT_EQ(j["providers"][0]["addresses_up"], 1);
  EXPECT_FALSE(j["providers"][0].contains("registration"));
  EXPECT_FALSE(j["providers"][1].contains("up"));  // no health entry known
  EXPECT_EQ(j["providers"][1]["registration"], "failed");
  EXPECT_EQ(j["providers"][1]["registration_error"], "403 Forbidden");
  ASSERT_EQ(j["pbx"].size(), 1u);
  EXPECT_EQ(j["pbx"][0]["up"], false);
}

TEST(StatusJson, TheLastReload) {
  StatusFacts f = sampleFacts();
  ReloadResult r;
  r.applied = {"policy"};
  r.needsRestart = {"database.control_socket"};
  f.lastReload = LastReload{r, 1700000000};
  const nlohmann::json j = statusJson(f);
  EXPECT_EQ(j["last_reload"]["at"], 1700000000);
  EXPECT_EQ(j["last_reload"]["refused"], false);
  EXPECT_EQ(j["last_reload"]["applied"], nlohmann::json::array({"policy"}));
  EXPECT_EQ(j["last_reload"]["needs_restart"], nlohmann::json::array({"database.control_socket"}));
  EXPECT_EQ(j["last_reload"]["summary"],
            "applied: policy; needs a restart: database.control_socket");
}

TEST(StatusJson, ProviderErrorsThatAreNotUtf8StillMakeADocument) {
  StatusFacts f = sampleFacts();
  f.registrations[0].lastError = "403 \xff\xfe";
  const std::string text = statusDocument(f);
  EXPECT_NE(text.find("403 \xEF\xBF\xBD"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);  // one line
}

TEST(StatusText, ReadsTheDocument) {
  StatusFacts f = sampleFacts();
  ReloadResult r;
  r.needsRestart = {"tcp.idle_timeout_s"};
  f.lastReload = LastReload{r, 1};
  const std::string text = statusText(statusJson(f));
  EXPECT_NE(text.find("trunkguard 9.9.9, up 42 s, 2 worker(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("active calls: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("bans: 5"), std::string::npos) << text;
  EXPECT_NE(text.find("trunk  tls://192.0.2.1:5061"), std::string::npos) << text;
  EXPECT_NE(text.find("carrier-a        up (1/2 addresses up)"), std::string::npos) << text;
  EXPECT_NE(text.find("registration failed (403 Forbidden)"), std::string::npos) << text;
  EXPECT_NE(text.find("gateway.received 17"), std::string::npos) << text;
  EXPECT_NE(text.find("restart the gateway to apply: tcp.idle_timeout_s"), std::string::npos)
      << text;
}

TEST(StatusText, CaptureCountersWhenCaptureIsOn) {
  StatusFacts f = sampleFacts();
  EXPECT_FALSE(statusJson(f).contains("capture"));
  f.capture.emplace();
  f.capture->sent = 40;
  f.capture->dropped = 2;
  const nlohmann::json j = statusJson(f);
  EXPECT_EQ(j["capture"]["sent"], 40);
  EXPECT_EQ(j["capture"]["dropped"], 2);
  EXPECT_EQ(j["capture"]["send_errors"], 0);
  const std::string text = statusText(j);
  EXPECT_NE(text.find("capture: HEP 40 sent, 2 dropped, 0 send errors"), std::string::npos) << text;
}

TEST(StatusText, NoReloadYet) {
  const std::string text = statusText(statusJson(sampleFacts()));
  EXPECT_NE(text.find("last reload: none since the start"), std::string::npos) << text;
}

TEST(StatusCommand, SaysWhenNoGatewayIsRunning) {
  const std::string socket =
      (std::filesystem::temp_directory_path() / "tg-status-test-nobody.ctl").string();
  std::filesystem::remove(socket);
  StatusOptions o;
  o.socketPath = socket;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runStatus(o, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "status: no gateway is running: cannot connect to " + socket +
                           ": No such file or directory\n");
}

TEST(StatusCommand, NeedsAConfigOrASocket) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runStatus(StatusOptions{}, out, err), 2);
  EXPECT_NE(err.str().find("give -c CONFIG"), std::string::npos);
}

}  // namespace
}  // namespace tg::app
