#include "transport/connection_directory.h"

#include <array>

#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr std::chrono::seconds kAcceptWindow{1};

}  // namespace

ConnectionDirectory::AcceptWindow* ConnectionDirectory::windowOf(Windows& windows,
                                                                 const base::Address& key,
                                                                 size_t cap, base::TimePoint now) {
  if (cap == 0) return nullptr;
  AcceptWindow& window = windows[key];
  if (window.accepted == 0 || now - window.start >= kAcceptWindow) window = AcceptWindow{now, 0};
  return &window;
}

ConnectionDirectory::Admission ConnectionDirectory::admitInbound(ConnectionId id, Zone zone,
                                                                 config::TransportKind transport,
                                                                 const base::Address& remote,
                                                                 const Caps& caps,
                                                                 base::TimePoint now) {
  const std::lock_guard lock(mutex_);
  const base::Address ip = ipOnly(remote);
  const base::Address prefix = prefixOf(remote);
  const bool tls = transport == config::TransportKind::kTls;
  // Every window that applies is checked before any counts, so a refusal costs no budget.
  struct Limit {
    AcceptWindow* window;
    size_t cap;
    Admission refusal;
  };
  const std::array<Limit, 4> limits{{
      {windowOf(acceptsPerIp_, ip, caps.maxAcceptsPerSourcePerSecond, now),
       caps.maxAcceptsPerSourcePerSecond, Admission::kOverAcceptRate},
      {windowOf(acceptsPerPrefix_, prefix, caps.maxAcceptsPerPrefixPerSecond, now),
       caps.maxAcceptsPerPrefixPerSecond, Admission::kOverPrefixAcceptRate},
      {tls ? windowOf(handshakesPerIp_, ip, caps.maxHandshakesPerSourcePerSecond, now) : nullptr,
       caps.maxHandshakesPerSourcePerSecond, Admission::kOverHandshakeRate},
      {tls ? windowOf(handshakesPerPrefix_, prefix, caps.maxHandshakesPerPrefixPerSecond, now)
           : nullptr,
       caps.maxHandshakesPerPrefixPerSecond, Admission::kOverPrefixHandshakeRate},
  }};
  for (const Limit& limit : limits) {
    if (limit.window && limit.window->accepted >= limit.cap) return limit.refusal;
  }
  if (caps.maxConnections != 0) {
    if (byId_.size() >= caps.maxConnections) return Admission::kOverTotal;
    if (zone == Zone::kPublic && caps.reservedForPeers < caps.maxConnections &&
        byId_.size() >= caps.maxConnections - caps.reservedForPeers) {
      return Admission::kOverPublicShare;
    }
  }
  const auto over = [](const std::unordered_map<base::Address, size_t>& counts,
                       const base::Address& key, size_t cap) {
    if (cap == 0) return false;
    const auto count = counts.find(key);
    return count != counts.end() && count->second >= cap;
  };
  if (over(inboundPerIp_, ip, caps.maxConnectionsPerSource)) return Admission::kOverSource;
  if (over(inboundPerPrefix_, prefix, caps.maxConnectionsPerPrefix)) return Admission::kOverPrefix;
  addLocked(id, Entry{zone, transport, true, remote, false});
  for (const Limit& limit : limits) {
    if (limit.window) ++limit.window->accepted;
  }
  return Admission::kAdmitted;
}

void ConnectionDirectory::expireAcceptWindows(base::TimePoint now) {
  const std::lock_guard lock(mutex_);
  for (Windows* windows :
       {&acceptsPerIp_, &acceptsPerPrefix_, &handshakesPerIp_, &handshakesPerPrefix_}) {
    std::erase_if(*windows,
                  [&](const auto& entry) { return now - entry.second.start >= kAcceptWindow; });
  }
}

void ConnectionDirectory::addOutbound(ConnectionId id, Zone zone, config::TransportKind transport,
                                      const base::Address& remote) {
  const std::lock_guard lock(mutex_);
  addLocked(id, Entry{zone, transport, false, remote, false});
}

void ConnectionDirectory::addLocked(ConnectionId id, const Entry& entry) {
  if (!byId_.emplace(id, entry).second) return;
  byRemote_.emplace(entry.remote, id);
  if (entry.inbound) {
    ++inboundPerIp_[ipOnly(entry.remote)];
    ++inboundPerPrefix_[prefixOf(entry.remote)];
  }
}

void ConnectionDirectory::remove(ConnectionId id) {
  const std::lock_guard lock(mutex_);
  const auto it = byId_.find(id);
  if (it == byId_.end()) return;
  const Entry& entry = it->second;
  auto [first, last] = byRemote_.equal_range(entry.remote);
  for (auto r = first; r != last; ++r) {
    if (r->second == id) {
      byRemote_.erase(r);
      break;
    }
  }
  if (entry.inbound) {
    const auto release = [](std::unordered_map<base::Address, size_t>& counts,
                            const base::Address& key) {
      const auto count = counts.find(key);
      if (count != counts.end() && --count->second == 0) counts.erase(count);
    };
    release(inboundPerIp_, ipOnly(entry.remote));
    release(inboundPerPrefix_, prefixOf(entry.remote));
  }
  byId_.erase(it);
}

std::string_view ConnectionDirectory::describe(Admission admission) {
  switch (admission) {
    case Admission::kAdmitted:
      return "admitted";
    case Admission::kOverTotal:
      return "total cap";
    case Admission::kOverPublicShare:
      return "public share of the total cap (the rest is reserved for peers)";
    case Admission::kOverSource:
      return "per-source cap";
    case Admission::kOverPrefix:
      return "per-prefix cap";
    case Admission::kOverAcceptRate:
      return "per-source accept rate";
    case Admission::kOverPrefixAcceptRate:
      return "per-prefix accept rate";
    case Admission::kOverHandshakeRate:
      return "per-source TLS handshake rate";
    case Admission::kOverPrefixHandshakeRate:
      return "per-prefix TLS handshake rate";
  }
  return "refused";
}

std::optional<ConnectionId> ConnectionDirectory::findReusable(Zone zone,
                                                              config::TransportKind transport,
                                                              const base::Address& remote) const {
  const std::lock_guard lock(mutex_);
  auto [first, last] = byRemote_.equal_range(remote);
  for (auto it = first; it != last; ++it) {
    const auto entry = byId_.find(it->second);
    if (entry != byId_.end() && entry->second.zone == zone &&
        entry->second.transport == transport) {
      return it->second;
    }
  }
  return std::nullopt;
}

void ConnectionDirectory::confirm(ConnectionId id) {
  const std::lock_guard lock(mutex_);
  if (const auto it = byId_.find(id); it != byId_.end()) it->second.confirmed = true;
}

bool ConnectionDirectory::isConfirmed(ConnectionId id) const {
  const std::lock_guard lock(mutex_);
  const auto it = byId_.find(id);
  return it != byId_.end() && it->second.confirmed;
}

size_t ConnectionDirectory::size() const {
  const std::lock_guard lock(mutex_);
  return byId_.size();
}

size_t ConnectionDirectory::inboundFrom(const base::Address& source) const {
  const std::lock_guard lock(mutex_);
  const auto it = inboundPerIp_.find(ipOnly(source));
  return it == inboundPerIp_.end() ? 0 : it->second;
}

}  // namespace tg::transport
