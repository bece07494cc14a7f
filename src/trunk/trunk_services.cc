#include "trunk/trunk_services.h"

#include <asio/post.hpp>

#include "base/log.h"
#include "base/random.h"
#include "trunk/ares_dns_client.h"

namespace tg::trunk {
namespace {

// Stands in when c-ares could not start: every lookup fails with the reason, so providers
// given by IP keep working and named ones say why they cannot.
class UnavailableDns final : public DnsClient {
 public:
  UnavailableDns(asio::io_context& io, std::string why) : io_(io), why_(std::move(why)) {}
  void query(const std::string&, DnsType, Callback done) override {
    asio::post(io_, [done = std::move(done), why = why_] {
      DnsAnswer a;
      a.error = why;
      done(a);
    });
  }

 private:
  asio::io_context& io_;
  std::string why_;
};

}  // namespace

// Sends REGISTERs through the worker's transaction layer and, as their transactions' owner,
// hands their outcome back to the registration client.
class TrunkServices::LayerTransport final : public RegistrationTransport,
                                            public transaction::TransactionOwner {
 public:
  LayerTransport(transaction::TransactionLayer& layer, EndpointLookup endpoints)
      : layer_(layer), endpoints_(std::move(endpoints)) {}
  void deliverTo(RegistrationClient* client) { client_ = client; }

  void sendRequest(std::string bytes, std::string_view branch, const transport::SendTarget& target,
                   uint64_t ownerTag) override {
    layer_.request(std::move(bytes), branch, sip::Method::kRegister, target, this, 0, ownerTag);
  }
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override {
    if (client_ != nullptr) client_->onResponse(ct.ownerTag, response);
  }
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override {
    if (client_ != nullptr) client_->onFailure(ct.ownerTag, transportError);
  }
  void onTerminated(transaction::Transaction& /*t*/) override {}
  const transport::LocalEndpoint* localEndpoint(transport::Zone zone,
                                                config::TransportKind transport) override {
    return endpoints_(zone, transport);
  }

 private:
  transaction::TransactionLayer& layer_;
  EndpointLookup endpoints_;
  RegistrationClient* client_ = nullptr;
};

TrunkServices::TrunkServices(asio::io_context& io, base::TimerQueue& timers,
                             transaction::TransactionLayer& layer, EndpointLookup endpoints,
                             config::ConfigPtr config, bool registers,
                             std::function<std::string()> newCallId)
    : config_(std::move(config)) {
  std::string why;
  dns_ = AresDnsClient::create(io, config_->dns, &why);
  if (dns_ == nullptr) {
    TG_LOG(kB2bua, err, "DNS unavailable ({}): providers given by name cannot be reached", why);
    dns_ = std::make_unique<UnavailableDns>(io, why);
  }
  resolver_ =
      std::make_unique<TargetResolver>(*dns_, timers.clock(), config_->dns, base::randomU64());
  bool v4 = false;
  bool v6 = false;
  for (const config::Listener& l : config_->trunk.listen) {
    v4 = v4 || l.address.isV4();
    v6 = v6 || l.address.isV6();
  }
  // Addresses of a family we cannot send from would only cost a timeout each.
  resolver_->setFamilies(v4 || !v6, v6);
  targets_ = std::make_unique<ProviderTargets>(*resolver_, timers);
  if (registers) {
    transport_ = std::make_unique<LayerTransport>(layer, std::move(endpoints));
    TargetResolver* resolver = resolver_.get();
    registration_ = std::make_unique<RegistrationClient>(
        timers, *transport_,
        [resolver](const config::PeerTarget& peer, TargetResolver::Callback done) {
          resolver->resolve(peer, transport::Zone::kTrunk, std::move(done));
        },
        std::move(newCallId), base::randomU64());
    transport_->deliverTo(registration_.get());
  }
}

TrunkServices::~TrunkServices() { stop(); }

void TrunkServices::start() {
  started_ = true;
  targets_->setProviders(*config_);
  if (registration_) registration_->configure(config_, config_->b2bua.userAgent);
}

void TrunkServices::reload(config::ConfigPtr config) {
  if (config->dns.servers != config_->dns.servers) {
    TG_LOG(kConfig, warn, "dns.servers changes take effect after a restart");
  }
  config_ = std::move(config);
  if (!started_) return;
  targets_->setProviders(*config_);
  if (registration_) registration_->configure(config_, config_->b2bua.userAgent);
}

void TrunkServices::stop() {
  if (registration_ && started_) registration_->unregisterAll();
  started_ = false;
}

}  // namespace tg::trunk
