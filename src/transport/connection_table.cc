#include "transport/connection_table.h"

#include "transport/socket_util.h"

namespace tg::transport {

void ConnectionTable::add(std::shared_ptr<TcpConnection> connection) {
  TcpConnection* raw = connection.get();
  byRemote_.emplace(raw->remote(), raw);
  if (raw->direction() == TcpConnection::Direction::kInbound) {
    ++inboundPerIp_[ipOnly(raw->remote())];
  }
  byId_.emplace(raw->id(), std::move(connection));
}

std::shared_ptr<TcpConnection> ConnectionTable::remove(const TcpConnection& connection) {
  const auto it = byId_.find(connection.id());
  if (it == byId_.end()) return nullptr;
  std::shared_ptr<TcpConnection> owned = std::move(it->second);
  byId_.erase(it);
  auto [first, last] = byRemote_.equal_range(connection.remote());
  for (auto r = first; r != last; ++r) {
    if (r->second == &connection) {
      byRemote_.erase(r);
      break;
    }
  }
  if (connection.direction() == TcpConnection::Direction::kInbound) {
    const auto count = inboundPerIp_.find(ipOnly(connection.remote()));
    if (count != inboundPerIp_.end() && --count->second == 0) inboundPerIp_.erase(count);
  }
  return owned;
}

TcpConnection* ConnectionTable::find(ConnectionId id) const {
  const auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : it->second.get();
}

TcpConnection* ConnectionTable::findReusable(Zone zone, config::TransportKind transport,
                                             const base::Address& remote) const {
  auto [first, last] = byRemote_.equal_range(remote);
  for (auto it = first; it != last; ++it) {
    const TcpConnection& c = *it->second;
    if (c.zone() == zone && c.transport() == transport && !c.isClosed()) return it->second;
  }
  return nullptr;
}

size_t ConnectionTable::inboundFrom(const base::Address& source) const {
  const auto it = inboundPerIp_.find(ipOnly(source));
  return it == inboundPerIp_.end() ? 0 : it->second;
}

std::vector<std::shared_ptr<TcpConnection>> ConnectionTable::takeAll() {
  std::vector<std::shared_ptr<TcpConnection>> all;
  all.reserve(byId_.size());
  for (auto& [id, connection] : byId_) all.push_back(std::move(connection));
  byId_.clear();
  byRemote_.clear();
  inboundPerIp_.clear();
  return all;
}

}  // namespace tg::transport
