#pragma once

// Conversions between base::Address and asio endpoints, and the names used in messages.

#include <cstring>
#include <string>

#include "base/address.h"
#include "config/config.h"
#include "transport/transport.h"

namespace tg::transport {

template <class Endpoint>
Endpoint toEndpoint(const base::Address& address) {
  Endpoint endpoint;
  std::memcpy(endpoint.data(), address.sockaddrPtr(), address.sockaddrLen());
  endpoint.resize(address.sockaddrLen());
  return endpoint;
}

template <class Endpoint>
base::Address fromEndpoint(const Endpoint& endpoint) {
  return base::Address::fromSockaddr(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
}

// The address with port 0: the key for per-source-IP bookkeeping.
inline base::Address ipOnly(base::Address address) {
  address.setPort(0);
  return address;
}

// The /24 (IPv4) or /64 (IPv6) network of `address`, port 0: the key for per-prefix budgets.
base::Address prefixOf(const base::Address& address);

bool isWildcard(const base::Address& address);

// "udp://127.0.0.1:5060"
std::string transportUri(config::TransportKind transport, const base::Address& address);

// "pbx listener udp://127.0.0.1:5060": how start() errors name a listener.
std::string listenerName(Zone zone, const config::Listener& listener);

// Index of a zone in per-zone arrays.
constexpr size_t kZoneCount = 3;
inline size_t zoneIndex(Zone zone) { return static_cast<size_t>(zone); }

}  // namespace tg::transport
