// The top-level keys of the configuration, each with its reader. Adding a section: write its
// reader in its own <name>_section.cc, declare it here and add its row.

#include "config/sections.h"

#include "config/loader.h"

namespace tg::config::detail {

void readWorkers(Loader& loader, const YAML::Node& node, int line, Config& c);    // runtime
void readPbx(Loader& loader, const YAML::Node& node, int line, Config& c);        // zones
void readTrunk(Loader& loader, const YAML::Node& node, int line, Config& c);      // zones
void readPublic(Loader& loader, const YAML::Node& node, int line, Config& c);     // zones
void readTimers(Loader& loader, const YAML::Node& node, int line, Config& c);     // b2bua
void readHealth(Loader& loader, const YAML::Node& node, int line, Config& c);     // b2bua
void readB2bua(Loader& loader, const YAML::Node& node, int line, Config& c);      // b2bua
void readTcp(Loader& loader, const YAML::Node& node, int line, Config& c);        // b2bua
void readLimits(Loader& loader, const YAML::Node& node, int line, Config& c);     // b2bua
void readLog(Loader& loader, const YAML::Node& node, int line, Config& c);        // runtime
void readDatabase(Loader& loader, const YAML::Node& node, int line, Config& c);   // runtime
void readGuard(Loader& loader, const YAML::Node& node, int line, Config& c);      // guard
void readTls(Loader& loader, const YAML::Node& node, int line, Config& c);        // tls
void readAccounts(Loader& loader, const YAML::Node& node, int line, Config& c);   // accounts
void readDns(Loader& loader, const YAML::Node& node, int line, Config& c);        // dns
void readFraud(Loader& loader, const YAML::Node& node, int line, Config& c);      // fraud
void readMedia(Loader& loader, const YAML::Node& node, int line, Config& c);      // media
void readAdmin(Loader& loader, const YAML::Node& node, int line, Config& c);      // admin
void readAlerts(Loader& loader, const YAML::Node& node, int line, Config& c);     // alerts
void readAdmission(Loader& loader, const YAML::Node& node, int line, Config& c);  // admission
void readIdentity(Loader& loader, const YAML::Node& node, int line, Config& c);   // identity
void readStore(Loader& loader, const YAML::Node& node, int line, Config& c);      // store
void readCapture(Loader& loader, const YAML::Node& node, int line, Config& c);    // capture

namespace {

void readPolicySection(Loader& loader, const YAML::Node& node, int line, Config& c) {
  loader.readPolicy(node, line, c);
}

// Read in this order: a zone's listeners are known before the checks that span zones.
constexpr Section kSections[] = {
    {"workers", readWorkers},
    {"pbx", readPbx, "missing; the pbx zone (listen, targets) is required"},
    {"trunk", readTrunk, "missing; the trunk zone (listen, providers) is required"},
    {"public", readPublic},
    {"timers", readTimers},
    {"health", readHealth},
    {"b2bua", readB2bua},
    {"tcp", readTcp},
    {"limits", readLimits},
    {"log", readLog},
    {"database", readDatabase},
    {"guard", readGuard},
    {"policy", readPolicySection},
    {"admission", readAdmission},
    {"tls", readTls},
    {"accounts", readAccounts},
    {"dns", readDns},
    {"fraud", readFraud},
    {"media", readMedia},
    {"admin", readAdmin},
    {"identity", readIdentity},
    {"alerts", readAlerts},
    {"store", readStore},
    {"capture", readCapture},
};

}  // namespace

std::span<const Section> sections() { return kSections; }

}  // namespace tg::config::detail
