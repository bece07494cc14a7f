#include "app/admin_api/metrics_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tg::app::admin_api {
namespace {

// HELP text: backslash and line feed escaped.
std::string escapeHelp(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label values: backslash, double quote and line feed escaped.
std::string escapeLabel(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(help), name, type);
  }
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    out_ += labels.empty() ? fmt::format("{} {}\n", name, value)
                           : fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  void single(std::string_view name, std::string_view type, std::string_view help, uint64_t value) {
    family(name, type, help);
    sample(name, {}, value);
  }
  void counter(std::string_view component, std::string_view field, std::string_view help,
               uint64_t value) {
    single(fmt::format("trunkguard_{}_{}_total", component, snakeCase(field)), "counter", help,
           value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, escapeLabel(value));
}

#define TG_METRIC_COUNTER(name, help) e.counter(component, #name, help, s.name);
void counters(Exposition& e, const ServerSnapshot& snapshot) {
  {
    const GatewayStats& s = snapshot.gateway;
    const std::string_view component = "gateway";
    TG_GATEWAY_COUNTERS(TG_METRIC_COUNTER)
  }
  {
    const b2bua::B2buaStats& s = snapshot.calls;
    const std::string_view component = "b2bua";
    TG_B2BUA_COUNTERS(TG_METRIC_COUNTER)
  }
  {
    const guard::GuardStats& s = snapshot.guard;
    const std::string_view component = "guard";
    TG_GUARD_COUNTERS(TG_METRIC_COUNTER)
  }
  {
    const transaction::LargeRequestStats& s = snapshot.largeRequests;
    const std::string_view component = "large_requests";
    TG_LARGE_REQUEST_COUNTERS(TG_METRIC_COUNTER)
  }
  {
    const transport::TransportStats& s = snapshot.transport;
    const std::string_view component = "transport";
    TG_TRANSPORT_COUNTERS(TG_METRIC_COUNTER)
  }
}

void captureCounters(Exposition& e, const StatusFacts& f) {
  if (!f.capture) return;
  const capture::CaptureStats& s = *f.capture;
  const std::string_view component = "capture";
  TG_CAPTURE_COUNTERS(TG_METRIC_COUNTER)
}
#undef TG_METRIC_COUNTER

void peers(Exposition& e, const StatusFacts& f) {
  e.family("trunkguard_peer_address_up", "gauge",
           "1 while health checks find the peer address up (PBX targets and providers)");
  for (const b2bua::PeerHealth& p : f.peers) {
    for (const b2bua::AddressHealth& a : p.addresses) {
      e.sample("trunkguard_peer_address_up",
               label("peer", p.name) + "," +
                   label("transport", config::transportName(a.target.transport)) + "," +
                   label("address", a.target.address.toString()),
               a.up ? 1 : 0);
    }
  }
  e.family("trunkguard_peer_health_pings_total", "counter",
           "OPTIONS pings sent to the peer address");
  for (const b2bua::PeerHealth& p : f.peers) {
    for (const b2bua::AddressHealth& a : p.addresses) {
      e.sample("trunkguard_peer_health_pings_total",
               label("peer", p.name) + "," +
                   label("transport", config::transportName(a.target.transport)) + "," +
                   label("address", a.target.address.toString()),
               a.pingsSent);
    }
  }
}

void registrations(Exposition& e, const StatusFacts& f) {
  e.family("trunkguard_provider_registered", "gauge",
           "1 while the gateway holds a registration with the provider");
  for (const trunk::RegistrationStatus& r : f.registrations) {
    const bool registered = r.state == trunk::RegistrationState::kRegistered ||
                            r.state == trunk::RegistrationState::kRefreshing;
    e.sample("trunkguard_provider_registered", label("provider", r.provider), registered ? 1 : 0);
  }
}

}  // namespace

std::string snakeCase(std::string_view camel) {
  std::string out;
  out.reserve(camel.size() + 4);
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c)) != 0) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

std::string metricsText(const StatusFacts& f) {
  Exposition e;
  e.family("trunkguard_build_info", "gauge", "the running version (always 1)");
  e.sample("trunkguard_build_info", label("version", f.version), 1);
  e.single("trunkguard_uptime_seconds", "gauge", "seconds since the gateway started",
           static_cast<uint64_t>(std::max<int64_t>(0, f.uptimeSeconds)));
  e.single("trunkguard_workers", "gauge", "SIP worker threads", f.snapshot.workers);
  e.single("trunkguard_workers_answered", "gauge",
           "workers whose counters this scrape holds (fewer: one was busy past 2 s)",
           f.snapshot.workersAnswered);
  e.single("trunkguard_active_calls", "gauge", "calls in progress", f.snapshot.activeCalls);
  e.single("trunkguard_bans_active", "gauge", "banned sources and networks in the ban list",
           f.bans);
  counters(e, f.snapshot);
  captureCounters(e, f);
  peers(e, f);
  registrations(e, f);
  return e.take();
}

}  // namespace tg::app::admin_api
