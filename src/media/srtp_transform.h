#pragma once

// The SRTP contexts of one leg as the relay's packet transforms (packet_transform.h): the
// inbound one unprotects (authenticates, replay-checks, decrypts) what the leg's peer sends
// with the peer's key; the outbound one protects what the relay sends to that peer with
// trunkguard's own key for the leg. Each is used on the stream's media thread only.

#include <memory>

#include "media/packet_transform.h"
#include "media/srtp/crypto_attribute.h"
#include "media/srtp/srtp_session.h"

namespace tg::media {

class SrtpInbound final : public PacketTransform {
 public:
  explicit SrtpInbound(srtp::SrtpReceiver receiver) : receiver_(std::move(receiver)) {}
  bool apply(uint8_t* data, size_t& size, size_t capacity, bool rtcp) override;

 private:
  srtp::SrtpReceiver receiver_;
};

class SrtpOutbound final : public PacketTransform {
 public:
  explicit SrtpOutbound(srtp::SrtpSender sender) : sender_(std::move(sender)) {}
  bool apply(uint8_t* data, size_t& size, size_t capacity, bool rtcp) override;

 private:
  srtp::SrtpSender sender_;
};

// The pair for a leg: `remote` is the peer's a=crypto line, `local` trunkguard's. Null members
// only when libsrtp refuses a key (the caller then refuses the session description).
struct SrtpLegTransforms {
  std::shared_ptr<PacketTransform> inbound;
  std::shared_ptr<PacketTransform> outbound;
};
SrtpLegTransforms makeSrtpTransforms(const srtp::CryptoAttribute& remote,
                                     const srtp::CryptoAttribute& local);

}  // namespace tg::media
