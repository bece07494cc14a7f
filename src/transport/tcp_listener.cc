#include "transport/tcp_listener.h"

#include <sys/socket.h>

#include <asio/error.hpp>
#include <asio/ip/v6_only.hpp>
#include <chrono>

#include "base/log.h"
#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr int kBacklog = 1024;
constexpr std::chrono::milliseconds kRetryAfterResourceError{100};

// Errors that repeat immediately (the pending connection stays queued), so accepting again
// at once would spin.
bool isResourceError(const asio::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

TcpListener::TcpListener(asio::io_context& io, Owner& owner, Zone zone,
                         config::TransportKind transport)
    : owner_(owner), zone_(zone), transport_(transport), acceptor_(io), retry_(io) {}

std::string TcpListener::open(const base::Address& address, bool sharePort) {
  asio::error_code ec;
  const auto endpoint = toEndpoint<asio::ip::tcp::endpoint>(address);
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return ec.message();
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec.message();
  if (sharePort) {
    const int on = 1;
    if (setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
      return asio::error_code(errno, asio::system_category()).message();
    }
  }
  if (address.isV6()) {
    acceptor_.set_option(asio::ip::v6_only(true), ec);
    if (ec) return ec.message();
  }
  acceptor_.bind(endpoint, ec);
  if (ec) return ec.message();
  acceptor_.listen(kBacklog, ec);
  if (ec) return ec.message();
  const auto bound = acceptor_.local_endpoint(ec);
  if (ec) return ec.message();
  local_ = fromEndpoint(bound);
  return {};
}

void TcpListener::start() { accept(); }

void TcpListener::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
}

void TcpListener::accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        self->onAccept(ec, std::move(socket));
      });
}

void TcpListener::onAccept(const asio::error_code& ec, asio::ip::tcp::socket socket) {
  if (closed_) return;
  if (!ec) {
    owner_.onAccepted(*this, std::move(socket));
    if (!closed_) accept();
    return;
  }
  if (!isResourceError(ec)) {
    accept();  // e.g. the peer reset before we got to it
    return;
  }
  TG_LOG(kTransport, warn, "tcp {} accept: {}", local_.toString(), ec.message());
  retry_.expires_after(kRetryAfterResourceError);
  retry_.async_wait([self = shared_from_this()](const asio::error_code& timerEc) {
    if (!timerEc && !self->closed_) self->accept();
  });
}

}  // namespace tg::transport
