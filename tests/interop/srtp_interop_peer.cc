// trunkguard's side of the SRTP interop test (test_srtp_pylibsrtp.py):
//
//   srtp_interop_peer protect|unprotect rtp|rtcp '<a=crypto value>'
//
// reads one packet per line as hex on stdin and writes each result as hex, or "error <status>",
// one line each; all packets go through one SrtpSender or SrtpReceiver, in order.

#include <array>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "media/srtp/crypto_attribute.h"
#include "media/srtp/srtp_session.h"

namespace {

using tg::media::srtp::SrtpStatus;

std::vector<uint8_t> fromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string toHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

int usage() {
  std::cerr << "usage: srtp_interop_peer protect|unprotect rtp|rtcp '<a=crypto value>'\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  const std::string_view operation = argv[1];
  const std::string_view kind = argv[2];
  if ((operation != "protect" && operation != "unprotect") || (kind != "rtp" && kind != "rtcp")) {
    return usage();
  }
  const auto attribute = tg::media::srtp::parseCryptoAttribute(argv[3]);
  if (!attribute) {
    std::cerr << "bad a=crypto: " << attribute.error() << "\n";
    return 2;
  }
  auto sender = tg::media::srtp::SrtpSender::create(*attribute);
  auto receiver = tg::media::srtp::SrtpReceiver::create(*attribute);
  if (!sender || !receiver) {
    std::cerr << "cannot create SRTP context\n";
    return 2;
  }

  std::string line;
  std::array<uint8_t, 2048> buffer{};
  while (std::getline(std::cin, line)) {
    const std::vector<uint8_t> packet = fromHex(line);
    if (packet.size() + tg::media::srtp::kMaxProtectOverhead > buffer.size()) return 2;
    std::copy(packet.begin(), packet.end(), buffer.begin());
    size_t length = packet.size();
    SrtpStatus status;
    if (operation == "protect") {
      status =
          kind == "rtp" ? sender->protectRtp(buffer, length) : sender->protectRtcp(buffer, length);
    } else {
      status = kind == "rtp" ? receiver->unprotectRtp(buffer, length)
                             : receiver->unprotectRtcp(buffer, length);
    }
    if (status == SrtpStatus::kOk) {
      std::cout << toHex(std::span<const uint8_t>(buffer.data(), length)) << "\n";
    } else {
      std::cout << "error " << tg::media::srtp::srtpStatusName(status) << "\n";
    }
    std::cout.flush();
  }
  return 0;
}
