#include "base/random.h"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace tg::base {
namespace {

// One block per thread; refilled when used up.
struct RandomPool {
  std::array<uint8_t, 4096> block{};
  size_t used = block.size();

  void take(uint8_t* out, size_t n) {
    while (n > 0) {
      if (used == block.size()) {
        if (RAND_bytes(block.data(), static_cast<int>(block.size())) != 1) {
          throw std::runtime_error("OpenSSL RAND_bytes failed: no entropy source");
        }
        used = 0;
      }
      const size_t chunk = std::min(n, block.size() - used);
      std::memcpy(out, block.data() + used, chunk);
      used += chunk;
      out += chunk;
      n -= chunk;
    }
  }
};

thread_local RandomPool pool;

}  // namespace

std::string randomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t raw[64];
  std::string out;
  out.reserve(bytes * 2);
  while (bytes > 0) {
    const size_t n = std::min(bytes, sizeof(raw));
    pool.take(raw, n);
    for (size_t i = 0; i < n; ++i) {
      out.push_back(kHex[raw[i] >> 4]);
      out.push_back(kHex[raw[i] & 0xF]);
    }
    bytes -= n;
  }
  return out;
}

uint64_t randomU64() {
  uint64_t v;
  pool.take(reinterpret_cast<uint8_t*>(&v), sizeof(v));
  return v;
}

}  // namespace tg::base
