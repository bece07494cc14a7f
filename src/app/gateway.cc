#include "app/gateway.h"

#include <asio/post.hpp>
#include <functional>

#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"
#include "sip/validator.h"
#include "transport/stun_keepalive.h"

namespace tg::app {

size_t shardOf(std::string_view callId, size_t count) {
  return count <= 1 ? 0 : std::hash<std::string_view>{}(callId) % count;
}

std::string idOfShard(size_t bytes, Shard shard) {
  for (;;) {
    std::string id = base::randomHex(bytes);
    if (shardOf(id, shard.count) == shard.index) return id;
  }
}

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
    TG_LOG(kGuard, err, "country filter unavailable ({}); the other ACL rules still apply",
           error);
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

}  // namespace

Gateway::Gateway(asio::io_context& io, config::ConfigPtr config, db::CdrStore* cdrs,
                 const base::Clock& clock, Shard shard, GuardDeps guard)
    : io_(io),
      config_(config),
      clock_(clock),
      timers_(clock),
      wakeup_(io),
      transport_(std::make_unique<transport::TransportManager>(
          io, *config, [this](transport::Packet&& p) { onPacket(std::move(p)); },
          [this](const transport::SendTarget& t, std::string_view reason) {
            TG_LOG(kTransport, debug, "send to {} failed: {}", t.address.toString(), reason);
            // A connection's owner sends for every worker: tell them all.
            for (Gateway* g : peers_) {
              if (g == this) continue;
              asio::post(g->io_, [g, t] {
                g->layer_.onSendError(t);
                g->armTimer();
              });
            }
            layer_.onSendError(t);
            armTimer();
          },
          transportOptions(clock, shard))),
      b2bua_(config, timers_,
             [this](transport::Zone z, config::TransportKind t) {
               return transport_->localEndpoint(z, t);
             },
             cdrs),
      layer_(timers_, *this, b2bua_, config->timers),
      ownBans_(privateBans(guard, *config, clock)),
      guard_(config, aclFor(*config, guard.acl), guard.bans != nullptr ? *guard.bans : *ownBans_,
             guard.events, clock),
      liveCalls_(guard.bans != nullptr ? *guard.bans : *ownBans_, guard.auth),
      shard_(shard) {
  b2bua_.attach(layer_, *this);
  b2bua_.setRemotePhones(guard.auth, guard.bindings);
  // Banned and not-allowed sources are reset at accept: no TLS handshake is spent on them.
  transport_->setConnectionFilter([this](transport::Zone zone, const base::Address& source) {
    return guard_.admitConnection(zone, source, clock_.now());
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
  peers_ = std::move(peers);
  if (!peers_.empty() && peers_[0] != this) {
    transport_->shareDirectory(peers_[0]->transport_->directory());
  }
}

std::string Gateway::start() {
  std::string err = transport_->start();
  if (!err.empty()) return err;
  b2bua_.startHealthChecks();
  trunk_->start();
  lastSample_ = clock_.now();
  scheduleHousekeeping();
  armTimer();
  return {};
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  trunk_->stop();
  wakeup_.cancel();
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

void Gateway::reload(config::ConfigPtr config,
                     std::shared_ptr<const guard::acl::ZoneAcl> acl) {
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
  if (const size_t ended = liveCalls_.afterReload(b2bua_, *zones); ended > 0) {
    TG_LOG(kConfig, warn, "reload: ended {} call(s) whose peers are no longer allowed", ended);
  }
}

void Gateway::scheduleHousekeeping() {
  timers_.schedule(std::chrono::seconds(1), [this] {
    if (stopped_) return;
    const base::TimePoint now = clock_.now();
    guard::overload::LoadSample load;
    load.busy = busy_;
    load.trustedBusy = trustedZonesBusy_;
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
    busy_ = {};
    trustedZonesBusy_ = {};
    lastSample_ = now;
    scheduleHousekeeping();
  });
}

namespace {

// The status code of a response about to be sent, 0 for a request.
int statusOf(std::string_view bytes) {
  constexpr std::string_view kPrefix = "SIP/2.0 ";
  if (bytes.size() < kPrefix.size() + 3 || bytes.substr(0, kPrefix.size()) != kPrefix) return 0;
  int code = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 3; ++i) {
    if (bytes[i] < '0' || bytes[i] > '9') return 0;
    code = code * 10 + (bytes[i] - '0');
  }
  return code;
}

}  // namespace

void Gateway::send(const transport::SendTarget& target, std::string bytes) {
  if (const int code = statusOf(bytes); code >= 200) {
    guard_.responseSent(target.zone, target.address, code);
  }
  if (target.transport != config::TransportKind::kUdp && peers_.size() > 1) {
    // A TCP or TLS connection is written by the worker that owns it.
    transport::SendTarget routed = target;
    const size_t owner = transport_->streamSender(routed);
    if (owner != shard_.index && owner < peers_.size()) {
      Gateway* g = peers_[owner];
      asio::post(g->io_, [g, routed, bytes = std::move(bytes)]() mutable {
        g->transport_->send(routed, std::move(bytes));
      });
      return;
    }
    transport_->send(routed, std::move(bytes));
    return;
  }
  transport_->send(target, std::move(bytes));
}

void Gateway::respondStateless(const sip::Message& request, const transport::Packet& packet,
                               int code, std::string_view reason, uint32_t retryAfterS) {
  auto b = sip::responseTo(request, code, reason, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) {
    b.header(sip::HeaderId::kServer, config_->b2bua.userAgent);
  }
  if (retryAfterS > 0) b.header(sip::HeaderId::kRetryAfter, std::to_string(retryAfterS));
  send(transaction::responseTarget(request, packet), b.build());
}

void Gateway::answerStunKeepAlive(const transport::Packet& packet) {
  std::optional<std::string> response = transport::stunBindingResponse(packet.bytes, packet.source);
  if (!response) {
    ++stats_.parseDropped;
    return;
  }
  ++stats_.stunKeepAlives;
  send(transport::SendTarget{.zone = packet.zone,
                             .transport = packet.transport,
                             .address = packet.source,
                             .connection = 0},
       std::move(*response));
}

void Gateway::onPacket(transport::Packet&& packet) {
  ++stats_.received;
  // Banned and not-allowed sources cost one lookup each and silence, before any parsing.
  if (!guard_.admitSource(packet)) {
    ++stats_.sourceDropped;
    return;
  }
  // RFC 5626 §4.4.2: phones behind NAT keep their UDP flow open with STUN on the SIP port.
  if (packet.transport == config::TransportKind::kUdp && transport::isStunMessage(packet.bytes)) {
    if (!guard_.admitKeepAlive(packet)) {
      ++stats_.stunDropped;
      return;
    }
    answerStunKeepAlive(packet);
    return;
  }
  // The loop's busy share feeds overload shedding; only admitted packets cost enough to count.
  struct BusyTimer {
    Gateway& g;
    base::TimePoint start;
    bool trustedZone;  // pbx or trunk: only the PBX and the providers get past the zone ACL
    ~BusyTimer() {
      const base::Duration spent = g.clock_.now() - start;
      g.busy_ += spent;
      if (trustedZone) g.trustedZonesBusy_ += spent;
    }
  } busyTimer{*this, clock_.now(), packet.zone != transport::Zone::kPublic};
  auto message = std::make_unique<sip::Message>();
  sip::ParseOptions options;
  options.framing = packet.transport == config::TransportKind::kUdp ? sip::Framing::kDatagram
                                                                    : sip::Framing::kStream;
  const sip::ParseStatus parsed = message->parse(std::move(packet.bytes), options);
  if (!parsed.ok()) {
    // Without a parsed Via there is nobody to answer: count and drop.
    ++stats_.parseDropped;
    TG_LOG(kTransport, debug, "dropped an unparsable message from {}: {}",
           packet.source.toString(), parsed.reason);
    return;
  }
  const sip::Verdict verdict = sip::validate(*message, config_->limits);
  if (!verdict.ok()) {
    if (verdict.action == sip::VerdictAction::kReject && message->isRequest() &&
        message->method() != sip::Method::kAck && message->topVia() != nullptr) {
      rejectMalformed(*message, packet, verdict);
    } else {
      ++stats_.responsesDropped;
      TG_LOG(kTransport, debug, "dropped a malformed message from {}: {}",
             packet.source.toString(), verdict.reason);
    }
    return;
  }
  const size_t owner = shardOf(message->callId(), shard_.count);
  if (message->isRequest() &&
      !passedGuard(guard_.checkRequest(*message, packet, inKnownDialog(*message, packet, owner)),
                   *message, packet)) {
    return;
  }
  if (message->isRequest() && message->maxForwards() == 0u &&
      message->method() != sip::Method::kOptions && message->method() != sip::Method::kAck) {
    respondStateless(*message, packet, 483, "Too Many Hops");
    return;
  }
  if (owner != shard_.index && owner < peers_.size()) {
    ++stats_.handedOver;
    Gateway* g = peers_[owner];
    transport::Packet meta = packet;  // its bytes now belong to the message
    asio::post(g->io_, [g, meta = std::move(meta), m = std::move(message)]() mutable {
      g->handedOverNow_ = true;
      g->process(std::move(m), meta);
      g->handedOverNow_ = false;
    });
    return;
  }
  process(std::move(message), packet);
}

// "In dialog" is a dialog the gateway knows, not a To tag anyone can write (issue 12 item 4).
// ACK is never answered and the transaction layer matches the ACK of a non-2xx by its branch,
// so it keeps passing on its To tag. A call on another worker is checked there: a request
// for no dialog of its is reported back through the B2BUA and goes through the guard again.
bool Gateway::inKnownDialog(const sip::Message& request, const transport::Packet& packet,
                            size_t owner) const {
  if (request.to() == nullptr) return false;
  const std::string_view toTag = request.to()->tag();
  if (toTag.empty()) return false;
  if (request.method() == sip::Method::kAck) return true;
  if (owner != shard_.index && owner < peers_.size()) return true;
  return b2bua_.knowsDialog(packet.zone, request.callId(), toTag);
}

bool Gateway::passedGuard(const guard::Verdict& verdict, const sip::Message& request,
                          const transport::Packet& packet) {
  if (verdict.passes()) return true;
  ++stats_.guardBlocked;
  if (verdict.action == guard::Action::kReply && request.method() != sip::Method::kAck) {
    respondStateless(request, packet, verdict.code, verdict.reason, verdict.retryAfterS);
  }
  return false;
}

void Gateway::rejectMalformed(const sip::Message& request, const transport::Packet& packet,
                              const sip::Verdict& verdict) {
  // Broken requests are requests too: shed under overload, rate-limited, and (through the
  // answer below) part of the source's scanner score.
  if (!passedGuard(guard_.checkRejected(request, packet), request, packet)) return;
  ++stats_.rejected;
  // The log must not grow with a flood: one line per source per interval, with a count.
  if (const auto held = rejectReports_.admit(packet.source, packet.received,
                                             config_->guard.events.repeatInterval)) {
    if (*held == 0) {
      TG_LOG(kTransport, info, "rejected a {} from {}: {} {}", request.methodText(),
             packet.source.toString(), verdict.code, verdict.reason);
    } else {
      TG_LOG(kTransport, info,
             "rejected a {} from {}: {} {} ({} more rejected from there since the last report)",
             request.methodText(), packet.source.toString(), verdict.code, verdict.reason, *held);
    }
  }
  respondStateless(request, packet, verdict.code, verdict.reason);
}

void Gateway::process(std::unique_ptr<sip::Message> message, const transport::Packet& packet) {
  layer_.receive(std::move(message), packet);
  armTimer();
}

void Gateway::armTimer() {
  if (stopped_) return;
  const auto next = timers_.nextDeadline();
  if (!next) return;
  if (*next <= clock_.now()) {
    // Already due (RFC 3261 timers D, I, J and K are zero on TCP and TLS): run it on the next
    // turn of the loop instead of moving the timerfd to now and back for every transaction.
    if (!duePosted_) {
      duePosted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<char>(alive_)] {
        if (alive.expired()) return;
        duePosted_ = false;
        if (stopped_) return;
        timers_.runDue();
        armTimer();
      });
    }
    return;
  }
  if (armed_ && armedAt_ <= *next) return;
  armed_ = true;
  armedAt_ = *next;
  wakeup_.expires_at(*next);
  wakeup_.async_wait([this](const std::error_code& ec) {
    if (ec) return;  // re-armed earlier, or stopped
    armed_ = false;
    timers_.runDue();
    armTimer();
  });
}

}  // namespace tg::app
