#include "transport/connection_table.h"

namespace tg::transport {

void ConnectionTable::add(std::shared_ptr<TcpConnection> connection) {
  TcpConnection* raw = connection.get();
  byRemote_.emplace(raw->remote(), raw);
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

std::vector<std::shared_ptr<TcpConnection>> ConnectionTable::takeAll() {
  std::vector<std::shared_ptr<TcpConnection>> all;
  all.reserve(byId_.size());
  for (auto& [id, connection] : byId_) all.push_back(std::move(connection));
  byId_.clear();
  byRemote_.clear();
  return all;
}

}  // namespace tg::transport
