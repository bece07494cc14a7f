#include "b2bua/registration_relay.h"

#include <algorithm>
#include <charconv>

#include "auth/auth_service.h"
#include "base/log.h"
#include "base/random.h"
#include "guard/enumeration.h"
#include "sip/auth_header.h"
#include "sip/builder.h"
#include "sip/scan.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using transaction::ClientTransaction;
using transaction::ServerTransaction;
using transport::Zone;

constexpr uint32_t kMaxExpires = 86400;

std::optional<uint32_t> toUint(std::string_view text) {
  text = sip::trim(text);
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Replaces the quoted value of `name="..."` with random hex of the same length.
void freshen(std::string& challenge, std::string_view name) {
  std::string lower = challenge;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t at = lower.find(std::string(name) + "=\"");
  if (at == std::string::npos) return;
  const size_t start = at + name.size() + 2;
  const size_t end = challenge.find('"', start);
  if (end == std::string::npos) return;
  std::string fresh = base::randomHex((end - start + 1) / 2);
  fresh.resize(end - start, '0');
  challenge.replace(start, end - start, fresh);
}

}  // namespace

uint32_t requestedExpires(const sip::Message& request) {
  if (const sip::NameAddr* c = request.contact()) {
    if (auto p = c->params.find("expires")) {
      if (auto v = toUint(p->value)) return std::min(*v, kMaxExpires);
    }
  }
  if (auto e = request.expires()) return std::min(*e, kMaxExpires);
  return 3600;
}

std::string freshChallenge(std::string_view challenge) {
  std::string c(challenge);
  freshen(c, "nonce");
  freshen(c, "opaque");
  return c;
}

std::vector<std::string_view> headerValues(const sip::Message& m, HeaderId id) {
  std::vector<std::string_view> out;
  m.forEach(id, [&](const sip::HeaderField& f) { out.push_back(f.value); });
  return out;
}

RegistrationRelay::RegistrationRelay(const base::Clock& clock, LocalEndpointLookup endpoints)
    : clock_(clock),
      endpoints_(std::move(endpoints)),
      newCallId_([] { return base::randomHex(16); }) {}

void RegistrationRelay::updateConfig(config::ConfigPtr config,
                                     std::vector<transport::SendTarget> pbxTargets) {
  config_ = std::move(config);
  pbxTargets_ = std::move(pbxTargets);
}

std::string RegistrationRelay::pbxHost(const transport::SendTarget& target) const {
  return config_->pbx.domain.empty() ? target.address.toString() : config_->pbx.domain;
}

