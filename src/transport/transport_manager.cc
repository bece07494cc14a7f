#include "transport/transport_manager.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <unordered_map>

#include "base/log.h"
#include "transport/connection_directory.h"
#include "transport/connection_table.h"
#include "transport/socket_util.h"
#include "transport/tcp_connection.h"
#include "transport/tcp_listener.h"
#include "transport/tls_context.h"
#include "transport/transport_context.h"
#include "transport/udp_listener.h"

namespace tg::transport {
namespace {

using config::TransportKind;
using std::chrono::milliseconds;

constexpr size_t kFamilyCount = 2;  // IPv4, IPv6
size_t familyIndex(const base::Address& a) { return a.isV6() ? 1 : 0; }

constexpr milliseconds kMinSweepInterval{10};
constexpr milliseconds kMaxSweepInterval{1000};
// An idle connection's receive buffer is released after this long without traffic.
constexpr milliseconds kReleaseBuffersAfter{10000};
// The framer's header bound; bodies may use the rest of limits.maxMessageBytes.
constexpr size_t kMaxStreamHeaderBytes = 16384;

sip::FramerLimits framerLimitsFor(size_t maxMessageBytes) {
  return sip::FramerLimits{.maxHeaderBytes = std::min(kMaxStreamHeaderBytes, maxMessageBytes),
                           .maxBodyBytes = maxMessageBytes};
}

std::string errnoText(int error) {
  return asio::error_code(error, asio::system_category()).message();
}

// The SSL contexts of one configuration. Replaced whole on reload; connections hold their own
// references, so replacing it never touches a running call.
struct TlsState {
  TlsContextPtr server;         // tls:// listeners; null without a certificate
  TlsContextPtr defaultClient;  // system store + tls.ca_file: the PBX, unknown addresses
  std::unordered_map<std::string, TlsPeer> byName;           // provider name -> checks
  std::unordered_map<base::Address, std::string> byAddress;  // providers given by IP
  std::unordered_map<base::Address, TlsPeer> pbx;            // pbx targets over tls
};

std::string buildTls(const config::Config& c, bool needServer, TlsState& out) {
  if (needServer) {
    TlsContextResult server = makeServerTlsContext(c.tls);
    if (!server.context) return "tls listener: " + server.error;
    out.server = std::move(server.context);
  }
  TlsContextResult fallback = makeClientTlsContext(c.tls, nullptr);
  if (!fallback.context) return "tls client: " + fallback.error;
  out.defaultClient = std::move(fallback.context);
  for (const config::Provider& p : c.trunk.providers) {
    if (p.target.transport != TransportKind::kTls) continue;
    TlsContextResult client = makeClientTlsContext(c.tls, &p.tls);
    if (!client.context) return "provider '" + p.name + "': " + client.error;
    out.byName[p.name] = TlsPeer{.label = "provider '" + p.name + "'",
                                 .serverName = config::expectedServerName(p.tls, p.target.host),
                                 .verify = p.tls.verify,
                                 .context = std::move(client.context)};
    if (auto a = base::Address::parse(p.target.host, p.target.port)) out.byAddress[*a] = p.name;
  }
  for (const config::PeerTarget& t : c.pbx.targets) {
    if (t.transport != TransportKind::kTls) continue;
    if (auto a = base::Address::parse(t.host, t.port)) {
      out.pbx[*a] = TlsPeer{
          .label = "pbx", .serverName = t.host, .verify = true, .context = out.defaultClient};
    }
  }
  return {};
}

}  // namespace

class TransportManager::Impl final : public TcpListener::Owner, public TcpConnection::Owner {
 public:
  Impl(asio::io_context& io, const config::Config& config, PacketHandler onPacket,
       SendErrorHandler onSendError, TransportOptions options)
      : io_(io),
        tcp_(config.tcp),
        options_(options),
        onSendError_(std::move(onSendError)),
        ctx_{.io = io,
             .clock = options.clock ? *options.clock : base::SystemClock::instance(),
             .onPacket = onPacket ? std::move(onPacket) : [](Packet&&) {},
             .maxMessageBytes = config.limits.maxMessageBytes,
             .framerLimits = framerLimitsFor(config.limits.maxMessageBytes),
             .maxQueuedBytesPerConnection =
                 options.maxQueuedBytesPerConnection.value_or(config.tcp.maxSendQueueBytes),
             .tlsHandshakeTimeout =
                 options.tlsHandshakeTimeout.value_or(config.tls.handshakeTimeout),
             .udpGroupSize = static_cast<uint32_t>(std::max(1, config.workers)),
             .stats = {}},
        directory_(std::make_shared<ConnectionDirectory>()),
        sweepTimer_(io) {
    const auto unlessRatesOff = [&](size_t rate) -> size_t {
      return tcp_.maxAcceptsPerSourcePerSecond == 0 ? 0 : rate;
    };
    caps_ = ConnectionDirectory::Caps{
        .maxConnections = tcp_.maxConnections,
        .maxConnectionsPerSource = tcp_.maxConnectionsPerSource,
        .maxConnectionsPerPrefix = tcp_.maxConnectionsPerPrefix,
        .reservedForPeers = tcp_.reservedForPeers,
        .maxAcceptsPerSourcePerSecond = tcp_.maxAcceptsPerSourcePerSecond,
        // Turning the per-source accept rate off (tcp.max_accepts_per_source_per_s: 0) turns
        // every accept and handshake rate off, as before these had keys of their own.
        .maxAcceptsPerPrefixPerSecond = unlessRatesOff(
            options.maxAcceptsPerPrefixPerSecond.value_or(tcp_.maxAcceptsPerPrefixPerSecond)),
        .maxHandshakesPerSourcePerSecond =
            unlessRatesOff(options.maxTlsHandshakesPerSourcePerSecond.value_or(
                config.tls.maxHandshakesPerSourcePerSecond)),
        .maxHandshakesPerPrefixPerSecond =
            unlessRatesOff(options.maxTlsHandshakesPerPrefixPerSecond.value_or(
                config.tls.maxHandshakesPerPrefixPerSecond))};
    tlsConfig_ = std::make_shared<const config::Config>(config);
    for (const auto& l : config.pbx.listen) specs_.push_back({Zone::kPbx, l});
    for (const auto& l : config.trunk.listen) specs_.push_back({Zone::kTrunk, l});
    if (config.publicZone) {
      for (const auto& l : config.publicZone->listen) specs_.push_back({Zone::kPublic, l});
    }
    idleTimeout_ = options.idleTimeout ? *options.idleTimeout
                                       : std::chrono::duration_cast<milliseconds>(tcp_.idleTimeout);
    milliseconds shortest = kMaxSweepInterval * 4;
    for (milliseconds limit : {idleTimeout_, tcp_.firstMessageTimeout, tcp_.messageTimeout}) {
      if (limit.count() > 0) shortest = std::min(shortest, limit);
    }
    sweepInterval_ = options.idleSweepInterval.count() > 0
                         ? options.idleSweepInterval
                         : std::clamp(shortest / 4, kMinSweepInterval, kMaxSweepInterval);
  }

