#pragma once

// The keys that seal TLS session tickets (RFC 5077, TLS 1.3 PSK resumption) on the tls://
// listeners. A ticket lets a phone that reconnects skip the certificate signature and key
// exchange, the expensive part of a handshake, so legitimate reconnects stay cheap while a
// handshake flood is rate-limited. One ring per process: every worker's listener (the kernel
// spreads a phone's reconnects over them) and every reloaded context accept the same tickets.
// A fresh key every `rotateEvery`; the one before it still opens tickets (which are then
// renewed), so a stolen key exposes at most two periods of sessions.

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "base/clock.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace tg::transport {

class TicketKeyRing {
 public:
  static constexpr std::chrono::hours kDefaultRotation{6};

  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aesKey{};
    std::array<unsigned char, 32> hmacKey{};
  };
  enum class Age : uint8_t { kCurrent, kPrevious };
  struct Found {
    Key key;
    Age age;
  };

  TicketKeyRing(const base::Clock& clock, base::Duration rotateEvery);

  // The key new tickets are sealed with at `now` (rotating first when its period is over).
  Key current();
  // The key named `name` if it is the current or the previous one.
  std::optional<Found> find(const unsigned char* name);
  base::Duration rotateEvery() const { return rotateEvery_; }

  // The process's ring (system clock, kDefaultRotation).
  static TicketKeyRing& process();
  // Makes `ctx` seal and open its tickets with `ring`, and keep sessions as long as a ticket
  // key can open them.
  static void install(SSL_CTX* ctx, TicketKeyRing& ring);

 private:
  void rotateIfDue();  // mutex_ held
  static Key freshKey();

  const base::Clock& clock_;
  base::Duration rotateEvery_;
  std::mutex mutex_;  // handshakes run on every worker
  base::TimePoint rotatedAt_;
  Key current_;
  std::optional<Key> previous_;
};

}  // namespace tg::transport
