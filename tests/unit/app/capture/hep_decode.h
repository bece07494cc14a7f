#pragma once

// A HEP v3 reader for the tests: the chunks of one packet by type, written apart from the
// encoder so that the two do not share a mistake.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tg::app::capture::test {

struct HepPacket {
  std::map<uint16_t, std::string> chunks;  // type -> value bytes (generic vendor only)

  uint32_t number(uint16_t type) const {
    const std::string& v = chunks.at(type);
    uint32_t n = 0;
    for (unsigned char c : v) n = (n << 8) | c;
    return n;
  }
  bool has(uint16_t type) const { return chunks.count(type) != 0; }
};

// nullopt when the bytes are not one well-formed HEP3 packet.
inline std::optional<HepPacket> decodeHep(const std::string& bytes) {
  if (bytes.size() < 6 || bytes.compare(0, 4, "HEP3") != 0) return std::nullopt;
  const auto u16 = [&](size_t at) {
    return static_cast<uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                 static_cast<unsigned char>(bytes[at + 1]));
  };
  if (u16(4) != bytes.size()) return std::nullopt;
  HepPacket p;
  size_t at = 6;
  while (at < bytes.size()) {
    if (at + 6 > bytes.size()) return std::nullopt;
    const uint16_t vendor = u16(at);
    const uint16_t type = u16(at + 2);
    const uint16_t length = u16(at + 4);
    if (length < 6 || at + length > bytes.size()) return std::nullopt;
    if (vendor == 0) p.chunks[type] = bytes.substr(at + 6, length - 6);
    at += length;
  }
  return p;
}

}  // namespace tg::app::capture::test
