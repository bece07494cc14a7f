#include "app/capture/hep_encoder.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstring>

namespace tg::app::capture {
namespace {

constexpr size_t kChunkHeader = 6;   // vendor id, type id, length (which counts these 6 bytes)
constexpr size_t kPacketHeader = 6;  // "HEP3", total length

void putU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void chunk(std::string& out, HepChunk type, const void* data, size_t length) {
  putU16(out, 0);  // the generic vendor
  putU16(out, static_cast<uint16_t>(type));
  putU16(out, static_cast<uint16_t>(kChunkHeader + length));
  out.append(static_cast<const char*>(data), length);
}

void chunkU8(std::string& out, HepChunk type, uint8_t v) { chunk(out, type, &v, 1); }

void chunkU16(std::string& out, HepChunk type, uint16_t v) {
  const uint16_t net = htons(v);
  chunk(out, type, &net, sizeof net);
}

void chunkU32(std::string& out, HepChunk type, uint32_t v) {
  const uint32_t net = htonl(v);
  chunk(out, type, &net, sizeof net);
}

// The address bytes in network order, from the sockaddr the Address holds.
void chunkAddress(std::string& out, const base::Address& a, bool source) {
  const sockaddr* sa = a.sockaddrPtr();
  if (a.isV6()) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    chunk(out, source ? HepChunk::kIpv6Source : HepChunk::kIpv6Destination, &in6->sin6_addr, 16);
  } else {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(sa);
    chunk(out, source ? HepChunk::kIpv4Source : HepChunk::kIpv4Destination, &in4->sin_addr, 4);
  }
}

uint8_t protocolOf(config::TransportKind t) {
  switch (t) {
    case config::TransportKind::kUdp:
      return kHepProtocolUdp;
    case config::TransportKind::kTcp:
      return kHepProtocolTcp;
    case config::TransportKind::kTls:
      return kHepProtocolTls;
  }
  return kHepProtocolUdp;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view findCallId(std::string_view message) {
  size_t at = message.find('\n');  // skip the start line
  while (at != std::string_view::npos && at + 1 < message.size()) {
    const size_t begin = at + 1;
    size_t end = message.find('\n', begin);
    if (end == std::string_view::npos) end = message.size();
    const std::string_view line = message.substr(begin, end - begin);
    if (line.empty() || line == "\r") break;  // end of the headers
    if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      const std::string_view name = trim(line.substr(0, colon));
      if (equalsIgnoreCase(name, "call-id") || equalsIgnoreCase(name, "i")) {
        return trim(line.substr(colon + 1));
      }
    }
    at = end;
  }
  return {};
}

bool encodeHep(const transport::CapturedMessage& message, const HepIdentity& identity,
               std::string& out) {
  out.clear();
  const std::string_view callId = findCallId(message.bytes);
  const bool v6 = message.source.isV6();
  const size_t addressBytes = v6 ? 16 : 4;
  const size_t size = kPacketHeader + 2 * (kChunkHeader + 1)  // family, protocol
                      + 2 * (kChunkHeader + addressBytes)     // addresses
                      + 2 * (kChunkHeader + 2)                // ports
                      + 3 * (kChunkHeader + 4)                // seconds, micros, agent
                      + (kChunkHeader + 1)                    // protocol type
                      + (identity.password.empty() ? 0 : kChunkHeader + identity.password.size()) +
                      (callId.empty() ? 0 : kChunkHeader + callId.size()) +
                      (kChunkHeader + message.bytes.size());
  if (size > kHepMaxPacket || message.source.isV6() != message.destination.isV6()) return false;
  out.reserve(size);
  out.append("HEP3");
  putU16(out, static_cast<uint16_t>(size));
  chunkU8(out, HepChunk::kIpFamily, v6 ? kHepFamilyIpv6 : kHepFamilyIpv4);
  chunkU8(out, HepChunk::kIpProtocol, protocolOf(message.transport));
  chunkAddress(out, message.source, true);
  chunkAddress(out, message.destination, false);
  chunkU16(out, HepChunk::kSourcePort, message.source.port());
  chunkU16(out, HepChunk::kDestinationPort, message.destination.port());
  const auto sinceEpoch =
      std::chrono::duration_cast<std::chrono::microseconds>(message.when.time_since_epoch());
  chunkU32(out, HepChunk::kSeconds, static_cast<uint32_t>(sinceEpoch.count() / 1000000));
  chunkU32(out, HepChunk::kMicroseconds, static_cast<uint32_t>(sinceEpoch.count() % 1000000));
  chunkU8(out, HepChunk::kProtocolType, kHepTypeSip);
  chunkU32(out, HepChunk::kCaptureAgentId, identity.agentId);
  if (!identity.password.empty()) {
    chunk(out, HepChunk::kAuthKey, identity.password.data(), identity.password.size());
  }
  if (!callId.empty()) chunk(out, HepChunk::kCorrelationId, callId.data(), callId.size());
  chunk(out, HepChunk::kPayload, message.bytes.data(), message.bytes.size());
  return true;
}

}  // namespace tg::app::capture
