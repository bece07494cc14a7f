#include "transaction/large_requests.h"

#include "base/log.h"
#include "sip/request_via.h"

namespace tg::transaction {
namespace {

using config::TransportKind;
using transport::Zone;

constexpr size_t kMaxRefused = 4096;  // peers remembered as refusing TCP

}  // namespace

void LargeRequests::sentOverUdp(const transport::SendTarget& target, std::string_view why) {
  ++stats_.overUdp;
  TG_LOG(kTransaction, debug, "request over {} bytes to udp {} sent over UDP: {}", kUdpLimit,
         target.address.toString(), why);
}

std::optional<transport::SendTarget> LargeRequests::moveToStream(
    const transport::SendTarget& target, std::string& bytes) {
  if (target.transport != TransportKind::kUdp || bytes.size() <= kUdpLimit) return std::nullopt;
  // A phone on the public zone sent from behind NAT over UDP: a TCP connection to that
  // address would not reach it (a phone that wants TCP registers over TCP).
  if (target.zone == Zone::kPublic) {
    sentOverUdp(target, "public-zone phones are reached the way they registered");
    return std::nullopt;
  }
  const transport::LocalEndpoint* tcp =
      endpoints_ ? endpoints_(target.zone, TransportKind::kTcp) : nullptr;
  if (tcp == nullptr) {
    bool& warned = warnedNoListener_[static_cast<size_t>(target.zone)];
    if (!warned) {
      warned = true;
      TG_LOG(kTransaction, warn,
             "{} zone has no tcp:// listener: requests over {} bytes go over UDP (RFC 3261 "
             "18.1.1 wants TCP; add a tcp:// listener to the zone)",
             transport::zoneName(target.zone), kUdpLimit);
    }
    sentOverUdp(target, "no tcp:// listener in the zone");
    return std::nullopt;
  }
  const std::string key = target.address.toString();
  if (auto it = refusedUntil_.find(key); it != refusedUntil_.end()) {
    if (clock_.now() < it->second) {
      sentOverUdp(target, "the peer refused TCP lately");
      return std::nullopt;
    }
    refusedUntil_.erase(it);
  }
  if (!sip::setTopViaTransport(bytes, config::viaTransportName(TransportKind::kTcp),
                               tcp->address.toString())) {
    sentOverUdp(target, "no top Via to rewrite");
    return std::nullopt;
  }
  transport::SendTarget moved = target;
  moved.transport = TransportKind::kTcp;
  moved.connection = 0;
  ++stats_.overStream;
  return moved;
}

void LargeRequests::refused(const transport::SendTarget& tcpTarget, size_t requests) {
  stats_.fellBackToUdp += requests;
  const base::TimePoint now = clock_.now();
  if (refusedUntil_.size() >= kMaxRefused) {
    for (auto it = refusedUntil_.begin(); it != refusedUntil_.end();) {
      it = it->second <= now ? refusedUntil_.erase(it) : std::next(it);
    }
  }
  const std::string key = tcpTarget.address.toString();
  if (refusedUntil_.size() < kMaxRefused && refusedUntil_.count(key) == 0) {
    TG_LOG(kTransaction, info,
           "{} refused TCP for a request over {} bytes: sent over UDP, and so are its large "
           "requests for the next {} minutes",
           key, kUdpLimit, std::chrono::duration_cast<std::chrono::minutes>(kRefusedFor).count());
  }
  if (refusedUntil_.size() < kMaxRefused) refusedUntil_[key] = now + kRefusedFor;
}

}  // namespace tg::transaction