  void setConnectionFilter(TransportManager::ConnectionFilter filter) {
    connectionFilter_ = std::move(filter);
  }
  void setCaptureTap(CaptureTap* tap) { ctx_.capture = tap; }
  void setOffenceHandler(TransportManager::OffenceHandler handler) {
    offenceHandler_ = std::move(handler);
  }
  std::vector<TransportManager::UdpSocket> udpSockets() const {
    std::vector<TransportManager::UdpSocket> out;
    for (const auto& l : udpListeners_) {
      if (int fd = l->nativeHandle(); fd >= 0) out.push_back({l->zone(), fd});
    }
    return out;
  }

  ~Impl() override { stop(); }

  std::string start();
  void stop();
  void send(const SendTarget& target, std::string bytes);

  const LocalEndpoint* localEndpoint(Zone zone, TransportKind transport) const {
    for (const auto& e : endpoints_) {
      if (e.zone == zone && e.transport == transport) return &e;
    }
    if (transport == TransportKind::kTls) {
      const auto& fallback = tlsOutboundOnly_[zoneIndex(zone)];
      if (fallback) return &*fallback;
    }
    return nullptr;
  }
  std::string reloadTls(const config::Config& config);
  void bindTlsPeer(const base::Address& address, const std::string& provider) {
    boundPeers_[address] = provider;
  }
  const std::vector<LocalEndpoint>& endpoints() const { return endpoints_; }
  const TransportStats& stats() const { return ctx_.stats; }
  uint64_t tlsResumed() const { return ctx_.tlsResumed; }
  void confirmConnection(ConnectionId id) { directory_->confirm(id); }
  size_t openConnections() const { return connections_.size(); }
  std::shared_ptr<ConnectionDirectory> directory() const { return directory_; }
  void shareDirectory(std::shared_ptr<ConnectionDirectory> directory) {
    if (!started_ && directory) directory_ = std::move(directory);
  }
  size_t streamSender(SendTarget& target) const {
    if (target.connection == 0) {
      if (auto found = directory_->findReusable(target.zone, target.transport, target.address)) {
        target.connection = *found;
      }
    }
    return target.connection != 0 ? connectionOwner(target.connection) : 0;
  }

