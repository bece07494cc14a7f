#include "trunk/registration.h"

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"
#include "sip/name_addr.h"
#include "sip/scan.h"
#include "transaction/transaction_layer.h"

namespace tg::trunk {

std::string_view registrationStateName(RegistrationState s) {
  switch (s) {
    case RegistrationState::kUnregistered:
      return "unregistered";
    case RegistrationState::kRegistering:
      return "registering";
    case RegistrationState::kRegistered:
      return "registered";
    case RegistrationState::kRefreshing:
      return "refreshing";
    case RegistrationState::kFailed:
      return "failed";
  }
  return "?";
}

namespace {

uint32_t toSeconds(std::string_view text, uint32_t fallback) {
  text = sip::trim(text);
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return (ec == std::errc() && end == text.data() + text.size() && !text.empty()) ? v : fallback;
}

// What decides whether a running registration must start over after a reload.
bool sameRegistration(const config::Provider& a, const config::Provider& b) {
  return a.auth.username == b.auth.username &&
         a.auth.password.reveal() == b.auth.password.reveal() && a.auth.realm == b.auth.realm &&
         a.auth.expires == b.auth.expires && a.auth.registrarHost == b.auth.registrarHost &&
         a.auth.registrarPort == b.auth.registrarPort && a.target.host == b.target.host &&
         a.target.port == b.target.port && a.target.transport == b.target.transport &&
         a.domain == b.domain;
}

}  // namespace

struct RegistrationClient::Reg {
  config::Provider provider;
  size_t index = 0;
  RegistrationStatus status;
  std::string callId;
  std::string fromTag;
  uint32_t cseq = 0;
  DigestClient digest;
  std::vector<transport::SendTarget> targets;
  size_t targetIndex = 0;
  uint64_t pendingTag = 0;  // the REGISTER in flight; 0 when none
  bool resolving = false;
  int challengesAnswered = 0;          // in this attempt
  int intervalRetries = 0;             // 423 answers in this attempt
  std::chrono::seconds expires{3600};  // what we ask for (raised by 423 Min-Expires)
  base::TimerId timer = base::kNoTimer;
  std::string contactUri;
  std::string requestUri;