void RegistrationRelay::answer(ServerTransaction& st, int code, std::string_view reason,
                               const std::vector<std::pair<std::string_view, std::string>>& extra) {
  auto b = sip::responseTo(st.request(), code, reason, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  for (const auto& [name, value] : extra) b.header(name, value);
  layer_->respond(st, code, b.build());
}

void RegistrationRelay::notePbxChallenge(const sip::Message& response) {
  if (response.has(HeaderId::kWwwAuthenticate)) {
    pbxChallenge_ = std::string(response.value(HeaderId::kWwwAuthenticate));
  }
}

std::string RegistrationRelay::decoyChallenge() const {
  std::string c = pbxChallenge_;
  if (c.empty()) {
    const std::string realm =
        config_->publicZone ? config_->publicZone->auth.realm : std::string("trunkguard");
    c = "Digest realm=\"" + realm + "\", nonce=\"" + base::randomHex(16) +
        "\", algorithm=MD5, qop=\"auth\"";
  }
  return freshChallenge(c);
}

void RegistrationRelay::onRegister(ServerTransaction& st) {
  const sip::Message& req = st.request();
  if (auth_ == nullptr || bindings_ == nullptr || pbxTargets_.empty() ||
      !pbxTargets_.front().address.valid()) {
    answer(st, 403, "Registration Not Offered Here");
    return;
  }
  const bool gatewayMode = auth_->mode() == config::PublicAuthMode::kGateway;
  const std::vector<std::string_view> credentials = headerValues(req, HeaderId::kAuthorization);
  std::string account;
  std::string watcherKey;
  bool stripCredentials = false;
  if (gatewayMode) {
    auth::AuthRequest ar;
    ar.method = "REGISTER";
    ar.credentials = credentials;
    ar.source = st.target().address;
    ar.zone = Zone::kPublic;
    ar.requestUri = req.requestUriText();
    if (req.to() != nullptr) ar.claimedUser = req.to()->uri.user;
    ar.userAgent = req.value(HeaderId::kUserAgent);
    const auth::AuthDecision d = auth_->gateway().authenticate(ar);
    if (d.action == auth::AuthDecision::Action::kChallenge) {
      ++stats_.challenged;
      std::vector<std::pair<std::string_view, std::string>> extra;
      for (const std::string& c : d.challenges) extra.emplace_back(d.challengeHeader, c);
      answer(st, d.status, d.reasonPhrase, extra);
      return;
    }
    if (d.action == auth::AuthDecision::Action::kReject) {
      ++stats_.refused;
      answer(st, d.status, d.reasonPhrase);
      return;
    }
    account = d.account->username;
  } else {
    account = std::string(req.to()->uri.user);
    watcherKey = "R " + std::string(req.callId()) + " " + std::to_string(req.cseq()->number);
    if (!credentials.empty()) {
      const auth::FailureWatcher::Verdict verdict =
          auth_->watcher().onRequest(watcherKey, credentials.front(), st.target().address,
                                     req.requestUriText(), Zone::kPublic);
      if (verdict == auth::FailureWatcher::Verdict::kRefuseUriMismatch) {
        ++stats_.refused;
        answer(st, 400, auth::kDigestUriMismatch);
        return;
      }
      stripCredentials = verdict == auth::FailureWatcher::Verdict::kStripCredentials;
    } else {
      watcherKey.clear();
    }
  }
  if (account.empty()) {
    answer(st, 400, "Missing User");
    return;
  }

  if (req.contactIsStar() || !req.has(HeaderId::kContact)) {
    // A query, or "remove all": answer from what we hold rather than trouble the PBX (§10.3).
    if (req.contactIsStar()) {
      for (const Binding& b : bindings_->activeFor(account)) {
        if (b.phone.address.sameIp(st.target().address)) bindings_->remove(b.key);
      }
    }
    std::vector<std::pair<std::string_view, std::string>> extra;
    const base::TimePoint now = clock_.now();
    for (const Binding& b : bindings_->activeFor(account)) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(b.expires - now);
      extra.emplace_back("Contact",
                         "<" + b.phoneContact + ">;expires=" + std::to_string(left.count()));
    }
    answer(st, 200, {}, extra);
    return;
  }
  const sip::NameAddr* contact = req.contact();
  if (contact == nullptr) {
    answer(st, 400, "Bad Contact");
    return;
  }
  const uint32_t expires = requestedExpires(req);
  const int maxRegistrations = [&] {
    if (!gatewayMode) return 0;  // the PBX enforces its own limits
    std::shared_ptr<const auth::AccountDirectory::Map> keep;
    const auth::Account* a = auth_->accounts().find(account, keep);
    return a != nullptr ? a->maxRegistrations : 1;
  }();
  Binding binding;
  const Bindings::Prepared prepared =
      bindings_->prepare(account, req.callId(), contact->uri.text, st.target(),
                         expires == 0 ? 0 : maxRegistrations, newCallId_, &binding);
  if (prepared == Bindings::Prepared::kTooMany) {
    ++stats_.tooMany;
    TG_LOG(kB2bua, info, "REGISTER of {} from {} refused: {} registrations already", account,
           st.target().address.toString(), maxRegistrations);
    answer(st, 403, "Too Many Registrations");
    return;
  }
  if (prepared == Bindings::Prepared::kFull) {
    answer(st, 503, {}, {{"Retry-After", "30"}});
    return;
  }

  const transport::SendTarget& target = pbxTargets_.front();
  const transport::LocalEndpoint* local = endpoints_(Zone::kPbx, target.transport);
  const std::string localHost = local != nullptr ? local->address.toString() : "invalid";
  const std::string host = pbxHost(target);
  const std::string aor = "<sip:" + account + "@" + host + ">";
  const std::string branch = transaction::TransactionLayer::newBranch();
  auto m = sip::MessageBuilder::request("REGISTER", "sip:" + host);
  m.header(HeaderId::kVia, "SIP/2.0/" + std::string(config::viaTransportName(target.transport)) +
                               " " + localHost + ";branch=" + branch + ";rport");
  m.header(HeaderId::kMaxForwards, "70");
  m.header(HeaderId::kFrom, aor + ";tag=" + base::randomHex(6));
  m.header(HeaderId::kTo, aor);
  m.header(HeaderId::kCallId, binding.pbxCallId);
  m.header(HeaderId::kCSeq, std::to_string(binding.pbxCseq) + " REGISTER");
  std::string ours = "<sip:" + binding.key + "@" + localHost;
  if (target.transport == config::TransportKind::kTcp) ours.append(";transport=tcp");
  ours.append(">;expires=" + std::to_string(expires));
  m.header(HeaderId::kContact, ours);
  m.header(HeaderId::kExpires, std::to_string(expires));
  if (!config_->b2bua.userAgent.empty()) m.header(HeaderId::kUserAgent, config_->b2bua.userAgent);
  // Credentials cross only here (public -> PBX): all of them in pbx mode, and in gateway mode
  // those for another realm (the PBX's own challenge, relayed earlier).
  if (!stripCredentials) {
    for (std::string_view c : credentials) {
      if (gatewayMode) {
        auto parsed = sip::parseCredentials(c);
        if (!parsed || parsed->realm.equals(auth_->digest().realm())) continue;
      }
      m.header(HeaderId::kAuthorization, c);
    }
  }

  const uint64_t id = nextId_++;
  Pending p;
  p.server = &st;
  p.key = binding.key;
  p.account = account;
  p.watcherKey = std::move(watcherKey);
  p.requested = expires;
  st.owner = this;
  st.ownerId = id;
  Pending& stored = pending_.emplace(id, std::move(p)).first->second;
  ++stats_.relayed;
  TG_LOG(kB2bua, info, "REGISTER of {} from {} relayed to the PBX as {} (expires {})", account,
         st.target().address.toString(), binding.key, expires);
  stored.client = &layer_->request(m.build(), branch, sip::Method::kRegister, target, this, id);
}