  void onAccepted(TcpListener& listener, asio::ip::tcp::socket socket) override;
  void onConnectionClosed(TcpConnection& connection, std::string_view reason,
                          std::deque<TcpConnection::Outbound>& unsent) override;
  void onOffence(TcpConnection& connection, StreamOffence offence) override {
    TG_LOG(kTransport, debug, "{} connection {} from {}: {}",
           config::transportName(connection.transport()), connection.id(),
           connection.remote().toString(), offenceName(offence));
    if (offenceHandler_) offenceHandler_(connection.zone(), connection.remote(), offence);
  }

 private:
  struct ListenerSpec {
    Zone zone;
    config::Listener listener;
  };

  std::string bind(const ListenerSpec& spec);
  void sendUdp(const SendTarget& target, std::string bytes);
  void sendStream(const SendTarget& target, std::string bytes);
  TlsPeer tlsPeerFor(const SendTarget& target) const;
  TcpConnection* connect(const SendTarget& target);
  void reportSendError(const SendTarget& target, std::string reason);
  ConnectionId newConnectionId() { return makeConnectionId(nextSequence_++, options_.worker); }
  void armSweep();
  // Closes connections past a deadline (idle, first message, slow message) and frees the
  // receive buffers of idle ones.
  void sweepConnections();
  // Makes room for a new connection by closing a public-zone one: the oldest that has not
  // delivered a message yet, else the least recently active one whose peer never registered
  // or got into a call. False when every public connection is confirmed.
  bool evictUnconfirmedConnection();

  asio::io_context& io_;
  std::vector<ListenerSpec> specs_;
  config::TcpSettings tcp_;
  TransportOptions options_;
  milliseconds idleTimeout_{0};
  milliseconds sweepInterval_{0};
  SendErrorHandler onSendError_;
  TransportManager::ConnectionFilter connectionFilter_;
  TransportManager::OffenceHandler offenceHandler_;
  TransportContext ctx_;

  bool started_ = false;
  // Handlers posted by this manager hold a weak reference: a new one per start(), so nothing
  // posted before stop() (or destruction) runs afterwards.
  std::shared_ptr<char> alive_;
  std::vector<LocalEndpoint> endpoints_;
  std::vector<std::shared_ptr<UdpListener>> udpListeners_;

