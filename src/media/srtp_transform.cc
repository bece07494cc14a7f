#include "media/srtp_transform.h"

#include <span>

namespace tg::media {

bool SrtpInbound::apply(uint8_t* data, size_t& size, size_t capacity, bool rtcp) {
  const std::span<uint8_t> packet(data, capacity);
  const srtp::SrtpStatus status =
      rtcp ? receiver_.unprotectRtcp(packet, size) : receiver_.unprotectRtp(packet, size);
  return status == srtp::SrtpStatus::kOk;
}

bool SrtpOutbound::apply(uint8_t* data, size_t& size, size_t capacity, bool rtcp) {
  const std::span<uint8_t> buffer(data, capacity);
  const srtp::SrtpStatus status =
      rtcp ? sender_.protectRtcp(buffer, size) : sender_.protectRtp(buffer, size);
  return status == srtp::SrtpStatus::kOk;
}

SrtpLegTransforms makeSrtpTransforms(const srtp::CryptoAttribute& remote,
                                     const srtp::CryptoAttribute& local) {
  auto receiver = srtp::SrtpReceiver::create(remote);
  auto sender = srtp::SrtpSender::create(local);
  if (!receiver || !sender) return {};
  return {std::make_shared<SrtpInbound>(std::move(*receiver)),
          std::make_shared<SrtpOutbound>(std::move(*sender))};
}

}  // namespace tg::media