  config::PeerTarget registrar() const {
    if (provider.auth.registrarHost.empty()) return provider.target;
    config::PeerTarget p = provider.target;
    p.host = provider.auth.registrarHost;
    p.explicitPort = provider.auth.registrarPort != 0;
    if (p.explicitPort) p.port = provider.auth.registrarPort;
    return p;
  }
  std::string domain() const {
    if (!provider.domain.empty()) return provider.domain;
    if (!provider.auth.registrarHost.empty()) return provider.auth.registrarHost;
    return provider.target.host;
  }
};

RegistrationClient::RegistrationClient(base::TimerQueue& timers, RegistrationTransport& transport,
                                       Resolve resolve, std::function<std::string()> newCallId,
                                       uint64_t seed, RegistrationTiming timing)
    : timers_(timers),
      transport_(transport),
      resolve_(std::move(resolve)),
      newCallId_(std::move(newCallId)),
      rng_(seed),
      timing_(timing) {}

RegistrationClient::~RegistrationClient() {
  *alive_ = false;
  stop();
}

void RegistrationClient::stop() {
  for (auto& r : regs_) {
    timers_.cancel(r->timer);
    r->timer = base::kNoTimer;
    r->pendingTag = 0;
  }
}

void RegistrationClient::unregisterAll() {
  for (auto& r : regs_) {
    timers_.cancel(r->timer);
    r->timer = base::kNoTimer;
    const bool live = r->status.successes > 0 && timers_.clock().now() < r->status.expiresAt;
    if (!live || r->targets.empty()) continue;
    TG_LOG(kB2bua, info, "provider {}: removing the registration", r->provider.name);
    r->expires = std::chrono::seconds(0);
    send(*r, r->digest.reuse("REGISTER", "sip:" + r->domain(), {}, r->provider.auth));
    r->pendingTag = 0;  // whatever comes back is of no interest now
    setState(*r, RegistrationState::kUnregistered);
  }
}

base::Duration RegistrationClient::refreshDelay(base::Duration granted) const {
  const auto at = std::chrono::duration_cast<base::Duration>(granted * timing_.refreshFraction);
  return std::max(at, timing_.refreshFloor);
}

base::Duration RegistrationClient::backoff(int failures) {
  base::Duration d = timing_.retryBase;
  for (int i = 1; i < failures && d < timing_.retryCap; ++i) d *= 2;
  d = std::min(d, timing_.retryCap);
  // "Equal jitter": half fixed, half random, so that many trunkguards restarted together do
  // not retry in lockstep.
  const auto half = d / 2;
  std::uniform_int_distribution<int64_t> draw(0, half.count());
  return half + base::Duration(draw(rng_));
}

void RegistrationClient::configure(const config::ConfigPtr& config, std::string_view userAgent) {
  userAgent_ = std::string(userAgent);
  std::vector<std::unique_ptr<Reg>> next;
  for (size_t i = 0; i < config->trunk.providers.size(); ++i) {
    const config::Provider& p = config->trunk.providers[i];
    if (!p.auth.enabled || !p.auth.registerEnabled) continue;
    auto old = std::find_if(regs_.begin(), regs_.end(), [&](const std::unique_ptr<Reg>& r) {
      return r && r->provider.name == p.name && sameRegistration(r->provider, p);
    });
    if (old != regs_.end()) {
      (*old)->index = i;
      next.push_back(std::move(*old));
      continue;
    }
    auto r = std::make_unique<Reg>();
    r->provider = p;
    r->index = i;
    r->status.provider = p.name;
    r->callId = newCallId_();  // one Call-ID per boot and provider (RFC 3261 §10.2.4)
    r->fromTag = base::randomHex(8);
    r->expires = p.auth.expires;
    next.push_back(std::move(r));
  }
  for (auto& r : regs_) {
    if (!r) continue;
    timers_.cancel(r->timer);  // removed or changed
    TG_LOG(kB2bua, info, "provider {}: registration stopped (configuration changed)",
           r->provider.name);
  }
  regs_ = std::move(next);
  for (auto& r : regs_) {
    if (r->status.state == RegistrationState::kUnregistered && r->pendingTag == 0 &&
        !r->resolving) {
      attempt(*r);
    }
  }
}

RegistrationClient::Reg* RegistrationClient::find(uint64_t ownerTag) {
  if (ownerTag == 0) return nullptr;
  for (auto& r : regs_) {
    if (r->pendingTag == ownerTag) return r.get();
  }
  return nullptr;
}

std::vector<RegistrationStatus> RegistrationClient::status() const {
  std::vector<RegistrationStatus> out;
  for (const auto& r : regs_) out.push_back(r->status);
  return out;
}

void RegistrationClient::setState(Reg& r, RegistrationState s) {
  if (r.status.state == s) return;
  const RegistrationState was = r.status.state;
  r.status.state = s;
  if (s == RegistrationState::kFailed) {
    TG_LOG(kB2bua, warn, "provider {}: registration {} -> {}: {}", r.provider.name,
           registrationStateName(was), registrationStateName(s), r.status.lastError);
  } else {
    TG_LOG(kB2bua, info, "provider {}: registration {} -> {}", r.provider.name,
           registrationStateName(was), registrationStateName(s));
  }
  if (onChange_) onChange_(r.status);
}

void RegistrationClient::schedule(Reg& r, base::Duration after) {
  timers_.cancel(r.timer);
  Reg* reg = &r;
  r.timer = timers_.schedule(after, [this, reg] {
    reg->timer = base::kNoTimer;
    attempt(*reg);
  });
}

void RegistrationClient::attempt(Reg& r) {
  if (r.pendingTag != 0 || r.resolving) return;
  r.challengesAnswered = 0;
  r.intervalRetries = 0;
  const bool stillRegistered = r.status.successes > 0 && timers_.clock().now() < r.status.expiresAt;
  setState(r, stillRegistered ? RegistrationState::kRefreshing : RegistrationState::kRegistering);
  r.resolving = true;
  Reg* reg = &r;
  const std::string name = r.provider.name;
  resolve_(r.registrar(), [this, alive = std::weak_ptr<bool>(alive_), reg, name](Resolution res) {
    if (alive.expired()) return;
    // The provider may have been removed by a reload while the lookup ran.
    const bool known = std::any_of(regs_.begin(), regs_.end(),
                                   [&](const std::unique_ptr<Reg>& x) { return x.get() == reg; });
    if (!known) return;
    reg->resolving = false;
    if (res.targets.empty()) {
      fail(*reg, res.error.empty() ? "the registrar has no address" : res.error);
      return;
    }
    reg->targets = std::move(res.targets);
    send(*reg, reg->digest.reuse("REGISTER", "sip:" + reg->domain(), {}, reg->provider.auth));
  });
}

void RegistrationClient::send(Reg& r, std::optional<Authorization> auth) {
  if (r.targets.empty()) return;
  const transport::SendTarget& target = r.targets[r.targetIndex % r.targets.size()];
  const transport::LocalEndpoint* local =
      transport_.localEndpoint(transport::Zone::kTrunk, target.transport);
  if (local == nullptr) {
    fail(r, "no trunk listener for " + std::string(config::transportName(target.transport)));
    return;
  }
  const std::string domain = r.domain();
  const std::string aor = "<sip:" + r.provider.auth.username + "@" + domain + ">";
  r.requestUri = "sip:" + domain;
  r.contactUri = "sip:" + r.provider.auth.username + "@" + local->address.sipHost() + ":" +
                 std::to_string(local->address.port());
  if (target.transport == config::TransportKind::kTcp) r.contactUri += ";transport=tcp";
  if (target.transport == config::TransportKind::kTls) r.contactUri += ";transport=tls";
  const std::string branch = transaction::TransactionLayer::newBranch();
  auto b = sip::MessageBuilder::request("REGISTER", r.requestUri);
  b.header(sip::HeaderId::kVia, "SIP/2.0/" +
                                    std::string(config::viaTransportName(target.transport)) + " " +
                                    local->address.toString() + ";branch=" + branch + ";rport");
  b.header(sip::HeaderId::kMaxForwards, "70");
  b.header(sip::HeaderId::kFrom, aor + ";tag=" + r.fromTag);
  b.header(sip::HeaderId::kTo, aor);
  b.header(sip::HeaderId::kCallId, r.callId);
  b.header(sip::HeaderId::kCSeq, std::to_string(++r.cseq) + " REGISTER");
  b.header(sip::HeaderId::kContact, "<" + r.contactUri + ">");
  b.header(sip::HeaderId::kExpires, std::to_string(r.expires.count()));
  if (!userAgent_.empty()) b.header(sip::HeaderId::kUserAgent, userAgent_);
  if (auth) b.header(auth->header, auth->value);
  r.pendingTag = (nextSequence_++ << 16) | (r.index & 0xffff);  // never 0: sequences start at 1
  r.status.registrar = target.address.toString();
  TG_LOG(kB2bua, debug, "provider {}: REGISTER to {} (CSeq {}{})", r.provider.name,
         r.status.registrar, r.cseq, auth ? ", with credentials" : "");
  transport_.sendRequest(b.build(), branch, target, r.pendingTag);
}

void RegistrationClient::onResponse(uint64_t ownerTag, const sip::Message& response) {
  Reg* r = find(ownerTag);
  const int code = response.statusCode();
  if (r == nullptr || code < 200) return;
  r->pendingTag = 0;
  if (code < 300) {
    succeed(*r, response);
    return;
  }
  if (code == 401 || code == 407) {
    std::string why;
    auto auth = r->digest.answer(response, "REGISTER", r->requestUri, {}, r->provider.auth, &why);
    if (!auth) {
      fail(*r, "cannot answer the " + std::to_string(code) + " challenge: " + why);
      return;
    }
    // One answer per challenge: a second challenge to fresh credentials means they are wrong,
    // unless the registrar only says the nonce went stale.
    if (r->challengesAnswered >= 2 || (r->challengesAnswered == 1 && !r->digest.stale())) {
      r->digest.reset();
      fail(*r, "the registrar rejected the credentials for user " + r->provider.auth.username +
                   " (" + std::to_string(code) + " again after answering its challenge)");
      return;
    }
    ++r->challengesAnswered;
    send(*r, std::move(auth));
    return;
  }
  if (code == 423 && r->intervalRetries < 2) {
    // RFC 3261 §10.3: ask again with at least Min-Expires.
    const uint32_t min = toSeconds(response.value(sip::HeaderId::kMinExpires), 0);
    if (min > static_cast<uint32_t>(r->expires.count())) {
      r->expires = std::chrono::seconds(min);
      ++r->intervalRetries;
      send(*r, r->digest.reuse("REGISTER", r->requestUri, {}, r->provider.auth));
      return;
    }
  }
  base::Duration retryAfter{};
  if (code == 503 && response.has(sip::HeaderId::kRetryAfter)) {
    retryAfter = std::chrono::seconds(toSeconds(response.value(sip::HeaderId::kRetryAfter), 0));
  }
  if (code >= 500) ++r->targetIndex;  // another address of the registrar may do better
  fail(*r, "REGISTER answered " + std::to_string(code) + " " + std::string(response.reasonPhrase()),
       retryAfter);
}

void RegistrationClient::onFailure(uint64_t ownerTag, bool transportError) {
  Reg* r = find(ownerTag);
  if (r == nullptr) return;
  r->pendingTag = 0;
  ++r->targetIndex;  // fail over to the registrar's next address
  fail(*r, transportError ? "transport error sending REGISTER to " + r->status.registrar
                          : "no answer to REGISTER from " + r->status.registrar);
}

void RegistrationClient::succeed(Reg& r, const sip::Message& response) {
  // The expiry granted to our binding: its Contact's expires parameter, else Expires, else
  // what we asked for (RFC 3261 §10.2.4).
  uint32_t granted = static_cast<uint32_t>(r.expires.count());
  bool fromContact = false;
  if (response.has(sip::HeaderId::kExpires)) {
    granted = toSeconds(response.value(sip::HeaderId::kExpires), granted);
  }
  response.forEachElement(sip::HeaderId::kContact, [&](std::string_view element) {
    if (fromContact) return;
    auto c = sip::parseNameAddr(element);
    if (!c) return;
    const std::string_view e = c->params.get("expires");
    const bool ours = c->uri.text == r.contactUri ||
                      c->uri.text.find(r.contactUri.substr(4)) != std::string_view::npos;
    if (ours && !e.empty()) {
      granted = toSeconds(e, granted);
      fromContact = true;
    }
  });
  if (granted == 0) {
    fail(r, "the registrar granted an expiry of 0 seconds");
    return;
  }
  const base::Duration g = std::chrono::seconds(granted);
  r.status.granted = g;
  r.status.expiresAt = timers_.clock().now() + g;
  r.status.expiresAtWall = timers_.clock().wallNow() + std::chrono::seconds(granted);
  r.status.consecutiveFailures = 0;
  r.status.lastError.clear();
  ++r.status.successes;
  const bool changed = r.status.state != RegistrationState::kRegistered;
  setState(r, RegistrationState::kRegistered);
  if (!changed && onChange_) onChange_(r.status);
  TG_LOG(kB2bua, info, "provider {}: registered at {} for {} s", r.provider.name,
         r.status.registrar, granted);
  schedule(r, refreshDelay(g));
}

void RegistrationClient::fail(Reg& r, std::string error, base::Duration retryAfter) {
  r.status.lastError = std::move(error);
  ++r.status.consecutiveFailures;
  r.digest.reset();  // start the next attempt from a fresh challenge
  const bool wasFailed = r.status.state == RegistrationState::kFailed;
  setState(r, RegistrationState::kFailed);
  if (wasFailed) {
    TG_LOG(kB2bua, warn, "provider {}: registration failed again ({} in a row): {}",
           r.provider.name, r.status.consecutiveFailures, r.status.lastError);
  }
  base::Duration delay = backoff(r.status.consecutiveFailures);
  if (retryAfter > delay) delay = std::min(retryAfter, timing_.retryCap);
  schedule(r, delay);
}

}  // namespace tg::trunk
