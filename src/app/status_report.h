#pragma once

// What `trunkguard status` shows: the running gateway's state gathered by Server::status()
// (on the control socket's thread), as one JSON document, and that document as text.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/capture/hep_exporter.h"
#include "app/reload_plan.h"
#include "app/server.h"
#include "b2bua/health.h"
#include "trunk/registration.h"

namespace tg::app {

struct ListenerFact {
  std::string zone;       // "pbx", "trunk", "public"
  std::string transport;  // "udp", "tcp", "tls"
  std::string address;    // "192.0.2.1:5060"
};

struct LastReload {
  ReloadResult result;
  int64_t atUnixSeconds = 0;
};

// The shared state store (docs/cluster.md): "memory", or Redis and how it answers.
struct StoreFact {
  std::string type = "memory";
  std::string state;  // redis: up | slow | down | connecting
  std::string node;   // store.node_id
  uint64_t commands = 0;
  uint64_t timedOut = 0;
  uint64_t localAnswers = 0;  // answered by this gateway's own store instead of Redis
  uint64_t connects = 0;
};

struct StatusFacts {
  std::string version;
  int64_t uptimeSeconds = 0;
  ServerSnapshot snapshot;
  std::vector<ListenerFact> listeners;
  std::vector<std::string> providers;  // configured, in priority order
  bool healthChecks = false;           // false: "up" only means never seen down
  std::vector<b2bua::PeerHealth> peers;
  std::vector<trunk::RegistrationStatus> registrations;
  size_t bans = 0;
  StoreFact store;
  std::optional<capture::CaptureStats> capture;  // none: no capture.hep
  std::optional<LastReload> lastReload;          // none: no SIGHUP since the start
};

// The JSON document the control socket answers (docs/operations.md "Status").
nlohmann::json statusJson(const StatusFacts& facts);

// statusJson as the control socket sends it: one line. Bytes that are not UTF-8 (provider
// error texts come from the network) become U+FFFD; never throws.
std::string statusDocument(const StatusFacts& facts);

// That document for a person; fields the document lacks are left out.
std::string statusText(const nlohmann::json& status);

}  // namespace tg::app