void RegistrationRelay::onResponse(ClientTransaction& ct, const sip::Message& response) {
  auto it = pending_.find(ct.ownerId);
  if (it == pending_.end() || response.statusCode() < 200) return;
  Pending& p = it->second;
  if (!p.watcherKey.empty()) {
    auth_->watcher().onFinalResponse(p.watcherKey, response.statusCode(),
                                     response.value(HeaderId::kWwwAuthenticate));
    p.watcherKey.clear();
  }
  relayFinal(p, response);
}

void RegistrationRelay::relayFinal(Pending& p, const sip::Message& response) {
  const int code = response.statusCode();
  const bool gatewayMode = auth_->mode() == config::PublicAuthMode::kGateway;
  if (!gatewayMode) notePbxChallenge(response);
  if (code >= 200 && code < 300) {
    uint32_t granted = p.requested;
    bool listed = false;
    response.forEachElement(HeaderId::kContact, [&](std::string_view element) {
      auto c = sip::parseNameAddr(element);
      if (!c || c->uri.user != p.key) return;
      listed = true;
      if (auto e = c->params.find("expires")) {
        if (auto v = toUint(e->value)) granted = std::min(*v, granted);
      }
    });
    if (!listed && response.expires()) granted = std::min(*response.expires(), granted);
    if (p.requested == 0 || (!listed && response.has(HeaderId::kContact))) {
      bindings_->remove(p.key);  // removed, or the PBX did not keep it
    } else {
      bindings_->commit(p.key, std::chrono::seconds(granted));
    }
  }  // a refused one stays pending (its retry reuses the PBX Call-ID) until it ages out
  if (p.server == nullptr || p.server->lastStatus() >= 200) return;
  ServerTransaction& st = *p.server;
  p.server = nullptr;

  // What the phone may learn: success, or one answer for every way of failing.
  const guard::EdgeAnswer edge = guard::normaliseForEdge(sip::Method::kRegister, code, gatewayMode);
  std::vector<std::pair<std::string_view, std::string>> extra;
  if (code >= 200 && code < 300) {
    ++stats_.accepted;
    const base::TimePoint now = clock_.now();
    for (const Binding& b : bindings_->activeFor(p.account)) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(b.expires - now);
      extra.emplace_back("Contact",
                         "<" + b.phoneContact + ">;expires=" + std::to_string(left.count()));
    }
    TG_LOG(kB2bua, info, "REGISTER of {} accepted by the PBX ({})", p.account, p.key);
  } else {
    ++stats_.refused;
    if (edge.action == guard::EdgeAnswer::Action::kChallenge) {
      std::string_view header = edge.code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
      const HeaderId id =
          edge.code == 401 ? HeaderId::kWwwAuthenticate : HeaderId::kProxyAuthenticate;
      if ((code == 401 || code == 407) && response.has(id)) {
        for (std::string_view v : headerValues(response, id)) extra.emplace_back(header, v);
        if (gatewayMode) {
          // The PBX wants its own credentials too: the phone answers both realms (RFC 3261
          // §22.3), we check ours and relay the PBX's. Only the PBX's would make it loop.
          for (std::string& c : auth_->digest().challenges(st.target().address)) {
            extra.emplace_back("WWW-Authenticate", std::move(c));
          }
          warnPbxChallengesInGatewayMode("REGISTER", p.account, clock_.now(),
                                         lastPbxChallengeWarning_);
        }
      } else {
        extra.emplace_back(header, decoyChallenge());
      }
    }
    TG_LOG(kB2bua, info, "REGISTER of {}: the PBX answered {}, the phone gets {}", p.account, code,
           edge.code);
  }
  answer(st, edge.code, edge.reason, extra);
}

void warnPbxChallengesInGatewayMode(std::string_view method, std::string_view account,
                                    base::TimePoint now, base::TimePoint& lastWarning) {
  if (lastWarning != base::TimePoint{} && now - lastWarning < std::chrono::minutes(1)) return;
  lastWarning = now;
  TG_LOG(kB2bua, warn,
         "the PBX challenged a {} of '{}' that trunkguard had already "
         "authenticated (public.auth.mode: gateway); the phone must now answer both realms. "
         "Let the PBX trust trunkguard's address, or use public.auth.mode: pbx",
         method, account);
}

void RegistrationRelay::onClientFailure(ClientTransaction& ct, bool /*transportError*/) {
  auto it = pending_.find(ct.ownerId);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  p.client = nullptr;
  if (p.server != nullptr && p.server->lastStatus() < 200) {
    ServerTransaction& st = *p.server;
    p.server = nullptr;
    answer(st, 408, {});
  }
}

void RegistrationRelay::onTerminated(transaction::Transaction& t) {
  auto it = pending_.find(t.ownerId);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (&t == p.server) p.server = nullptr;
  if (&t == p.client) p.client = nullptr;
  if (p.server == nullptr && p.client == nullptr) pending_.erase(it);
}

}  // namespace tg::b2bua
