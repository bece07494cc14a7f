#include "transport/socket_util.h"

#include <netinet/in.h>

namespace tg::transport {

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
