#include "trunk/provider_targets.h"

#include <algorithm>

#include "base/log.h"

namespace tg::trunk {
namespace {

const std::vector<transport::SendTarget>& noTargets() {
  static const std::vector<transport::SendTarget> empty;
  return empty;
}

std::string describe(const std::vector<transport::SendTarget>& targets) {
  std::string s;
  for (const auto& t : targets) s += (s.empty() ? "" : ", ") + t.address.toString();
  return s;
}

bool sameAddresses(const std::vector<transport::SendTarget>& a,
                   const std::vector<transport::SendTarget>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i].address == b[i].address) || a[i].transport != b[i].transport) return false;
  }
  return true;
}

}  // namespace

ProviderTargets::ProviderTargets(TargetResolver& resolver, base::TimerQueue& timers)
    : resolver_(resolver), timers_(timers) {}

ProviderTargets::~ProviderTargets() {
  *alive_ = false;
  for (auto& [name, e] : entries_) timers_.cancel(e.refresh);
}

void ProviderTargets::setProviders(const config::Config& config) {
  std::vector<std::pair<std::string, Entry>> next;
  for (const config::Provider& p : config.trunk.providers) {
    Entry e;
    e.peer = p.target;
    // Keep what is known for an unchanged provider until its new answer arrives.
    for (auto& [name, old] : entries_) {
      if (name == p.name && old.peer.host == p.target.host && old.peer.port == p.target.port &&
          old.peer.transport == p.target.transport) {
        e.targets = old.targets;
      }
    }
    next.emplace_back(p.name, std::move(e));
  }
  for (auto& [name, e] : entries_) timers_.cancel(e.refresh);
  entries_ = std::move(next);
  ++generation_;
  for (auto& [name, e] : entries_) e.generation = generation_;
  for (const auto& entry : std::vector<std::string>([&] {
         std::vector<std::string> names;
         for (auto& [name, e] : entries_) names.push_back(name);
         return names;
       }())) {
    resolveOne(entry);
  }
}

const std::vector<transport::SendTarget>& ProviderTargets::targetsOf(
    const std::string& name) const {
  for (const auto& [n, e] : entries_) {
    if (n == name) return e.targets;
  }
  return noTargets();
}

void ProviderTargets::resolveOne(const std::string& name) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const auto& e) { return e.first == name; });
  if (it == entries_.end()) return;
  const uint64_t generation = it->second.generation;
  resolver_.resolve(it->second.peer, transport::Zone::kTrunk,
                    [this, alive = std::weak_ptr<bool>(alive_), name, generation](Resolution r) {
                      if (alive.expired()) return;
                      auto e = std::find_if(entries_.begin(), entries_.end(),
                                            [&](const auto& x) { return x.first == name; });
                      if (e == entries_.end() || e->second.generation != generation)
                        return;  // reloaded
                      Entry& entry = e->second;
                      base::Duration next = r.ttl;
                      if (r.targets.empty()) {
                        TG_LOG(kB2bua, warn, "provider {}: {}{}", name, r.error,
                               entry.targets.empty() ? "" : "; keeping the previous addresses");
                        next = retryAfterFailure_;
                      } else if (!sameAddresses(entry.targets, r.targets)) {
                        TG_LOG(kB2bua, info, "provider {} ({}) resolves to {}", name,
                               entry.peer.host, describe(r.targets));
                        entry.targets = std::move(r.targets);
                        if (onChange_) onChange_();
                      }
                      if (next == base::Duration::max()) return;  // a literal: nothing to refresh
                      next = std::clamp<base::Duration>(next, std::chrono::seconds(1),
                                                        std::chrono::hours(24));
                      entry.refresh = timers_.schedule(next, [this, name] { resolveOne(name); });
                    });
}

}  // namespace tg::trunk
