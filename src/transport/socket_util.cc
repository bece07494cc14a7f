#include "transport/socket_util.h"

#include <netinet/in.h>

namespace tg::transport {

base::Address prefixOf(const base::Address& address) {
  if (address.isV4()) {
    sockaddr_in in = *reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr());
    in.sin_port = 0;
    in.sin_addr.s_addr &= htonl(0xffffff00u);
    return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof(in));
  }
  if (address.isV6()) {
    sockaddr_in6 in6 = *reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr());
    in6.sin6_port = 0;
    in6.sin6_flowinfo = 0;
    in6.sin6_scope_id = 0;
    for (size_t i = 8; i < 16; ++i) in6.sin6_addr.s6_addr[i] = 0;
    return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6));
  }
  return address;
}

bool isWildcard(const base::Address& address) {
  if (address.isV4()) {
    return reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr())->sin_addr.s_addr ==
           htonl(INADDR_ANY);
  }
  if (address.isV6()) {
    return IN6_IS_ADDR_UNSPECIFIED(
        &reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr())->sin6_addr);
  }
  return true;
}

std::string transportUri(config::TransportKind transport, const base::Address& address) {
  std::string uri(config::transportName(transport));
  uri += "://";
  uri += address.toString();
  return uri;
}

std::string listenerName(Zone zone, const config::Listener& listener) {
  std::string name(zoneName(zone));
  name += " listener ";
  name +=
      listener.text.empty() ? transportUri(listener.transport, listener.address) : listener.text;
  return name;
}

}  // namespace tg::transport
