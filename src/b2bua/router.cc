#include "b2bua/router.h"

#include <algorithm>

namespace tg::b2bua {

using transport::Zone;

void Router::rebuild() {
  const config::Config& config = *ctx_.config;
  pbxTargets_.clear();
  std::vector<PeerHealth> peers;
  auto toTarget = [](const config::PeerTarget& p, Zone zone) {
    transport::SendTarget t;
    t.zone = zone;
    t.transport = p.transport;
    if (auto a = base::Address::parse(p.host, p.port)) t.address = *a;
    return t;
  };
  auto peer = [](std::string name, const std::vector<transport::SendTarget>& targets) {
    PeerHealth h;
    h.name = std::move(name);
    h.addresses.resize(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) h.addresses[i].target = targets[i];
    return h;
  };
  // Health peers: the providers (each with every address), then the PBX targets.
  providerAddressLists_.clear();
  for (const config::Provider& p : config.trunk.providers) {
    std::vector<transport::SendTarget> all;
    if (providerAddresses_ != nullptr) all = providerAddresses_->targetsOf(p.name);
    if (all.empty()) all.push_back(toTarget(p.target, Zone::kTrunk));  // unresolved: skipped
    peers.push_back(peer(p.name, all));
    providerAddressLists_.push_back(std::move(all));
  }
  for (size_t i = 0; i < config.pbx.targets.size(); ++i) {
    pbxTargets_.push_back(toTarget(config.pbx.targets[i], Zone::kPbx));
    peers.push_back(peer(i == 0 ? "pbx" : "pbx#" + std::to_string(i + 1), {pbxTargets_.back()}));
  }
  health_.setPeers(std::move(peers));
}

bool Router::anyTlsProvider() const {
  const std::vector<config::Provider>& providers = ctx_.config->trunk.providers;
  return std::any_of(providers.begin(), providers.end(), [](const config::Provider& p) {
    return p.target.transport == config::TransportKind::kTls;
  });
}

std::vector<Call::Candidate> Router::candidates(Direction direction, bool sips) const {
  const config::Config& config = *ctx_.config;
  std::vector<Call::Candidate> out;
  // Health peers are the providers (config order), then the PBX targets (rebuild()).
  const bool outbound = direction == Direction::kOutbound;
  const size_t count = outbound ? providerAddressLists_.size() : pbxTargets_.size();
  const size_t healthBase = outbound ? 0 : providerAddressLists_.size();
  const std::vector<PeerHealth>& peers = health_.peers();
  auto candidate = [&](size_t i) {
    Call::Candidate c;
    c.name = outbound ? config.trunk.providers[i].name : std::string("pbx");
    c.domain = outbound ? config.trunk.providers[i].domain : config.pbx.domain;
    // A provider found by name keeps that name in its URIs: DNS says where, not who.
    if (outbound && c.domain.empty()) {
      const std::string& host = config.trunk.providers[i].target.host;
      if (!base::Address::parse(host, 0)) c.domain = host;
    }
    return c;
  };
  // A provider's addresses (SRV targets) are tried before the next provider: those that answer
  // first, in SRV order, then the others (a down address may still be the one that works).
  auto addCandidates = [&](size_t i) {
    if (healthBase + i >= peers.size()) return;
    const PeerHealth& peer = peers[healthBase + i];
    Call::Candidate c = candidate(i);
    for (bool up : {true, false}) {
      for (const AddressHealth& address : peer.addresses) {
        if (address.up != up) continue;
        c.target = address.target;
        c.healthId = address.id;
        out.push_back(c);
      }
    }
  };
  for (size_t i = 0; i < count; ++i) {
    if (health_.isUp(healthBase + i)) addCandidates(i);
  }
  if (out.empty()) {
    for (size_t i = 0; i < count; ++i) addCandidates(i);
  }
  if (sips) {
    std::erase_if(out, [](const Call::Candidate& c) {
      return c.target.transport != config::TransportKind::kTls;
    });
  }
  return out;
}

Call::Candidate Router::phoneCandidate(const Binding& phone) const {
  Call::Candidate c;
  c.target = phone.phone;  // its source address (rport): a phone behind NAT
  c.name = "phone/" + phone.account;
  const transport::LocalEndpoint* pub = ctx_.endpoints(Zone::kPublic, phone.phone.transport);
  c.domain = pub != nullptr ? pub->address.toString() : "invalid";
  c.requestUri = phone.phoneContact;
  c.healthId = HealthMonitor::kNoAddress;  // phones are not health-checked
  return c;
}

std::string Router::sourceProvider(const base::Address& source) const {
  for (const config::Provider& p : ctx_.config->trunk.providers) {
    for (const config::Cidr& c : p.allowedSources) {
      if (c.contains(source)) return p.name;
    }
  }
  return {};
}

const config::Provider* Router::providerNamed(std::string_view name) const {
  for (const config::Provider& p : ctx_.config->trunk.providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const config::Provider* Router::authenticatingProviderAt(const base::Address& address) const {
  const std::vector<config::Provider>& providers = ctx_.config->trunk.providers;
  const size_t n = std::min(providerAddressLists_.size(), providers.size());
  for (size_t i = 0; i < n; ++i) {
    for (const transport::SendTarget& t : providerAddressLists_[i]) {
      if (t.address == address && providers[i].auth.enabled) return &providers[i];
    }
  }
  return nullptr;
}

}  // namespace tg::b2bua
