#pragma once

// The gateway's configuration: parsed once from YAML into these immutable structs
// (config_loader.h), validated, then shared read-only by every worker. A reload builds a new
// Config and swaps a shared_ptr; nothing here is mutated after loading.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "config/accounts_config.h"
#include "config/admin_config.h"
#include "config/admission_config.h"
#include "config/cidr.h"
#include "config/dns_config.h"
#include "config/fraud_config.h"
#include "config/guard_config.h"
#include "config/identity_config.h"
#include "config/media_config.h"
#include "config/policy_config.h"
#include "config/provider_auth_config.h"
#include "config/store_config.h"
#include "config/tls_config.h"
#include "sip/validator.h"

namespace tg::config {

enum class TransportKind : uint8_t { kUdp, kTcp, kTls };
std::string_view transportName(TransportKind t);     // "udp", "tcp", "tls"
std::string_view viaTransportName(TransportKind t);  // "UDP", "TCP", "TLS" (a Via's protocol)
std::optional<TransportKind> parseTransportName(std::string_view name);  // the inverse

// "udp://127.0.0.1:5060", "tcp://[::1]:5070".
struct Listener {
  TransportKind transport = TransportKind::kUdp;
  base::Address address;
  std::string text;  // as written, for messages
};

// Parses a listener URL; on failure returns nullopt and says what to write in *error.
std::optional<Listener> parseListener(std::string_view url, std::string* error = nullptr);

// A SIP peer the gateway sends to: the PBX or a provider.
struct PeerTarget {
  std::string host;  // IP literal or DNS name (resolved per RFC 3263 by src/trunk/)
  uint16_t port = 5060;
  TransportKind transport = TransportKind::kUdp;
  bool explicitPort = false;  // `port:` was written: no SRV lookup (RFC 3263 §4.2)
};

// Who calls from one pbx.targets entry count as in the call policy (docs/policy.md, "Who a PBX
// call counts as"): the From user is the PBX's to choose per call, so it is never the account.
struct PbxPeer {
  std::string name;            // `name:`; default "pbx:<host>"
  std::string identityHeader;  // `identity_header:` (e.g. X-Account); empty: none is asserted
  std::vector<Cidr> sources;   // where this entry sends from: `sources:`, else its host literal
};

struct PbxZone {
  std::vector<Listener> listen;
  std::vector<PeerTarget> targets;   // where calls from the trunk go (first healthy wins)
  std::vector<PbxPeer> peers;        // one per target, in the same order
  std::vector<Cidr> allowedSources;  // defaults to the targets' addresses
  bool allowRefer = false;
  std::string domain;  // host used in URIs toward the PBX (default: its IP)
};

struct Provider {
  std::string name;
  PeerTarget target;
  int priority = 10;                 // lower is tried first
  std::vector<Cidr> allowedSources;  // defaults to the target's address
  bool allowPlaintext = false;       // required for non-TLS providers (encryption default)
  std::string domain;                // host used in To/R-URI toward this provider
  ProviderTls tls;                   // certificate checks (tls_config.h)
  ProviderAuth auth;                 // credentials and registration (provider_auth_config.h)
  std::optional<SrtpSetting> srtp;   // media encryption for its calls (media_config.h)
};

struct TrunkZone {
  std::vector<Listener> listen;
  std::vector<Provider> providers;  // sorted by priority after loading
  bool allowRefer = false;
};

struct PublicZone {
  std::vector<Listener> listen;
  bool allowRefer = false;
  PublicAuth auth;  // remote phones (accounts_config.h)
};

struct TransactionTimers {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
};

struct HealthCheck {
  std::chrono::milliseconds interval{30000};  // OPTIONS ping period per peer; 0 disables
  int failuresBeforeDown = 2;
};

struct B2buaSettings {
  // Headers copied from one leg to the other, besides the ones the B2BUA builds itself.
  std::vector<std::string> copyHeaders = {"Allow",  "Supported",           "Session-Expires",
                                          "Min-SE", "Content-Disposition", "Accept"};
  std::string userAgent = "trunkguard";     // sent as User-Agent / Server; empty sends none
  std::chrono::seconds maxCallDuration{0};  // 0 = unlimited (policy issue adds rules)
  std::chrono::seconds noAnswerTimeout{180};
};

struct TcpSettings {
  std::chrono::seconds idleTimeout{300};
  size_t maxConnectionsPerSource = 16;
  size_t maxConnections = 4096;
  // Inbound connections from one /24 (IPv4) or /64 (IPv6).
  size_t maxConnectionsPerPrefix = 256;
  // Slots of max_connections that public-zone connections cannot take: the pbx and trunk
  // zones' peers (their sources are the configured PBX and providers) always find room.
  size_t reservedForPeers = 64;
  // New inbound connections accepted from one IP address per second; 0: no limit.
  size_t maxAcceptsPerSourcePerSecond = 100;
  // An inbound connection that has not delivered a complete SIP message this long after it
  // opened (TLS: after the handshake) is closed.
  std::chrono::milliseconds firstMessageTimeout{5000};
  // A message whose first bytes arrived this long ago and that is still incomplete is closed
  // with its connection (slowloris: one byte every few seconds).
  std::chrono::milliseconds messageTimeout{10000};
  // New inbound connections accepted per second from one /24 (IPv4) or /64 (IPv6), over all
  // workers; 0: no limit. Off too when maxAcceptsPerSourcePerSecond is 0.
  size_t maxAcceptsPerPrefixPerSecond = 1000;
  // An outbound connection (to a provider or the PBX) not established by then is given up.
  std::chrono::milliseconds connectTimeout{5000};
  // Bytes queued for one connection's peer beyond which it is disconnected (a slow reader).
  size_t maxSendQueueBytes = 4 << 20;
  // Failed or stalled TLS handshakes and framing errors from one public source, counted over
  // all workers: this many within offenceWindow ban it (guard.bans).
  uint32_t offencesBeforeBan = 10;
  std::chrono::seconds offenceWindow{60};
};

struct LogSettings {
  std::string level = "info";                  // trace, debug, info, warn, error, off
  std::string format = "text";                 // text | json
  std::map<std::string, std::string> modules;  // per-module level, e.g. {b2bua: debug}
  std::string output = "stderr";               // stderr | journal | syslog | file
  std::string file{};                          // output: file — absolute path, SIGUSR1 reopens
  std::string syslogSocket = "/dev/log";       // output: syslog — the local daemon's socket
};

struct DatabaseSettings {
  std::string path = "trunkguard.db";  // relative paths are relative to the config file
  // The key sealing admin TOTP secrets (base/sealed_secret.h); empty: path + ".key". A
  // `credential:NAME` value is already resolved to $CREDENTIALS_DIRECTORY/NAME.
  std::string keyFile;
  std::string sealingKeyPath() const { return keyFile.empty() ? path + ".key" : keyFile; }
  // The local control socket `trunkguard status` asks (app/control_socket.h); empty:
  // path + ".ctl", none for an in-memory database. Relative to the config file.
  std::string controlSocket;
  std::string controlSocketPath() const {
    if (!controlSocket.empty()) return controlSocket;
    return path == ":memory:" ? std::string() : path + ".ctl";
  }
};

struct Config {
  std::string sourcePath;  // the file it came from
  int workers = 1;
  PbxZone pbx;
  TrunkZone trunk;
  std::optional<PublicZone> publicZone;
  TransactionTimers timers;
  HealthCheck health;
  B2buaSettings b2bua;
  TcpSettings tcp;
  sip::Limits limits;
  LogSettings log;
  DatabaseSettings database;
  GuardSettings guard;                 // perimeter defense (guard_config.h)
  PolicySettings policy;               // toll-fraud call policy (policy_config.h)
  AdmissionSettings admission;         // the call admission filters' switches (admission_config.h)
  TlsSettings tls;                     // listener certificates, handshake limits (tls_config.h)
  AccountSettings accounts;            // password policy, lockout, nonces (accounts_config.h)
  DnsSettings dns;                     // provider name resolution (dns_config.h)
  FraudSettings fraud;                 // fraud and anomaly detectors (fraud_config.h)
  MediaSettings media;                 // media anchoring (media_config.h)
  IdentitySettings identity;           // STIR/SHAKEN verification (identity_config.h)
  StoreSettings store;                 // shared state: memory or Redis (store_config.h)
  std::optional<AdminSettings> admin;  // the admin API; none: not listening (admin_config.h)
  // Every value as written, by key path ("tcp.idle_timeout_s", "dns.servers[0]"): a reload
  // compares these to say which keys changed, whatever section they belong to.
  std::map<std::string, std::string> written;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace tg::config
