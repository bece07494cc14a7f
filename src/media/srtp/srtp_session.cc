#include "media/srtp/srtp_session.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "media/srtp/openssl_primitives.h"

namespace tg::media::srtp {

namespace {

constexpr size_t kRtpHeaderLength = 12;
constexpr size_t kRtcpHeaderLength = 8;
constexpr size_t kSrtcpIndexLength = 4;
constexpr unsigned long kDefaultReplayWindow = 128;
constexpr unsigned long kMaxReplayWindow = 1024;

// The fixed header, the CSRCs and any header extension must lie inside the packet.
bool rtpHeaderFits(std::span<const uint8_t> packet, size_t length) {
  if (length < kRtpHeaderLength || (packet[0] >> 6) != 2) return false;
  size_t header = kRtpHeaderLength + 4 * static_cast<size_t>(packet[0] & 0x0f);
  if (packet[0] & 0x10) {
    if (header + 4 > length) return false;
    const size_t words = (static_cast<size_t>(packet[header + 2]) << 8) | packet[header + 3];
    header += 4 + 4 * words;
  }
  return header <= length;
}

SrtpStatus statusFrom(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpStatus::kOk;
    case srtp_err_status_auth_fail:
      return SrtpStatus::kAuthFailure;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpStatus::kReplay;
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_param:
      return SrtpStatus::kBadLength;
    default:
      return SrtpStatus::kFailure;
  }
}

void setCryptoPolicies(CryptoSuite suite, srtp_policy_t& policy) {
  switch (suite) {
    case CryptoSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case CryptoSuite::kAesCm128HmacSha1_32:
      // RFC 4568: the 32-bit tag is for SRTP only; SRTCP keeps 80 bits.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case CryptoSuite::kAesCm256HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtcp);
      return;
    case CryptoSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return;
    case CryptoSuite::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      return;
  }
}

// libsrtp runs its own known-answer tests on each replacement before accepting it.
srtp_err_status_t useOpenSslPrimitives() {
  const srtp_cipher_type_t* ciphers[] = {&detail::kOpenSslAesIcm128, &detail::kOpenSslAesIcm256,
                                         &detail::kOpenSslAesGcm128, &detail::kOpenSslAesGcm256};
  for (const srtp_cipher_type_t* cipher : ciphers) {
    const srtp_err_status_t status = srtp_replace_cipher_type(cipher, cipher->id);
    if (status != srtp_err_status_ok) return status;
  }
  return srtp_replace_auth_type(&detail::kOpenSslHmacSha1, SRTP_HMAC_SHA1);
}

srtp_err_status_t initialiseLibrary() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] {
    status = srtp_init();
    if (status == srtp_err_status_ok) status = useOpenSslPrimitives();
  });
  return status;
}

sip::Result<detail::SrtpContextPtr> createContext(const CryptoAttribute& attribute,
                                                  srtp_ssrc_type_t direction) {
  if (initialiseLibrary() != srtp_err_status_ok) return sip::Error{"libsrtp failed to initialise"};
  if (attribute.key.size() != cryptoSuiteInfo(attribute.suite).keySaltLength()) {
    return sip::Error{"master key length does not match the crypto suite"};
  }
  // libsrtp derives the session keys in srtp_create and keeps no pointer to this copy.
  std::array<unsigned char, kMaxKeySaltLength> key{};
  std::copy(attribute.key.bytes().begin(), attribute.key.bytes().end(), key.begin());
  srtp_policy_t policy{};
  setCryptoPolicies(attribute.suite, policy);
  policy.ssrc.type = direction;
  policy.key = key.data();
  policy.window_size =
      std::clamp<unsigned long>(attribute.windowSizeHint.value_or(kDefaultReplayWindow),
                                kDefaultReplayWindow, kMaxReplayWindow);
  policy.allow_repeat_tx = 0;
  srtp_t context = nullptr;
  const srtp_err_status_t status = srtp_create(&context, &policy);
  OPENSSL_cleanse(key.data(), key.size());
  if (status != srtp_err_status_ok) return sip::Error{"libsrtp refused the SRTP policy"};
  return detail::SrtpContextPtr(context);
}

size_t rtpTag(CryptoSuite suite) { return cryptoSuiteInfo(suite).rtpTagLength; }
size_t rtcpTrailer(CryptoSuite suite) {
  return kSrtcpIndexLength + cryptoSuiteInfo(suite).rtcpTagLength;
}

SrtpStatus run(srtp_err_status_t (*transform)(srtp_t, void*, int*), srtp_t context,
               std::span<uint8_t> packet, size_t& length) {
  int inOut = static_cast<int>(length);
  const SrtpStatus status = statusFrom(transform(context, packet.data(), &inOut));
  if (status == SrtpStatus::kOk) length = static_cast<size_t>(inOut);
  return status;
}

}  // namespace

void detail::SrtpContextDeleter::operator()(srtp_ctx_t_* context) const { srtp_dealloc(context); }

std::string_view srtpStatusName(SrtpStatus status) {
  switch (status) {
    case SrtpStatus::kOk:
      return "ok";
    case SrtpStatus::kAuthFailure:
      return "authentication failure";
    case SrtpStatus::kReplay:
      return "replay";
    case SrtpStatus::kBadLength:
      return "bad length";
    case SrtpStatus::kFailure:
      return "failure";
  }
  return "failure";
}

sip::Result<SrtpSender> SrtpSender::create(const CryptoAttribute& local) {
  auto context = createContext(local, ssrc_any_outbound);
  if (!context) return sip::Error{context.error()};
  return SrtpSender(std::move(*context), local.suite);
}

SrtpStatus SrtpSender::protectRtp(std::span<uint8_t> buffer, size_t& length) {
  if (length > buffer.size() || !rtpHeaderFits(buffer, length) ||
      buffer.size() - length < rtpTag(suite_)) {
    return SrtpStatus::kBadLength;
  }
  return run(srtp_protect, context_.get(), buffer, length);
}

SrtpStatus SrtpSender::protectRtcp(std::span<uint8_t> buffer, size_t& length) {
  if (length > buffer.size() || length < kRtcpHeaderLength ||
      buffer.size() - length < rtcpTrailer(suite_)) {
    return SrtpStatus::kBadLength;
  }
  return run(srtp_protect_rtcp, context_.get(), buffer, length);
}

sip::Result<SrtpReceiver> SrtpReceiver::create(const CryptoAttribute& remote) {
  auto context = createContext(remote, ssrc_any_inbound);
  if (!context) return sip::Error{context.error()};
  return SrtpReceiver(std::move(*context), remote.suite);
}

SrtpStatus SrtpReceiver::unprotectRtp(std::span<uint8_t> packet, size_t& length) {
  if (length > packet.size() || length < kRtpHeaderLength + rtpTag(suite_) ||
      !rtpHeaderFits(packet, length - rtpTag(suite_))) {
    return SrtpStatus::kBadLength;
  }
  return run(srtp_unprotect, context_.get(), packet, length);
}

SrtpStatus SrtpReceiver::unprotectRtcp(std::span<uint8_t> packet, size_t& length) {
  if (length > packet.size() || length < kRtcpHeaderLength + rtcpTrailer(suite_)) {
    return SrtpStatus::kBadLength;
  }
  return run(srtp_unprotect_rtcp, context_.get(), packet, length);
}

}  // namespace tg::media::srtp
