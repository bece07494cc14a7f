#include "media/srtp/crypto_negotiation.h"

#include <algorithm>
#include <array>

namespace tg::media::srtp {

namespace {

constexpr std::array<std::string_view, 3> kModeNames = {"required", "optional", "off"};

bool preferred(std::span<const CryptoSuite> preference, CryptoSuite suite) {
  return std::find(preference.begin(), preference.end(), suite) != preference.end();
}

CryptoChoice refuse(std::string reason) {
  return CryptoChoice{CryptoChoice::Outcome::kRefused, std::nullopt, std::move(reason)};
}

}  // namespace

std::string_view srtpModeName(SrtpMode mode) { return kModeNames[static_cast<size_t>(mode)]; }

std::optional<SrtpMode> srtpModeFromName(std::string_view name) {
  for (size_t i = 0; i < kModeNames.size(); ++i) {
    if (kModeNames[i] == name) return static_cast<SrtpMode>(i);
  }
  return std::nullopt;
}

CryptoChoice chooseCrypto(std::span<const std::string_view> offeredLines, bool secureProfile,
                          std::span<const CryptoSuite> preference, SrtpMode mode) {
  if (mode == SrtpMode::kOff) {
    if (secureProfile) return refuse("SRTP is off but the offer requires it (RTP/SAVP)");
    return CryptoChoice{CryptoChoice::Outcome::kPlainRtp, std::nullopt, "SRTP is off"};
  }

  std::vector<CryptoAttribute> acceptable;
  std::string_view firstRefusal;
  for (const std::string_view line : offeredLines) {
    auto parsed = parseCryptoAttribute(line);
    if (!parsed) {
      if (firstRefusal.empty()) firstRefusal = parsed.error();
    } else if (!preferred(preference, parsed->suite)) {
      if (firstRefusal.empty()) firstRefusal = "crypto suite not allowed";
    } else {
      acceptable.push_back(std::move(*parsed));
    }
  }
  for (const CryptoSuite suite : preference) {
    for (const CryptoAttribute& candidate : acceptable) {
      if (candidate.suite == suite) {
        return CryptoChoice{CryptoChoice::Outcome::kSrtp, candidate, {}};
      }
    }
  }

  std::string why = offeredLines.empty()
                        ? std::string("no a=crypto offered")
                        : "no acceptable a=crypto (" + std::string(firstRefusal) + ")";
  if (mode == SrtpMode::kRequired) return refuse("SRTP required: " + why);
  if (secureProfile) return refuse("RTP/SAVP offer with " + why);
  return CryptoChoice{CryptoChoice::Outcome::kPlainRtp, std::nullopt, std::move(why)};
}

std::optional<CryptoAttribute> makeAnswerLine(const CryptoAttribute& accepted) {
  auto key = MasterKey::generate(accepted.suite);
  if (!key) return std::nullopt;
  CryptoAttribute answer;
  answer.tag = accepted.tag;
  answer.suite = accepted.suite;
  answer.key = *key;
  return answer;
}

std::vector<CryptoAttribute> makeOfferLines(std::span<const CryptoSuite> preference) {
  std::vector<CryptoAttribute> lines;
  lines.reserve(preference.size());
  uint32_t tag = 1;
  for (const CryptoSuite suite : preference) {
    auto key = MasterKey::generate(suite);
    if (!key) return {};
    CryptoAttribute line;
    line.tag = tag++;
    line.suite = suite;
    line.key = *key;
    lines.push_back(std::move(line));
  }
  return lines;
}

sip::Result<CryptoAttribute> acceptAnswerLine(std::span<const CryptoAttribute> offered,
                                              std::string_view answerLine) {
  auto answer = parseCryptoAttribute(answerLine);
  if (!answer) return answer;
  for (const CryptoAttribute& line : offered) {
    if (line.tag == answer->tag) {
      if (line.suite != answer->suite) return sip::Error{"answer changes the offered crypto suite"};
      return answer;
    }
  }
  return sip::Error{"answer a=crypto tag was not offered"};
}

}  // namespace tg::media::srtp
