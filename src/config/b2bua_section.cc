// The SIP engine's tunables: `timers:` (RFC 3261 T1/T2/T4), `health:` (OPTIONS pings),
// `b2bua:` (copied headers, call timeouts), `tcp:` (connection limits) and `limits:` (message
// size limits the validator enforces).

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "config/loader.h"

namespace tg::config::detail {
namespace {

// Header field-name token characters (RFC 3261 §25.1).
bool isHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
        std::string_view("-.!%*_+`'~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void readTimers(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "timers", line, {"t1_ms", "t2_ms", "t4_ms"});
  if (!m.valid()) return;
  constexpr int64_t kMax = 600000;  // ten minutes: beyond that a timer is a typo
  loader.setDuration(m, "t1_ms", c.timers.t1, 1, kMax);
  loader.setDuration(m, "t2_ms", c.timers.t2, 1, kMax);
  loader.setDuration(m, "t4_ms", c.timers.t4, 1, kMax);
  if (c.timers.t1 > c.timers.t2) {
    const int at = m.has("t1_ms") ? Loader::valueLine(m, "t1_ms") : Loader::valueLine(m, "t2_ms");
    loader.error(at, m.pathOf("t1_ms"),
                 "t1_ms (" + std::to_string(c.timers.t1.count()) + ") is larger than t2_ms (" +
                     std::to_string(c.timers.t2.count()) + "); RFC 3261 needs t1 <= t2");
  }
}

void readHealth(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "health", line, {"interval_ms", "failures_before_down"});
  if (!m.valid()) return;
  loader.setDuration(m, "interval_ms", c.health.interval, 0, 86400000);
  loader.setInt(m, "failures_before_down", c.health.failuresBeforeDown, 1, 100);
}

void readB2bua(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "b2bua", line,
              {"copy_headers", "user_agent", "max_call_duration_s", "no_answer_timeout_s"});
  if (!m.valid()) return;
  if (m.has("copy_headers")) {
    // The B2BUA writes these itself; copying them across would leak the other side's
    // topology or credentials.
    static const std::set<std::string> kBuiltHere = {"via",
                                                     "v",
                                                     "route",
                                                     "record-route",
                                                     "contact",
                                                     "m",
                                                     "call-id",
                                                     "i",
                                                     "cseq",
                                                     "from",
                                                     "f",
                                                     "to",
                                                     "t",
                                                     "max-forwards",
                                                     "content-length",
                                                     "l",
                                                     "authorization",
                                                     "proxy-authorization",
                                                     "www-authenticate",
                                                     "proxy-authenticate"};
    // Reliable provisionals (RFC 3262) are negotiated per leg: a copied Require: 100rel, RSeq
    // or RAck would promise the other side a PRACK exchange that leg never agreed to.
    static const std::set<std::string> kPerLegExtensions = {"require", "rseq", "rack"};
    std::vector<std::string> headers;
    for (const auto& item : loader.readStringList(m, "copy_headers")) {
      if (!isHeaderName(item.value)) {
        loader.error(item.line, item.path, "'" + item.value + "' is not a header name");
      } else if (kBuiltHere.contains(lowercase(item.value))) {
        loader.error(item.line, item.path,
                     "'" + item.value +
                         "' is written by the B2BUA itself and must not be copied "
                         "between legs (it would leak topology or credentials); remove it");
      } else if (kPerLegExtensions.contains(lowercase(item.value))) {
        loader.error(item.line, item.path,
                     "'" + item.value +
                         "' belongs to one leg's 100rel/PRACK exchange (RFC 3262) and is never "
                         "copied between legs; remove it");
      } else {
        headers.push_back(item.value);
      }
    }
    c.b2bua.copyHeaders = std::move(headers);
  }
  if (m.has("user_agent")) {
    if (auto ua = loader.readString(m, "user_agent")) {
      const bool printable = std::all_of(ua->begin(), ua->end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7F;
      });
      if (!printable) {
        loader.error(Loader::valueLine(m, "user_agent"), m.pathOf("user_agent"),
                     "contains control characters; use plain text");
      } else {
        c.b2bua.userAgent = *ua;
      }
    }
  }
  loader.setDuration(m, "max_call_duration_s", c.b2bua.maxCallDuration, 0, 7 * 86400);
  loader.setDuration(m, "no_answer_timeout_s", c.b2bua.noAnswerTimeout, 1, 86400);
}

