#pragma once

// One TCP acceptor of one zone, for tcp:// or tls:// (the TLS handshake is the connection's). It
// only accepts; whether a new connection may stay (the caps) and what becomes of it is the owner's
// decision.

// A standard header before asio: asio 1.22 chooses aligned_alloc/free or operator new/delete
// from a libstdc++ macro, and translation units that see it differently mix the two
// (AddressSanitizer: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
// clang-format on
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "base/address.h"
#include "transport/transport.h"

namespace tg::transport {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void onAccepted(TcpListener& listener, asio::ip::tcp::socket socket) = 0;
  };

  TcpListener(asio::io_context& io, Owner& owner, Zone zone,
              config::TransportKind transport = config::TransportKind::kTcp);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Opens, binds and listens; returns the OS error text on failure. `sharePort`: SO_REUSEPORT,
  // so that every worker's listener binds the same port and the kernel spreads connections.
  std::string open(const base::Address& address, bool sharePort = false);
  void start();
  void close();

  Zone zone() const { return zone_; }
  config::TransportKind transport() const { return transport_; }
  const base::Address& local() const { return local_; }

 private:
  void accept();
  void onAccept(const asio::error_code& ec, asio::ip::tcp::socket socket);

  Owner& owner_;
  Zone zone_;
  config::TransportKind transport_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;  // after running out of descriptors
  base::Address local_;
  bool closed_ = false;
};

}  // namespace tg::transport
