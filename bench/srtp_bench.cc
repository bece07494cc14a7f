// SRTP's cost per packet in the media relay's shape (issue 13, Performance): a 172-byte RTP
// packet (20 ms of G.711: 12-byte header, 160 bytes of payload) protected in place by
// tg_srtp's SrtpSender, and protected then unprotected (sender and receiver); the difference
// is the receiver's share. Also the heap one direction's contexts take once a stream has
// flowed, for the per-call memory budget (a call with SRTP on one leg holds one of each).

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <array>
#include <cstring>
#include <vector>

#include "media/srtp/srtp_session.h"

namespace {

using tg::media::srtp::CryptoAttribute;
using tg::media::srtp::CryptoSuite;
using tg::media::srtp::MasterKey;
using tg::media::srtp::SrtpReceiver;
using tg::media::srtp::SrtpSender;
using tg::media::srtp::SrtpStatus;

constexpr size_t kPacketLength = 172;

CryptoAttribute attributeFor(CryptoSuite suite) {
  CryptoAttribute a;
  a.suite = suite;
  a.key = *MasterKey::generate(suite);
  return a;
}

struct RtpTemplate {
  std::array<uint8_t, kPacketLength> bytes{};
  RtpTemplate() {
    bytes[0] = 0x80;
    bytes[8] = 0x12;  // SSRC 0x12345678
    bytes[9] = 0x34;
    bytes[10] = 0x56;
    bytes[11] = 0x78;
    for (size_t i = 12; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  }
  // The packet with sequence number `seq` in `buffer`, as a receive would leave it.
  void writeTo(std::array<uint8_t, 256>& buffer, uint16_t seq) const {
    std::memcpy(buffer.data(), bytes.data(), bytes.size());
    buffer[2] = static_cast<uint8_t>(seq >> 8);
    buffer[3] = static_cast<uint8_t>(seq);
  }
};

void BM_ProtectRtp(benchmark::State& state, CryptoSuite suite) {
  auto sender = SrtpSender::create(attributeFor(suite));
  const RtpTemplate rtp;
  std::array<uint8_t, 256> buffer{};
  uint16_t seq = 0;
  for (auto _ : state) {
    rtp.writeTo(buffer, seq++);
    size_t length = kPacketLength;
    if (sender->protectRtp(buffer, length) != SrtpStatus::kOk) {
      state.SkipWithError("protect failed");
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kPacketLength);
}

void BM_ProtectUnprotectRtp(benchmark::State& state, CryptoSuite suite) {
  const CryptoAttribute attribute = attributeFor(suite);
  auto sender = SrtpSender::create(attribute);
  auto receiver = SrtpReceiver::create(attribute);
  const RtpTemplate rtp;
  std::array<uint8_t, 256> buffer{};
  uint16_t seq = 0;
  for (auto _ : state) {
    rtp.writeTo(buffer, seq++);
    size_t length = kPacketLength;
    if (sender->protectRtp(buffer, length) != SrtpStatus::kOk ||
        receiver->unprotectRtp(buffer, length) != SrtpStatus::kOk) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Heap held per sender + receiver pair with one SSRC each, averaged over 1,000 pairs.
void BM_ContextPairMemory(benchmark::State& state, CryptoSuite suite) {
  constexpr size_t kPairs = 1000;
  for (auto _ : state) {
    const size_t before = mallinfo2().uordblks;
    std::vector<SrtpSender> senders;
    std::vector<SrtpReceiver> receivers;
    senders.reserve(kPairs);
    receivers.reserve(kPairs);
    const RtpTemplate rtp;
    std::array<uint8_t, 256> buffer{};
    for (size_t i = 0; i < kPairs; ++i) {
      const CryptoAttribute attribute = attributeFor(suite);
      senders.push_back(std::move(*SrtpSender::create(attribute)));
      receivers.push_back(std::move(*SrtpReceiver::create(attribute)));
      rtp.writeTo(buffer, 1);
      size_t length = kPacketLength;
      senders.back().protectRtp(buffer, length);
      receivers.back().unprotectRtp(buffer, length);
    }
    const size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_pair"] =
        static_cast<double>(after - before - kPairs * 2 * sizeof(void*)) / kPairs;
  }
}

BENCHMARK_CAPTURE(BM_ProtectRtp, AES_CM_128_HMAC_SHA1_80, CryptoSuite::kAesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_ProtectRtp, AES_CM_128_HMAC_SHA1_32, CryptoSuite::kAesCm128HmacSha1_32);
BENCHMARK_CAPTURE(BM_ProtectRtp, AES_256_CM_HMAC_SHA1_80, CryptoSuite::kAesCm256HmacSha1_80);
BENCHMARK_CAPTURE(BM_ProtectRtp, AEAD_AES_128_GCM, CryptoSuite::kAeadAes128Gcm);
BENCHMARK_CAPTURE(BM_ProtectRtp, AEAD_AES_256_GCM, CryptoSuite::kAeadAes256Gcm);
BENCHMARK_CAPTURE(BM_ProtectUnprotectRtp, AES_CM_128_HMAC_SHA1_80,
                  CryptoSuite::kAesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_ProtectUnprotectRtp, AEAD_AES_128_GCM, CryptoSuite::kAeadAes128Gcm);
BENCHMARK_CAPTURE(BM_ContextPairMemory, AES_CM_128_HMAC_SHA1_80, CryptoSuite::kAesCm128HmacSha1_80)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_ContextPairMemory, AEAD_AES_128_GCM, CryptoSuite::kAeadAes128Gcm)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
