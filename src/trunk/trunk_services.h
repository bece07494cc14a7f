#pragma once

// The trunk-side services of one worker, built by the gateway: the DNS client and RFC 3263
// resolver, the provider address book the B2BUA picks targets from, and (on the one worker
// that registers, worker 0) the registration client. Registration responses come back through
// the B2BUA, the transaction layer's user, via registration()->onResponse().

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/timer_queue.h"
#include "config/config.h"
#include "transaction/transaction_layer.h"
#include "trunk/dns_types.h"
#include "trunk/provider_targets.h"
#include "trunk/registration.h"
#include "trunk/target_resolver.h"

namespace tg::trunk {

using EndpointLookup =
    std::function<const transport::LocalEndpoint*(transport::Zone, config::TransportKind)>;

class TrunkServices {
 public:
  // `registers`: whether this worker runs the registration client (exactly one should).
  // `newCallId`: Call-IDs that route back to this worker.
  TrunkServices(asio::io_context& io, base::TimerQueue& timers,
                transaction::TransactionLayer& layer, EndpointLookup endpoints,
                config::ConfigPtr config, bool registers, std::function<std::string()> newCallId);
  ~TrunkServices();

  // Resolves the providers and starts registering.
  void start();
  // A reloaded configuration: providers are resolved again, registrations follow. DNS server
  // changes need a restart (logged).
  void reload(config::ConfigPtr config);
  // Stops registering and removes the registrations (best effort).
  void stop();

  ProviderTargets& targets() { return *targets_; }
  TargetResolver& resolver() { return *resolver_; }
  // nullptr on the workers that do not register.
  RegistrationClient* registration() { return registration_.get(); }

 private:
  class LayerTransport;

  config::ConfigPtr config_;
  std::unique_ptr<DnsClient> dns_;
  std::unique_ptr<TargetResolver> resolver_;
  std::unique_ptr<ProviderTargets> targets_;
  std::unique_ptr<LayerTransport> transport_;
  std::unique_ptr<RegistrationClient> registration_;
  bool started_ = false;
};

}  // namespace tg::trunk