  std::vector<std::shared_ptr<TcpListener>> tcpListeners_;
  // The socket that sends into each zone, per address family; first configured wins.
  std::array<std::array<UdpListener*, kFamilyCount>, kZoneCount> udpSenders_{};
  // The listener address that outbound connections of each zone report and bind to.
  std::array<std::array<base::Address, kFamilyCount>, kZoneCount> tcpLocal_{};
  ConnectionTable connections_;  // the ones this worker owns
  uint64_t nextSequence_ = 1;
  std::shared_ptr<ConnectionDirectory> directory_;  // every worker's, shared
  ConnectionDirectory::Caps caps_;
  // TLS: the configuration the contexts come from, the contexts, and DNS-found addresses.
  std::shared_ptr<const config::Config> tlsConfig_;
  TlsState tls_;
  std::unordered_map<base::Address, std::string> boundPeers_;
  std::array<std::optional<LocalEndpoint>, kZoneCount> tlsOutboundOnly_{};
  asio::steady_timer sweepTimer_;
  std::vector<std::shared_ptr<TcpConnection>> sweepScratch_;
  // Public-zone inbound connections in accept order: the eviction candidates. Entries that
  // closed or delivered a message are skipped when they reach the front.
  std::deque<std::weak_ptr<TcpConnection>> silentPublic_;
};

std::string TransportManager::Impl::start() {
  if (started_) return {};
  {
    const bool needServer = std::any_of(specs_.begin(), specs_.end(), [](const ListenerSpec& s) {
      return s.listener.transport == TransportKind::kTls;
    });
    TlsState fresh;
    if (std::string error = buildTls(*tlsConfig_, needServer, fresh); !error.empty()) {
      return error;
    }
    tls_ = std::move(fresh);
  }
  endpoints_.clear();
  tlsOutboundOnly_ = {};
  endpoints_.reserve(specs_.size());  // localEndpoint() hands out pointers into it
  udpSenders_ = {};
  tcpLocal_ = {};
  alive_ = std::make_shared<char>();
  started_ = true;
  for (const auto& spec : specs_) {
    std::string error = bind(spec);
    if (!error.empty()) {
      stop();
      endpoints_.clear();
      return listenerName(spec.zone, spec.listener) + ": " + error;
    }
  }
  for (size_t zone = 0; zone < kZoneCount; ++zone) {
    const auto zoneTransport = [&](TransportKind t) -> const LocalEndpoint* {
      for (const auto& e : endpoints_) {
        if (zoneIndex(e.zone) == zone && e.transport == t) return &e;
      }
      return nullptr;
    };
    const LocalEndpoint* other = zoneTransport(TransportKind::kTcp);
    if (!other) other = zoneTransport(TransportKind::kUdp);
    if (!zoneTransport(TransportKind::kTls) && other) {
      tlsOutboundOnly_[zone] = LocalEndpoint{other->zone, TransportKind::kTls, other->address};
    }
  }
  for (const auto& l : udpListeners_) l->start();
  for (const auto& l : tcpListeners_) l->start();
  armSweep();
  return {};
}

std::string TransportManager::Impl::reloadTls(const config::Config& config) {
  const bool needServer = std::any_of(specs_.begin(), specs_.end(), [](const ListenerSpec& s) {
    return s.listener.transport == TransportKind::kTls;
  });
  TlsState fresh;
  if (std::string error = buildTls(config, needServer, fresh); !error.empty()) {
    TG_LOG(kTransport, err, "tls reload refused, keeping the running certificates: {}", error);
    return error;
  }
  tls_ = std::move(fresh);
  tlsConfig_ = std::make_shared<const config::Config>(config);
  TG_LOG(kTransport, info, "tls certificates reloaded; open connections keep theirs");
  return {};
}

TlsPeer TransportManager::Impl::tlsPeerFor(const SendTarget& target) const {
  if (target.zone == Zone::kPbx) {
    if (auto it = tls_.pbx.find(target.address); it != tls_.pbx.end()) return it->second;
  }
  const std::string* name = nullptr;
  if (auto it = tls_.byAddress.find(target.address); it != tls_.byAddress.end()) {
    name = &it->second;
  } else if (auto bound = boundPeers_.find(target.address); bound != boundPeers_.end()) {
    name = &bound->second;
  }
  if (name) {
    if (auto it = tls_.byName.find(*name); it != tls_.byName.end()) return it->second;
  }
  // Nobody we know: the system store, checked against the address itself.
  return TlsPeer{.label = "peer",
                 .serverName = target.address.ip(),
                 .verify = true,
                 .context = tls_.defaultClient};
}

std::string TransportManager::Impl::bind(const ListenerSpec& spec) {
  const size_t zone = zoneIndex(spec.zone);
  const size_t family = familyIndex(spec.listener.address);
  base::Address bound;
  if (spec.listener.transport == TransportKind::kUdp) {
    auto listener = std::make_shared<UdpListener>(ctx_, spec.zone);
    udpListeners_.push_back(listener);
    std::string error = listener->open(spec.listener.address);
    if (!error.empty()) return error;
    bound = listener->local();
    if (!udpSenders_[zone][family]) udpSenders_[zone][family] = listener.get();
  } else {
    auto listener = std::make_shared<TcpListener>(io_, *this, spec.zone, spec.listener.transport);
    tcpListeners_.push_back(listener);
    std::string error = listener->open(spec.listener.address, options_.shareStreamPorts);
    if (!error.empty()) return error;
    bound = listener->local();
    if (!tcpLocal_[zone][family].valid()) tcpLocal_[zone][family] = bound;
  }
  TG_LOG(kTransport, debug, "{} listening on {}", zoneName(spec.zone),
         transportUri(spec.listener.transport, bound));
  endpoints_.push_back(LocalEndpoint{spec.zone, spec.listener.transport, bound});
  return {};
}

void TransportManager::Impl::stop() {
  if (!started_) return;
  started_ = false;
  alive_.reset();
  sweepTimer_.cancel();
  for (const auto& l : udpListeners_) l->close();
  for (const auto& l : tcpListeners_) l->close();
  udpListeners_.clear();
  tcpListeners_.clear();
  udpSenders_ = {};
  silentPublic_.clear();
  for (const auto& c : connections_.takeAll()) {
    directory_->remove(c->id());
    c->abandon();
  }
}

void TransportManager::Impl::send(const SendTarget& target, std::string bytes) {
  if (!started_) {
    ++ctx_.stats.sendErrors;  // nothing to report to: pending work is dropped on stop
    return;
  }
  if (!target.address.valid()) {
    reportSendError(target, "no destination address");
    return;
  }
  switch (target.transport) {
    case TransportKind::kUdp:
      sendUdp(target, std::move(bytes));
      return;
    case TransportKind::kTcp:
    case TransportKind::kTls:
      sendStream(target, std::move(bytes));
      return;
  }
}

void TransportManager::Impl::sendUdp(const SendTarget& target, std::string bytes) {
  UdpListener* listener = udpSenders_[zoneIndex(target.zone)][familyIndex(target.address)];
  if (!listener) {
    ++ctx_.stats.sendErrors;
    reportSendError(target, std::string("no ") + (target.address.isV6() ? "IPv6" : "IPv4") +
                                " udp listener in zone " + std::string(zoneName(target.zone)));
    return;
  }
  // The listener counts its own failures; reporting lets a transaction fail now (RFC 3261
  // §17.1.4) instead of by timeout.
  const int error = listener->send(target.address, std::move(bytes));
  if (error != 0) {
    reportSendError(target, "sendto " + target.address.toString() + ": " + errnoText(error));
  }
}

void TransportManager::Impl::sendStream(const SendTarget& target, std::string bytes) {
  TcpConnection* connection = nullptr;
  if (target.connection != 0) {
    connection = connections_.find(target.connection);
    // Never answer a TLS request in the clear (or the reverse) on a reused id.
    if (connection && (connection->isClosed() || connection->transport() != target.transport)) {
      connection = nullptr;
    }
  }
  // RFC 3261 §18.2.2: when the connection a request came on is gone, open a new one to the
  // same address; §18.1.1: prefer an existing connection to that address.
  if (!connection) {
    connection = connections_.findReusable(target.zone, target.transport, target.address);
  }
  if (!connection) connection = connect(target);
  if (connection) connection->send(std::move(bytes), target);
}

TcpConnection* TransportManager::Impl::connect(const SendTarget& target) {
  const base::Address& bindTo = tcpLocal_[zoneIndex(target.zone)][familyIndex(target.address)];
  asio::ip::tcp::socket socket(io_);
  asio::error_code ec;
  socket.open(target.address.isV6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
  if (!ec && bindTo.valid() && !isWildcard(bindTo)) {
    // Leave from the zone's own address so the peer sees the address it expects (ACLs on a
    // multi-homed host); the port is picked at connect time, which saves ephemeral ports.
    const int on = 1;
    setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
    socket.bind(toEndpoint<asio::ip::tcp::endpoint>(ipOnly(bindTo)), ec);
  }
  if (ec) {
    ++ctx_.stats.sendErrors;
    reportSendError(target, "connect to " + transportUri(target.transport, target.address) +
                                " failed: " + ec.message());
    return nullptr;
  }
  TlsPeer peer;
  if (target.transport == TransportKind::kTls) {
    peer = tlsPeerFor(target);
    if (!peer.context) {
      ++ctx_.stats.sendErrors;
      reportSendError(target, "no tls context (this worker does not open connections)");
      return nullptr;
    }
  }
  TlsContextPtr context = peer.context;
  auto connection =
      std::make_shared<TcpConnection>(ctx_, *this, std::move(socket), newConnectionId(),
                                      target.zone, TcpConnection::Direction::kOutbound,
                                      target.address, bindTo, std::move(context), std::move(peer));
  TcpConnection* raw = connection.get();
  directory_->addOutbound(raw->id(), target.zone, target.transport, target.address);
  connections_.add(std::move(connection));
  raw->startConnect(options_.connectTimeout.value_or(tcp_.connectTimeout));
  return raw;
}

void TransportManager::Impl::onAccepted(TcpListener& listener, asio::ip::tcp::socket socket) {
  asio::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already reset by the peer
  const base::Address remote = fromEndpoint(peer);
  if (connectionFilter_ && !connectionFilter_(listener.zone(), remote)) {
    ++ctx_.stats.connectionsFiltered;
    TG_LOG(kTransport, debug, "dropped {} connection from {}: banned or not allowed",
           config::transportName(listener.transport()), remote.toString());
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    return;
  }
  const bool tls = listener.transport() == TransportKind::kTls;
  const ConnectionId id = newConnectionId();
  // The caps count every worker's connections.
  const std::string_view refusal = [&]() -> std::string_view {
    using Admission = ConnectionDirectory::Admission;
    if (tls && !tls_.server) return "no tls certificate";
    const auto admit = [&] {
      return directory_->admitInbound(id, listener.zone(), listener.transport(), remote, caps_,
                                      ctx_.clock.now());
    };
    Admission admission = admit();
    // A full table makes room by closing a public connection whose peer has proven nothing
    // (this worker's): a flood of idle or chattering connections cannot keep phones and peers
    // out, nor push out a registered phone.
    if ((admission == Admission::kOverTotal || admission == Admission::kOverPublicShare) &&
        evictUnconfirmedConnection()) {
      admission = admit();
    }
    return admission == Admission::kAdmitted ? std::string_view{}
                                             : ConnectionDirectory::describe(admission);
  }();
  if (!refusal.empty()) {
    ++ctx_.stats.connectionsRefused;
    TG_LOG(kTransport, debug, "refused {} connection from {}: {}",
           config::transportName(listener.transport()), remote.toString(), refusal);
    // Reset rather than FIN: a flood of refused connections leaves no TIME_WAIT behind.
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    return;
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);
  // A TLS connection counts against the caps from accept on, so unfinished handshakes from
  // one source are bounded by max_connections_per_source and tls.handshake_timeout_ms.
  auto connection = std::make_shared<TcpConnection>(
      ctx_, *this, std::move(socket), id, listener.zone(), TcpConnection::Direction::kInbound,
      remote, listener.local(), tls ? tls_.server : nullptr);
  TcpConnection* raw = connection.get();
  if (listener.zone() == Zone::kPublic) silentPublic_.push_back(connection);
  connections_.add(std::move(connection));
  ++ctx_.stats.connectionsAccepted;
  TG_LOG(kTransport, debug, "{} connection {} from {} accepted",
         config::transportName(listener.transport()), raw->id(), remote.toString());
  raw->startInbound();
}

void TransportManager::Impl::onConnectionClosed(TcpConnection& connection, std::string_view reason,
                                                std::deque<TcpConnection::Outbound>& unsent) {
  const auto owned = connections_.remove(connection);
  if (owned) directory_->remove(connection.id());
  for (auto& item : unsent) {
    if (!item.isMessage) continue;
    ++ctx_.stats.sendErrors;
    reportSendError(item.target, std::string(reason));
  }
}

void TransportManager::Impl::reportSendError(const SendTarget& target, std::string reason) {
  if (!onSendError_) return;
  // Posted: the caller may be deep inside send() holding references the handler could break.
  asio::post(io_, [this, alive = std::weak_ptr<char>(alive_), target, reason = std::move(reason)] {
    if (!alive.expired()) onSendError_(target, reason);
  });
}

void TransportManager::Impl::armSweep() {
  sweepTimer_.expires_after(sweepInterval_);
  sweepTimer_.async_wait([this, alive = std::weak_ptr<char>(alive_)](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    sweepConnections();
    armSweep();
  });
}

void TransportManager::Impl::sweepConnections() {
  // One timer for all connections rather than one per connection: a scan of a few thousand
  // entries per sweep is cheaper than re-arming a timer on every read and write.
  const base::TimePoint now = ctx_.clock.now();
  const auto past = [&](base::TimePoint since, milliseconds limit) {
    return limit.count() > 0 && now - since >= limit;
  };
  enum class Verdict { kKeep, kIdle, kNoMessage, kSlow };
  const auto verdict = [&](const TcpConnection& c) {
    if (!c.isOpen()) return Verdict::kKeep;
    if (past(c.lastActivity(), idleTimeout_)) return Verdict::kIdle;
    if (c.direction() != TcpConnection::Direction::kInbound) return Verdict::kKeep;
    if (!c.hasDeliveredMessage() && past(c.openedAt(), tcp_.firstMessageTimeout)) {
      return Verdict::kNoMessage;
    }
    const auto partial = c.partialMessageSince();
    if (partial && past(*partial, tcp_.messageTimeout)) return Verdict::kSlow;
    return Verdict::kKeep;
  };
  connections_.collectIf(sweepScratch_,
                         [&](const TcpConnection& c) { return verdict(c) != Verdict::kKeep; });
  for (const auto& connection : sweepScratch_) {
    switch (verdict(*connection)) {
      case Verdict::kKeep:
        break;
      case Verdict::kIdle:
        ++ctx_.stats.connectionsClosedIdle;
        connection->close("idle timeout");
        break;
      case Verdict::kNoMessage:
        ++ctx_.stats.connectionsClosedNoMessage;
        connection->close("no SIP message within tcp.first_message_timeout_ms");
        break;
      case Verdict::kSlow:
        ++ctx_.stats.connectionsClosedSlow;
        connection->close("message incomplete after tcp.message_timeout_ms (slow sender)");
        break;
    }
  }
  sweepScratch_.clear();
  connections_.collectIf(sweepScratch_, [&](const TcpConnection& c) {
    return c.isOpen() && now - c.lastActivity() >= kReleaseBuffersAfter;
  });
  for (const auto& connection : sweepScratch_) connection->releaseIdleBuffers();
  sweepScratch_.clear();
  directory_->expireAcceptWindows(now);
  // Keeps the eviction queue as short as the connections it can still name.
  const auto spoken = [](const std::weak_ptr<TcpConnection>& entry) {
    const auto c = entry.lock();
    return !c || c->isClosed() || c->hasDeliveredMessage();
  };
  while (!silentPublic_.empty() && spoken(silentPublic_.front())) silentPublic_.pop_front();
  if (silentPublic_.size() > 2 * connections_.size() + 64) std::erase_if(silentPublic_, spoken);
}

bool TransportManager::Impl::evictUnconfirmedConnection() {
  while (!silentPublic_.empty()) {
    std::shared_ptr<TcpConnection> candidate = silentPublic_.front().lock();
    silentPublic_.pop_front();
    if (!candidate || candidate->isClosed() || candidate->hasDeliveredMessage()) continue;
    ++ctx_.stats.connectionsEvicted;
    candidate->close("evicted: the connection table is full and it sent no message");
    return true;
  }
  // Every silent one is gone: the peer that spoke longest ago without proving itself goes. A
  // scan, but only once the silent ones are used up, which the first-message deadline makes
  // rare.
  sweepScratch_.clear();
  connections_.collectIf(sweepScratch_, [this](const TcpConnection& c) {
    return c.zone() == Zone::kPublic && c.direction() == TcpConnection::Direction::kInbound &&
           !c.isClosed() && !directory_->isConfirmed(c.id());
  });
  const auto oldest = std::min_element(
      sweepScratch_.begin(), sweepScratch_.end(),
      [](const auto& a, const auto& b) { return a->lastActivity() < b->lastActivity(); });
  std::shared_ptr<TcpConnection> victim = oldest != sweepScratch_.end() ? *oldest : nullptr;
  sweepScratch_.clear();
  if (!victim) return false;
  ++ctx_.stats.connectionsEvicted;
  victim->close("evicted: the connection table is full and its peer never registered or called");
  return true;
}

TransportManager::TransportManager(asio::io_context& io, const config::Config& config,
                                   PacketHandler onPacket, SendErrorHandler onSendError,
                                   TransportOptions options)
    : impl_(std::make_unique<Impl>(io, config, std::move(onPacket), std::move(onSendError),
                                   options)) {}

TransportManager::~TransportManager() = default;

std::string TransportManager::start() { return impl_->start(); }
void TransportManager::stop() { impl_->stop(); }
void TransportManager::send(const SendTarget& target, std::string bytes) {
  impl_->send(target, std::move(bytes));
}
const LocalEndpoint* TransportManager::localEndpoint(Zone zone, TransportKind transport) const {
  return impl_->localEndpoint(zone, transport);
}
std::vector<LocalEndpoint> TransportManager::endpoints() const { return impl_->endpoints(); }
std::vector<TransportManager::UdpSocket> TransportManager::udpSockets() const {
  return impl_->udpSockets();
}
void TransportManager::setConnectionFilter(ConnectionFilter filter) {
  impl_->setConnectionFilter(std::move(filter));
}
void TransportManager::setCaptureTap(CaptureTap* tap) { impl_->setCaptureTap(tap); }
void TransportManager::setOffenceHandler(OffenceHandler handler) {
  impl_->setOffenceHandler(std::move(handler));
}
std::string TransportManager::reloadTls(const config::Config& config) {
  return impl_->reloadTls(config);
}
void TransportManager::bindTlsPeer(const base::Address& address, const std::string& provider) {
  impl_->bindTlsPeer(address, provider);
}
std::shared_ptr<ConnectionDirectory> TransportManager::directory() const {
  return impl_->directory();
}
void TransportManager::shareDirectory(std::shared_ptr<ConnectionDirectory> directory) {
  impl_->shareDirectory(std::move(directory));
}
size_t TransportManager::streamSender(SendTarget& target) const {
  return impl_->streamSender(target);
}
const TransportStats& TransportManager::stats() const { return impl_->stats(); }
uint64_t TransportManager::tlsResumed() const { return impl_->tlsResumed(); }
void TransportManager::confirmConnection(ConnectionId id) { impl_->confirmConnection(id); }
size_t TransportManager::openConnections() const { return impl_->openConnections(); }

}  // namespace tg::transport