void readTcp(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(
      loader, node, "tcp", line,
      {"idle_timeout_s", "max_connections_per_source", "max_connections",
       "max_connections_per_prefix", "reserved_for_peers", "first_message_timeout_ms",
       "message_timeout_ms", "max_accepts_per_source_per_s", "max_accepts_per_prefix_per_s",
       "connect_timeout_ms", "max_send_queue_bytes", "offences_before_ban", "offence_window_s"});
  if (!m.valid()) return;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  loader.setDuration(m, "idle_timeout_s", c.tcp.idleTimeout, 1, 86400);
  loader.setInt(m, "max_connections_per_source", c.tcp.maxConnectionsPerSource, 1, kIntMax);
  loader.setInt(m, "max_connections", c.tcp.maxConnections, 1, kIntMax);
  loader.setInt(m, "max_connections_per_prefix", c.tcp.maxConnectionsPerPrefix, 1, kIntMax);
  loader.setInt(m, "reserved_for_peers", c.tcp.reservedForPeers, 0, kIntMax);
  loader.setDuration(m, "first_message_timeout_ms", c.tcp.firstMessageTimeout, 0, 600000);
  loader.setDuration(m, "message_timeout_ms", c.tcp.messageTimeout, 0, 600000);
  loader.setInt(m, "max_accepts_per_source_per_s", c.tcp.maxAcceptsPerSourcePerSecond, 0, kIntMax);
  loader.setInt(m, "max_accepts_per_prefix_per_s", c.tcp.maxAcceptsPerPrefixPerSecond, 0, kIntMax);
  loader.setDuration(m, "connect_timeout_ms", c.tcp.connectTimeout, 100, 120000);
  // Below 64 KiB one large INVITE or NOTIFY could not even be queued.
  loader.setInt(m, "max_send_queue_bytes", c.tcp.maxSendQueueBytes, 65536, kIntMax);
  loader.setInt(m, "offences_before_ban", c.tcp.offencesBeforeBan, 1, 100000);
  loader.setDuration(m, "offence_window_s", c.tcp.offenceWindow, 1, 86400);
  if (!m.has("reserved_for_peers")) {
    // The default reserve never takes more than a quarter of a small table.
    c.tcp.reservedForPeers = std::min(c.tcp.reservedForPeers, c.tcp.maxConnections / 4);
  } else if (c.tcp.reservedForPeers >= c.tcp.maxConnections) {
    loader.error(m.keyLine("reserved_for_peers"), m.pathOf("reserved_for_peers"),
                 "tcp.reserved_for_peers (" + std::to_string(c.tcp.reservedForPeers) +
                     ") must be below tcp.max_connections (" +
                     std::to_string(c.tcp.maxConnections) + "): the public zone needs room");
  }
}

void readLimits(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(
      loader, node, "limits", line,
      {"max_message_bytes", "max_headers", "max_vias", "max_uri_length", "max_header_value_bytes"});
  if (!m.valid()) return;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  loader.setInt(m, "max_message_bytes", c.limits.maxMessageBytes, 1, kIntMax);
  loader.setInt(m, "max_headers", c.limits.maxHeaders, 1, kIntMax);
  loader.setInt(m, "max_vias", c.limits.maxVias, 1, kIntMax);
  loader.setInt(m, "max_uri_length", c.limits.maxUriLength, 1, kIntMax);
  loader.setInt(m, "max_header_value_bytes", c.limits.maxHeaderValueBytes, 1, kIntMax);
}

}  // namespace tg::config::detail
