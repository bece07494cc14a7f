#pragma once

// DnsClient over c-ares, driven by the worker's asio::io_context: c-ares tells us (socket state
// callback) which sockets it wants watched, asio waits on them without owning them, and one
// steady_timer follows ares_timeout(). Nothing blocks the worker and no extra thread runs; each
// worker has its own channel, so no lock is needed either.

#include <ares.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/dns_config.h"
#include "trunk/dns_types.h"

namespace tg::trunk {

class AresDnsClient final : public DnsClient {
 public:
  // nullptr (and *error) when c-ares cannot start, e.g. a server list it refuses.
  static std::unique_ptr<AresDnsClient> create(asio::io_context& io,
                                               const config::DnsSettings& settings,
                                               std::string* error);
  ~AresDnsClient() override;

  void query(const std::string& name, DnsType type, Callback done) override;

 private:
  struct Watch {
    ares_socket_t fd = ARES_SOCKET_BAD;
    std::unique_ptr<asio::posix::stream_descriptor> descriptor;
    bool wantRead = false;
    bool wantWrite = false;
    bool reading = false;
    bool writing = false;
    bool closed = false;
  };
  struct Pending;

  explicit AresDnsClient(asio::io_context& io);
  static void onSocketState(void* self, ares_socket_t fd, int readable, int writable);
  static void onAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void socketState(ares_socket_t fd, bool readable, bool writable);
  void armRead(const std::shared_ptr<Watch>& w);
  void armWrite(const std::shared_ptr<Watch>& w);
  void armTimer();

  asio::io_context& io_;
  ares_channel channel_ = nullptr;
  asio::steady_timer timer_;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tg::trunk
