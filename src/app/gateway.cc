#include "app/gateway.h"

#include "base/log.h"
#include "base/random.h"

namespace tg::app {

namespace {

std::unique_ptr<guard::BanList> privateBans(const GuardDeps& deps, const config::Config& config,
                                            const base::Clock& clock) {
  if (deps.bans != nullptr) return nullptr;
  auto bans = std::make_unique<guard::BanList>(clock, guard::BanPolicy::from(config.guard.bans));
  bans->setTrusted(guard::trustedNetworks(config));
  return bans;
}

std::shared_ptr<const guard::acl::ZoneAcl> aclFor(const config::Config& config,
                                                  std::shared_ptr<const guard::acl::ZoneAcl> acl) {
  if (acl != nullptr) return acl;
  std::string error;
  std::shared_ptr<const guard::acl::ZoneAcl> built = guard::acl::ZoneAcl::create(config, &error);
  if (built == nullptr) {
    // The config loader checked the database exists; it became unreadable since.
    TG_LOG(kGuard, err, "country filter unavailable ({}); the other ACL rules still apply", error);
    built = std::make_shared<guard::acl::ZoneAcl>(config);
  }
  return built;
}

transport::TransportOptions transportOptions(const base::Clock& clock, Shard shard) {
  transport::TransportOptions o;
  o.clock = &clock;
  o.worker = shard.index;
  o.shareStreamPorts = shard.count > 1;
  return o;
}

// Whether a response (as the builder writes it: "CSeq: <n> <METHOD>") answers a REGISTER or an
// INVITE: a 2xx to those means the peer passed our digest check or the PBX accepted it.
bool answersRegisterOrInvite(std::string_view response) {
  constexpr std::string_view kCSeq = "\r\nCSeq: ";
  const size_t at = response.find(kCSeq);
  if (at == std::string_view::npos) return false;
  const std::string_view value = response.substr(at + kCSeq.size());
  const std::string_view line = value.substr(0, value.find('\r'));
  const size_t space = line.rfind(' ');
  const std::string_view method = space == std::string_view::npos ? line : line.substr(space + 1);
  return method == "REGISTER" || method == "INVITE";
}

}  // namespace

Gateway::Gateway(asio::io_context& io, config::ConfigPtr config, db::CdrStore* cdrs,
                 const base::Clock& clock, Shard shard, GuardDeps guard)
    : io_(io),
      config_(config),
      clock_(clock),
      timers_(clock),
      timerBridge_(io, timers_, clock),
      peers_(shard),
      transport_(std::make_unique<transport::TransportManager>(
          io, *config, [this](transport::Packet&& p) { path_.onPacket(std::move(p)); },
          [this](const transport::SendTarget& t, std::string_view reason) {
            TG_LOG(kTransport, debug, "send to {} failed: {}", t.address.toString(), reason);
            // A connection's owner sends for every worker: tell them all.
            peers_.tellOthersSendError(t);
            onSendError(t);
          },
          transportOptions(clock, shard))),
      b2bua_(
          config, timers_,
          [this](transport::Zone z, config::TransportKind t) {
            return transport_->localEndpoint(z, t);
          },
          cdrs),
      largeRequests_([this](transport::Zone z,
                            config::TransportKind t) { return transport_->localEndpoint(z, t); },
                     clock),
      layer_(timers_, *this, b2bua_, config->timers),
      ownBans_(privateBans(guard, *config, clock)),
      guard_(config, aclFor(*config, guard.acl), guard.bans != nullptr ? *guard.bans : *ownBans_,
             guard.events, clock),
      path_(config, guard_, *this, *this, peers_, clock),
      liveCalls_(guard.bans != nullptr ? *guard.bans : *ownBans_, guard.auth) {
  layer_.setLargeRequests(&largeRequests_);
  b2bua_.attach(layer_, *this);
  b2bua_.setRemotePhones(guard.auth, guard.bindings);
  // Banned and not-allowed sources are reset at accept: no TLS handshake is spent on them.
  transport_->setConnectionFilter([this](transport::Zone zone, const base::Address& source) {
    return guard_.admitConnection(zone, source, clock_.now());
  });
  // Failed handshakes and garbage on a stream add up to a ban, like a scanner's probes.
  transport_->setOffenceHandler(
      [this](transport::Zone zone, const base::Address& source, transport::StreamOffence offence) {
        guard_.streamOffence(zone, source, offence, clock_.now());
      });
  // New dialogs this worker creates must hash back to it, so their responses and in-dialog
  // requests land here whichever socket receives them; so must call uuids, so that call
  // control reaches the one worker that owns a call.
  auto callIds = [shard] { return idOfShard(16, shard); };
  b2bua_.setCallIdGenerator(callIds);
  b2bua_.setCallUuidGenerator([shard] { return idOfShard(8, shard); });
  // A request checked as in-dialog on another worker (this one owns its Call-ID) meets the
  // guard again here as the probe it is.
  b2bua_.setUnknownDialogHandler(
      [this](const sip::Message& request, const transport::SendTarget& from) {
        guard_.unknownDialog(request, from.zone, from.address, handedOverNow_);
      });
  // Every worker resolves provider names for its own calls; only worker 0 registers.
  trunk_ = std::make_unique<trunk::TrunkServices>(
      io, timers_, layer_,
      [this](transport::Zone z, config::TransportKind t) {
        return transport_->localEndpoint(z, t);
      },
      config, shard.index == 0, callIds);
  b2bua_.setProviderTargets(&trunk_->targets());
  trunk_->targets().setOnChange([this] { b2bua_.refreshProviderTargets(); });
}

Gateway::~Gateway() { stop(); }

void Gateway::setPeers(std::vector<Gateway*> peers) {
  if (!peers.empty() && peers[0] != this) {
    transport_->shareDirectory(peers[0]->transport_->directory());
    // One offence count per source for the process: the kernel spreads a source's
    // connections over every worker's listener.
    guard_.shareOffences(peers[0]->guard_.offences());
  }
  peers_.set(std::vector<Worker*>(peers.begin(), peers.end()));
}

std::string Gateway::start() {
  std::string err = transport_->start();
  if (!err.empty()) return err;
  b2bua_.startHealthChecks();
  trunk_->start();
  lastSample_ = clock_.now();
  scheduleHousekeeping();
  timerBridge_.arm();
  return {};
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  trunk_->stop();
  timerBridge_.stop();
  transport_->stop();
}

namespace {

std::vector<std::string> listenerTexts(const config::Config& c) {
  std::vector<std::string> out;
  for (const auto& l : c.pbx.listen) out.push_back("pbx " + l.text);
  for (const auto& l : c.trunk.listen) out.push_back("trunk " + l.text);
  if (c.publicZone) {
    for (const auto& l : c.publicZone->listen) out.push_back("public " + l.text);
  }
  return out;
}

}  // namespace

void Gateway::reload(config::ConfigPtr config, std::shared_ptr<const guard::acl::ZoneAcl> acl) {
  // Sockets, transaction timers and TCP limits are set up once; say so rather than pretend.
  if (listenerTexts(*config) != listenerTexts(*config_)) {
    TG_LOG(kConfig, warn, "listener changes take effect after a restart");
  }
  if (config->timers.t1 != config_->timers.t1 || config->timers.t2 != config_->timers.t2 ||
      config->timers.t4 != config_->timers.t4) {
    TG_LOG(kConfig, warn, "timer changes take effect after a restart");
  }
  config_ = config;
  // New certificates for new handshakes; open TLS connections keep theirs (calls survive).
  transport_->reloadTls(*config);
  b2bua_.updateConfig(config);
  trunk_->reload(config);
  if (ownBans_ != nullptr) {
    ownBans_->setTrusted(guard::trustedNetworks(*config));
    ownBans_->setPolicy(guard::BanPolicy::from(config->guard.bans));
  }
  std::shared_ptr<const guard::acl::ZoneAcl> zones = aclFor(*config, std::move(acl));
  guard_.updateConfig(config, zones);
  path_.updateConfig(config);
  if (const size_t ended = liveCalls_.afterReload(b2bua_, *zones); ended > 0) {
    TG_LOG(kConfig, warn, "reload: ended {} call(s) whose peers are no longer allowed", ended);
  }
}

void Gateway::scheduleHousekeeping() {
  timers_.schedule(std::chrono::seconds(1), [this] {
    if (stopped_) return;
    const base::TimePoint now = clock_.now();
    const InboundPath::Busy busy = path_.takeBusy();
    guard::overload::LoadSample load;
    load.busy = busy.all;
    load.trustedBusy = busy.trustedZones;
    load.interval = now - lastSample_;
    for (const auto& socket : transport_->udpSockets()) {
      const size_t queued = guard::overload::receiveQueueDatagrams(socket.fd).value_or(0);
      load.queuedDatagrams = std::max(load.queuedDatagrams, queued);
      if (socket.zone != transport::Zone::kPublic) {
        load.trustedQueuedDatagrams = std::max(load.trustedQueuedDatagrams, queued);
      }
    }
    guard_.housekeeping(load);
    liveCalls_.sweep(b2bua_, now);
    lastSample_ = now;
    scheduleHousekeeping();
  });
}

void Gateway::sendResponse(const transport::SendTarget& target, int status, std::string bytes) {
  // Final answers feed the scanner's failure ratio; the code comes with the bytes.
  if (status >= 200) guard_.responseSent(target.zone, target.address, status);
  // A phone that registered or got into a call over a connection keeps it when the table fills.
  if (status / 100 == 2 && target.connection != 0 && answersRegisterOrInvite(bytes)) {
    transport_->confirmConnection(target.connection);
  }
  send(target, std::move(bytes));
}

void Gateway::send(const transport::SendTarget& target, std::string bytes) {
  if (target.transport != config::TransportKind::kUdp && peers_.several()) {
    // A TCP or TLS connection is written by the worker that owns it.
    transport::SendTarget routed = target;
    const size_t owner = transport_->streamSender(routed);
    if (peers_.hopToOwner(owner, routed, bytes)) return;
    transport_->send(routed, std::move(bytes));
    return;
  }
  transport_->send(target, std::move(bytes));
}

void Gateway::sendOnOwnConnection(const transport::SendTarget& target, std::string bytes) {
  transport_->send(target, std::move(bytes));
}

void Gateway::receive(std::unique_ptr<sip::Message> message, const transport::Packet& packet,
                      bool handedOver) {
  handedOverNow_ = handedOver;
  layer_.receive(std::move(message), packet);
  handedOverNow_ = false;
  timerBridge_.arm();
}

bool Gateway::knowsDialog(transport::Zone zone, std::string_view callId,
                          std::string_view tag) const {
  return b2bua_.knowsDialog(zone, callId, tag);
}

void Gateway::onSendError(const transport::SendTarget& target) {
  layer_.onSendError(target);
  timerBridge_.arm();
}

}  // namespace tg::app
