#include "media/srtp/crypto_attribute.h"

#include <bit>
#include <charconv>

#include "sip/sdp.h"

namespace tg::media::srtp {

namespace {

// RFC 3711 §9.2: no master key may protect more than 2^48 SRTP packets.
constexpr uint64_t kMaxLifetime = uint64_t{1} << 48;
constexpr uint32_t kMinWindowSizeHint = 64;

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::optional<uint64_t> parseNumber(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Applies one session parameter (RFC 4568 §6.3) or says why the line cannot be honoured.
std::optional<std::string_view> applySessionParam(std::string_view param, CryptoAttribute& out) {
  if (startsWith(param, "KDR=")) {
    // 0 is the default (derive once); libsrtp 2 does not re-derive session keys.
    const auto rate = parseNumber(param.substr(4));
    if (!rate) return "malformed KDR parameter";
    if (*rate != 0) return "key derivation rate (KDR) not supported";
    return std::nullopt;
  }
  if (startsWith(param, "WSH=")) {
    const auto wsh = parseNumber(param.substr(4));
    if (!wsh || *wsh > UINT32_MAX) return "malformed WSH parameter";
    if (*wsh < kMinWindowSizeHint) return "WSH below 64";
    out.windowSizeHint = static_cast<uint32_t>(*wsh);
    return std::nullopt;
  }
  if (param == "UNENCRYPTED_SRTP" || param == "UNENCRYPTED_SRTCP" ||
      param == "UNAUTHENTICATED_SRTP") {
    return "unencrypted or unauthenticated SRTP refused";
  }
  if (startsWith(param, "FEC_ORDER=") || startsWith(param, "FEC_KEY=")) {
    return "FEC session parameters not supported";
  }
  return "unknown session parameter";
}

}  // namespace

sip::Result<CryptoAttribute> parseCryptoAttribute(std::string_view value) {
  const auto parsed = sip::parseSdpCrypto(value);
  if (!parsed) return sip::Error{"malformed a=crypto attribute"};
  CryptoAttribute out;
  out.tag = parsed->tag;
  const auto suite = cryptoSuiteFromName(parsed->suite);
  if (!suite) return sip::Error{"unsupported crypto suite"};
  out.suite = *suite;
  if (parsed->keys.size() != 1) return sip::Error{"several master keys (MKI) not supported"};
  const sip::SdpCryptoKey& keyParam = parsed->keys.front();
  if (keyParam.method != "inline") return sip::Error{"key method other than inline"};
  if (!keyParam.mki.empty()) return sip::Error{"MKI not supported"};
  const auto key = MasterKey::fromBase64(keyParam.key);
  if (!key) return sip::Error{"master key is not valid base64"};
  if (key->size() != cryptoSuiteInfo(out.suite).keySaltLength()) {
    return sip::Error{"master key length does not match the crypto suite"};
  }
  out.key = *key;
  if (keyParam.lifetime) {
    if (*keyParam.lifetime == 0) return sip::Error{"key lifetime of 0"};
    if (*keyParam.lifetime > kMaxLifetime) return sip::Error{"key lifetime above 2^48"};
    out.lifetime = keyParam.lifetime;
  }
  for (const std::string_view param : parsed->sessionParams) {
    if (const auto refusal = applySessionParam(param, out)) return sip::Error{*refusal};
  }
  return out;
}

std::string formatCryptoAttribute(const CryptoAttribute& attribute) {
  std::string out = std::to_string(attribute.tag);
  out += ' ';
  out += cryptoSuiteName(attribute.suite);
  out += " inline:";
  out += attribute.key.toBase64();
  if (attribute.lifetime) {
    out += '|';
    const uint64_t lifetime = *attribute.lifetime;
    if (lifetime >= 1024 && std::has_single_bit(lifetime)) {
      out += "2^" + std::to_string(std::countr_zero(lifetime));
    } else {
      out += std::to_string(lifetime);
    }
  }
  if (attribute.windowSizeHint) out += " WSH=" + std::to_string(*attribute.windowSizeHint);
  return out;
}

bool keepsSrtpContext(const CryptoAttribute& current, const CryptoAttribute& offered) {
  return current == offered;
}

}  // namespace tg::media::srtp
