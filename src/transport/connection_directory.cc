#include "transport/connection_directory.h"

#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr std::chrono::seconds kAcceptWindow{1};

}  // namespace

ConnectionDirectory::Admission ConnectionDirectory::admitInbound(ConnectionId id, Zone zone,
                                                                 config::TransportKind transport,
                                                                 const base::Address& remote,
                                                                 const Caps& caps,
                                                                 base::TimePoint now) {
  const std::lock_guard lock(mutex_);
  AcceptWindow* window = nullptr;
  if (caps.maxAcceptsPerSourcePerSecond != 0) {
    window = &acceptsPerIp_[ipOnly(remote)];
    if (window->accepted == 0 || now - window->start >= kAcceptWindow) {
      *window = AcceptWindow{now, 0};
    }
    if (window->accepted >= caps.maxAcceptsPerSourcePerSecond) return Admission::kOverAcceptRate;
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
  if (over(inboundPerIp_, ipOnly(remote), caps.maxConnectionsPerSource)) {
    return Admission::kOverSource;
  }
  if (over(inboundPerPrefix_, prefixOf(remote), caps.maxConnectionsPerPrefix)) {
    return Admission::kOverPrefix;
  }
  addLocked(id, Entry{zone, transport, true, remote});
  if (window) ++window->accepted;
  return Admission::kAdmitted;
}

void ConnectionDirectory::expireAcceptWindows(base::TimePoint now) {
  const std::lock_guard lock(mutex_);
  std::erase_if(acceptsPerIp_,
                [&](const auto& entry) { return now - entry.second.start >= kAcceptWindow; });
}

void ConnectionDirectory::addOutbound(ConnectionId id, Zone zone, config::TransportKind transport,
                                      const base::Address& remote) {
  const std::lock_guard lock(mutex_);
  addLocked(id, Entry{zone, transport, false, remote});
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
