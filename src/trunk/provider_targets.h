#pragma once

// The current addresses of every provider, kept fresh for code that must choose a target
// without waiting (the B2BUA building a call's candidates): each provider is resolved at
// start, on reload and again when its answer's TTL runs out. A failed refresh keeps the last
// good addresses (a DNS hiccup must not take a working trunk down) and retries soon.

#include <functional>
#include <string>
#include <vector>

#include "base/timer_queue.h"
#include "config/config.h"
#include "trunk/target_resolver.h"

namespace tg::trunk {

class ProviderTargets {
 public:
  ProviderTargets(TargetResolver& resolver, base::TimerQueue& timers);
  ~ProviderTargets();

  // Called whenever a provider's addresses change (on the owner's thread).
  void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }
  // Providers to track (start and reload); resolves them all now.
  void setProviders(const config::Config& config);

  // The addresses of the provider named `name`, in the order to try; empty when unknown or
  // never resolved.
  const std::vector<transport::SendTarget>& targetsOf(const std::string& name) const;

 private:
  struct Entry {
    config::PeerTarget peer;
    std::vector<transport::SendTarget> targets;
    base::TimerId refresh = base::kNoTimer;
    uint64_t generation = 0;
  };
  void resolveOne(const std::string& name);

  TargetResolver& resolver_;
  base::TimerQueue& timers_;
  base::Duration retryAfterFailure_ = std::chrono::seconds(10);
  std::function<void()> onChange_;
  std::vector<std::pair<std::string, Entry>> entries_;
  uint64_t generation_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tg::trunk
