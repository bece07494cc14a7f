#pragma once

// The open TCP and TLS connections one worker owns, found by id (responses, RFC 3261 §18.2.2) and
// by remote address (connection reuse, §18.1.1). What every worker owns, and the caps, are in the
// shared ConnectionDirectory.

#include <memory>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "transport/tcp_connection.h"

namespace tg::transport {

class ConnectionTable {
 public:
  void add(std::shared_ptr<TcpConnection> connection);
  // Forgets it; returns the owning pointer so the caller decides when it may die.
  std::shared_ptr<TcpConnection> remove(const TcpConnection& connection);

  TcpConnection* find(ConnectionId id) const;
  // An open or connecting connection of `zone` and `transport` (tcp or tls) to `remote`.
  TcpConnection* findReusable(Zone zone, config::TransportKind transport,
                              const base::Address& remote) const;
  size_t size() const { return byId_.size(); }

  // Appends the connections that satisfy `pred` to `out`, for callers that close them (which
  // edits the table) afterwards.
  template <class Pred>
  void collectIf(std::vector<std::shared_ptr<TcpConnection>>& out, Pred pred) const {
    for (const auto& entry : byId_) {
      if (pred(*entry.second)) out.push_back(entry.second);
    }
  }
  // Hands over every connection and forgets them all.
  std::vector<std::shared_ptr<TcpConnection>> takeAll();

 private:
  std::unordered_map<ConnectionId, std::shared_ptr<TcpConnection>> byId_;
  std::unordered_multimap<base::Address, TcpConnection*> byRemote_;
};

}  // namespace tg::transport
