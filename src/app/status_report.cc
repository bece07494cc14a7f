#include "app/status_report.h"

#include <fmt/format.h>

namespace tg::app {
namespace {

template <typename Stats>
nlohmann::json countersOf(const Stats& s);

#define TG_STATUS_COUNTER(name, help) j[#name] = s.name.load();
template <>
nlohmann::json countersOf(const GatewayStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_GATEWAY_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
template <>
nlohmann::json countersOf(const b2bua::B2buaStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_B2BUA_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
template <>
nlohmann::json countersOf(const guard::GuardStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_GUARD_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
template <>
nlohmann::json countersOf(const transport::TransportStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_TRANSPORT_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
template <>
nlohmann::json countersOf(const guard::FilterStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_FILTER_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
template <>
nlohmann::json countersOf(const b2bua::admission::FilterStats& s) {
  nlohmann::json j = nlohmann::json::object();
  TG_ADMISSION_FILTER_COUNTERS(TG_STATUS_COUNTER)
  return j;
}
#undef TG_STATUS_COUNTER

// Each call-admission filter's counters under its name, in chain order.
nlohmann::json admissionCounters(const b2bua::admission::AdmissionStats& stats) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < stats.names.size() && i < stats.filters.size(); ++i) {
    j[std::string(stats.names[i])] = countersOf(stats.filters[i]);
  }
  return j;
}

// Each guard filter's counters under its config name, every filter whether enabled or not.
nlohmann::json filterCounters(const guard::FilterStatsTable& table) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < guard::kFilterCount; ++i) {
    const auto id = static_cast<guard::FilterId>(i);
    j[std::string(guard::filterName(id))] = countersOf(table[id]);
  }
  return j;
}

// The non-zero counters under `prefix` as "  prefix.name value" lines, nested groups joined
// with dots ("filters.scanner.blocked").
void appendCounterLines(const std::string& prefix, const nlohmann::json& values, std::string& out) {
  for (const auto& [name, value] : values.items()) {
    if (value.is_object()) {
      appendCounterLines(prefix + "." + name, value, out);
    } else if (value.is_number() && value.get<uint64_t>() != 0) {
      out += fmt::format("  {}.{} {}\n", prefix, name, value.dump());
    }
  }
}

const b2bua::PeerHealth* healthOf(const StatusFacts& f, const std::string& name) {
  for (const b2bua::PeerHealth& p : f.peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

nlohmann::json healthJson(const b2bua::PeerHealth* h) {
  nlohmann::json j = nlohmann::json::object();
  if (h == nullptr) return j;
  j["up"] = h->up();
  j["addresses"] = h->addresses.size();
  j["addresses_up"] = h->upCount();
  return j;
}

std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string joined(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + item.get<std::string>();
  return out;
}

}  // namespace

nlohmann::json statusJson(const StatusFacts& f) {
  nlohmann::json j;
  j["version"] = f.version;
  j["uptime_s"] = f.uptimeSeconds;
  j["workers"] = f.snapshot.workers;
  j["workers_answered"] = f.snapshot.workersAnswered;
  j["active_calls"] = f.snapshot.activeCalls;
  j["bans"] = f.bans;
  j["store"] = {{"type", f.store.type}};
  if (f.store.type == "redis") {
    j["store"].update({{"state", f.store.state},
                       {"node_id", f.store.node},
                       {"commands", f.store.commands},
                       {"timed_out", f.store.timedOut},
                       {"local_answers", f.store.localAnswers},
                       {"connects", f.store.connects}});
  }
  if (f.capture) {
    j["capture"] = {{"sent", f.capture->sent.load()},
                    {"dropped", f.capture->dropped.load()},
                    {"send_errors", f.capture->sendErrors.load()}};
  }

  j["listeners"] = nlohmann::json::array();
  for (const ListenerFact& l : f.listeners) {
    j["listeners"].push_back(
        {{"zone", l.zone}, {"transport", l.transport}, {"address", l.address}});
  }

  j["health_checks"] = f.healthChecks;
  j["providers"] = nlohmann::json::array();
  for (const std::string& name : f.providers) {
    nlohmann::json p = {{"name", name}};
    p.update(healthJson(healthOf(f, name)));
    for (const trunk::RegistrationStatus& r : f.registrations) {
      if (r.provider != name) continue;
      p["registration"] = std::string(trunk::registrationStateName(r.state));
      if (!r.lastError.empty()) p["registration_error"] = r.lastError;
    }
    j["providers"].push_back(std::move(p));
  }
  j["pbx"] = nlohmann::json::array();
  for (const b2bua::PeerHealth& h : f.peers) {
    if (h.name.rfind("pbx", 0) != 0) continue;
    nlohmann::json p = {{"name", h.name}};
    p.update(healthJson(&h));
    j["pbx"].push_back(std::move(p));
  }

  j["counters"] = {{"gateway", countersOf(f.snapshot.gateway)},
                   {"calls", countersOf(f.snapshot.calls)},
                   {"guard", countersOf(f.snapshot.guard)},
                   {"filters", filterCounters(f.snapshot.filters)},
                   {"admission", admissionCounters(f.snapshot.admission)},
                   {"transport", countersOf(f.snapshot.transport)}};

  if (!f.lastReload) {
    j["last_reload"] = nullptr;
  } else {
    const ReloadResult& r = f.lastReload->result;
    j["last_reload"] = {
        {"at", f.lastReload->atUnixSeconds}, {"refused", r.refused}, {"applied", r.applied},
        {"needs_restart", r.needsRestart},   {"failed", r.failed},   {"summary", r.summary()}};
  }
  return j;
}

std::string statusDocument(const StatusFacts& facts) {
  return statusJson(facts).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string statusText(const nlohmann::json& s) {
  std::string out = fmt::format("{}, up {} s, {} worker(s)\n", text(s, "version"),
                                text(s, "uptime_s"), text(s, "workers"));
  out += fmt::format("active calls: {}\nbans: {}\n", text(s, "active_calls"), text(s, "bans"));
  if (auto st = s.find("store"); st != s.end() && st->is_object()) {
    if (st->contains("state")) {
      out +=
          fmt::format("store: redis {} (node {}, {} commands, {} timed out, {} answered locally)\n",
                      text(*st, "state"), text(*st, "node_id"), text(*st, "commands"),
                      text(*st, "timed_out"), text(*st, "local_answers"));
    } else {
      out += fmt::format("store: {}\n", text(*st, "type"));
    }
  }
  if (auto c = s.find("capture"); c != s.end() && c->is_object()) {
    out += fmt::format("capture: HEP {} sent, {} dropped, {} send errors\n", text(*c, "sent"),
                       text(*c, "dropped"), text(*c, "send_errors"));
  }
  if (auto it = s.find("listeners"); it != s.end() && it->is_array()) {
    out += "listening:\n";
    for (const auto& l : *it) {
      out += fmt::format("  {:<6} {}://{}\n", text(l, "zone"), text(l, "transport"),
                         text(l, "address"));
    }
  }
  for (const char* group : {"providers", "pbx"}) {
    auto it = s.find(group);
    if (it == s.end() || !it->is_array() || it->empty()) continue;
    out += std::string(group) + ":\n";
    for (const auto& p : *it) {
      std::string health = "not checked";
      if (p.contains("up") && s.value("health_checks", false)) {
        health = fmt::format("{} ({}/{} addresses up)", p["up"].get<bool>() ? "up" : "DOWN",
                             text(p, "addresses_up"), text(p, "addresses"));
      }
      std::string reg;
      if (p.contains("registration")) reg = ", registration " + text(p, "registration");
      if (p.contains("registration_error")) reg += " (" + text(p, "registration_error") + ")";
      out += fmt::format("  {:<16} {}{}\n", text(p, "name"), health, reg);
    }
  }
  if (auto it = s.find("counters"); it != s.end() && it->is_object()) {
    out += "counters:\n";
    for (const auto& [group, values] : it->items()) appendCounterLines(group, values, out);
  }
  const auto reload = s.find("last_reload");
  if (reload == s.end() || reload->is_null()) {
    out += "last reload: none since the start\n";
  } else {
    out += fmt::format("last reload: {}\n", text(*reload, "summary"));
    if (const std::string restart = joined((*reload)["needs_restart"]); !restart.empty()) {
      out += "  restart the gateway to apply: " + restart + "\n";
    }
  }
  return out;
}

}  // namespace tg::app
