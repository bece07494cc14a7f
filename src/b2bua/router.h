#pragma once

// Where calls go: the providers (every address DNS gave each, in SRV order) for outbound calls,
// the PBX targets for inbound ones, a registered phone for a PBX call to it. Keeps the health
// monitor's peer list in step with the configuration and the DNS answers, orders a call's
// candidates by health for failover, and finds providers by name, address or source.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "b2bua/bindings.h"
#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/health.h"
#include "base/address.h"
#include "trunk/provider_targets.h"

namespace tg::b2bua {

class Router {
 public:
  Router(const B2buaContext& context, HealthMonitor& health) : ctx_(context), health_(health) {}

  // Provider addresses resolved by DNS; without them providers are used as written.
  void setProviderTargets(const trunk::ProviderTargets* targets) { providerAddresses_ = targets; }
  // Rebuilds the peers (providers, then PBX targets) from the configuration and the DNS
  // answers, and hands them to the health monitor.
  void rebuild();
  const std::vector<transport::SendTarget>& pbxTargets() const { return pbxTargets_; }

  // Whether any provider is reached over TLS (a sips: call needs one).
  bool anyTlsProvider() const;
  // The candidates of a new call: healthy peers in priority order (each provider's addresses
  // that answer first); when none is healthy, all of them. A sips: call keeps TLS ones only.
  std::vector<Call::Candidate> candidates(Direction direction, bool sips) const;
  // The one candidate of a PBX call for a registered phone.
  Call::Candidate phoneCandidate(const Binding& phone) const;
  // The provider an inbound call came from (its allowed sources); empty when none matches.
  std::string sourceProvider(const base::Address& source) const;
  const config::Provider* providerNamed(std::string_view name) const;
  // The provider with `address` among its addresses and credentials to answer challenges.
  const config::Provider* authenticatingProviderAt(const base::Address& address) const;

 private:
  const B2buaContext& ctx_;
  HealthMonitor& health_;
  const trunk::ProviderTargets* providerAddresses_ = nullptr;
  // Every address of each provider (parallel to config->trunk.providers), in the order to try
  // them (DNS SRV order; failover). The health monitor has the same lists, address by address.
  std::vector<std::vector<transport::SendTarget>> providerAddressLists_;
  std::vector<transport::SendTarget> pbxTargets_;
};

}  // namespace tg::b2bua
