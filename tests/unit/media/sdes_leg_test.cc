// SDES across the relay (media/sdes_leg.h): each leg gets its own keys, the modes decide the
// profile and the refusals, re-offers keep keys unless the line changes, and SRTP is never
// downgraded.

#include "media/sdes_leg.h"

#include <gtest/gtest.h>

#include <string>

namespace tg::media {
namespace {

using srtp::CryptoAttribute;
using srtp::SrtpMode;

const std::string kPeerLine =
    "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

sip::SdpMedia stream(const std::string& proto, const std::vector<std::string>& crypto = {}) {
  sip::SdpMedia m;
  m.type = "audio";
  m.port = 4000;
  m.proto = proto;
  m.formats = {"0", "101"};
  for (const auto& line : crypto) m.attributes.add("crypto", line);
  return m;
}

std::vector<std::string> cryptoOf(const sip::SdpMedia& m) {
  std::vector<std::string> lines;
  for (const auto& a : m.attributes.items()) {
    if (a.name == "crypto") lines.push_back(a.value);
  }
  return lines;
}

// The answer a peer gives to trunkguard's offer `m`: its own key under the offer's first tag.
std::string peerAnswerTo(const sip::SdpMedia& m) {
  auto offered = srtp::parseCryptoAttribute(cryptoOf(m).front());
  EXPECT_TRUE(offered.ok());
  CryptoAttribute answer = *offered;
  answer.key = *srtp::MasterKey::generate(answer.suite);
  return srtp::formatCryptoAttribute(answer);
}

TEST(SdesLeg, PlainPbxToRequiredTrunkIsOfferedSavpWithTrunkguardsOwnKeys) {
  SdesLeg pbx, trunk;
  sip::SdpMedia offer = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(offer, pbx, SrtpMode::kOff, trunk, SrtpMode::kRequired, "b-1"), "");
  EXPECT_EQ(offer.proto, "RTP/SAVP");
  const auto lines = cryptoOf(offer);
  ASSERT_EQ(lines.size(), srtpSuitePreference().size());
  EXPECT_NE(lines[0].find("AES_CM_128_HMAC_SHA1_80 inline:"), std::string::npos);

  sip::SdpMedia answer = stream("RTP/SAVP", {peerAnswerTo(offer)});
  SdesChange changed;
  ASSERT_EQ(sdesAnswer(answer, trunk, SrtpMode::kRequired, pbx, changed), "");
  EXPECT_EQ(answer.proto, "RTP/AVP");  // the PBX's own profile
  EXPECT_TRUE(cryptoOf(answer).empty());
  EXPECT_TRUE(changed.from);
  EXPECT_FALSE(changed.to);
  ASSERT_TRUE(trunk.secure());
  EXPECT_FALSE(pbx.secure());
  EXPECT_EQ(trunk.local->tag, trunk.remote->tag);
  EXPECT_FALSE(trunk.local->key == trunk.remote->key);
}

TEST(SdesLeg, SrtpFromTheTrunkIsAnsweredWithAFreshKeyAndThePbxSeesPlainRtp) {
  SdesLeg trunk, pbx;
  sip::SdpMedia offer =
      stream("RTP/SAVP", {"7 AES_CM_128_HMAC_SHA1_32 inline:" +
                              std::string("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"),
                          kPeerLine});
  ASSERT_EQ(sdesOffer(offer, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b-1"), "");
  EXPECT_EQ(offer.proto, "RTP/AVP");
  EXPECT_TRUE(cryptoOf(offer).empty());  // the trunk's key never reaches the PBX

  sip::SdpMedia answer = stream("RTP/AVP");
  SdesChange changed;
  ASSERT_EQ(sdesAnswer(answer, pbx, SrtpMode::kOff, trunk, changed), "");
  EXPECT_EQ(answer.proto, "RTP/SAVP");
  const auto lines = cryptoOf(answer);
  ASSERT_EQ(lines.size(), 1u);
  auto ours = srtp::parseCryptoAttribute(lines[0]);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(ours->tag, 1u);  // the suite trunkguard prefers (80-bit tag) over the first line
  EXPECT_EQ(ours->suite, srtp::CryptoSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(lines[0].find("WVNfX19z"), std::string::npos);  // not the peer's key echoed
  EXPECT_TRUE(changed.to);
  EXPECT_FALSE(changed.from);
  EXPECT_TRUE(trunk.secure());
}

TEST(SdesLeg, RequiredWithoutAcceptableCryptoIsRefusedWithTheReason) {
  SdesLeg trunk, pbx;
  sip::SdpMedia plain = stream("RTP/AVP");
  const std::string why = sdesOffer(plain, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b");
  EXPECT_NE(why.find("SRTP required"), std::string::npos) << why;

  sip::SdpMedia mki = stream("RTP/SAVP", {"1 AES_CM_128_HMAC_SHA1_80 inline:"
                                          "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"});
  const std::string why2 = sdesOffer(mki, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b");
  EXPECT_NE(why2.find("MKI"), std::string::npos) << why2;

  // Off never downgrades an RTP/SAVP offer to RTP.
  SdesLeg phone;
  sip::SdpMedia savp = stream("RTP/SAVP", {kPeerLine});
  EXPECT_NE(sdesOffer(savp, phone, SrtpMode::kOff, pbx, SrtpMode::kOff, "b"), "");
}

TEST(SdesLeg, OptionalOffersBestEffortAndAcceptsAPlainAnswer) {
  SdesLeg pbx, trunk;
  sip::SdpMedia offer = stream("RTP/AVPF");
  ASSERT_EQ(sdesOffer(offer, pbx, SrtpMode::kOff, trunk, SrtpMode::kOptional, "b-1"), "");
  EXPECT_EQ(offer.proto, "RTP/AVPF");
  EXPECT_FALSE(cryptoOf(offer).empty());
  sip::SdpMedia answer = stream("RTP/AVPF");
  SdesChange changed;
  ASSERT_EQ(sdesAnswer(answer, trunk, SrtpMode::kOptional, pbx, changed), "");
  EXPECT_FALSE(trunk.secure());
  EXPECT_FALSE(changed.from);

  // Required refuses the same plain answer.
  SdesLeg pbx2, trunk2;
  sip::SdpMedia offer2 = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(offer2, pbx2, SrtpMode::kOff, trunk2, SrtpMode::kRequired, "b-1"), "");
  sip::SdpMedia plain = stream("RTP/AVP");
  EXPECT_NE(sdesAnswer(plain, trunk2, SrtpMode::kRequired, pbx2, changed), "");
}

TEST(SdesLeg, AReOfferKeepsKeysUnlessTheLineChangesAndNeverDowngrades) {
  SdesLeg trunk, pbx;
  SdesChange changed;
  sip::SdpMedia offer = stream("RTP/SAVP", {kPeerLine});
  ASSERT_EQ(sdesOffer(offer, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b"), "");
  sip::SdpMedia answer = stream("RTP/AVP");
  ASSERT_EQ(sdesAnswer(answer, pbx, SrtpMode::kOff, trunk, changed), "");
  const std::string first = cryptoOf(answer).at(0);

  // Hold / resume with the same line: the same answer key, no new contexts.
  sip::SdpMedia again = stream("RTP/SAVP", {kPeerLine});
  ASSERT_EQ(sdesOffer(again, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b"), "");
  sip::SdpMedia answer2 = stream("RTP/AVP");
  ASSERT_EQ(sdesAnswer(answer2, pbx, SrtpMode::kOff, trunk, changed), "");
  EXPECT_EQ(cryptoOf(answer2).at(0), first);
  EXPECT_FALSE(changed.to);

  // A new key from the peer: new contexts, and a new key of trunkguard's.
  CryptoAttribute rekey = *srtp::parseCryptoAttribute(kPeerLine);
  rekey.key = *srtp::MasterKey::generate(rekey.suite);
  sip::SdpMedia changedLine = stream("RTP/SAVP", {srtp::formatCryptoAttribute(rekey)});
  ASSERT_EQ(sdesOffer(changedLine, trunk, SrtpMode::kRequired, pbx, SrtpMode::kOff, "b"), "");
  sip::SdpMedia answer3 = stream("RTP/AVP");
  ASSERT_EQ(sdesAnswer(answer3, pbx, SrtpMode::kOff, trunk, changed), "");
  EXPECT_NE(cryptoOf(answer3).at(0), first);
  EXPECT_TRUE(changed.to);

  // Even where SRTP is optional, a leg running SRTP is not moved back to RTP.
  SdesLeg phone, other;
  sip::SdpMedia s = stream("RTP/SAVP", {kPeerLine});
  ASSERT_EQ(sdesOffer(s, phone, SrtpMode::kOptional, other, SrtpMode::kOff, "b"), "");
  sip::SdpMedia a = stream("RTP/AVP");
  ASSERT_EQ(sdesAnswer(a, other, SrtpMode::kOff, phone, changed), "");
  sip::SdpMedia down = stream("RTP/AVP");
  const std::string why = sdesOffer(down, phone, SrtpMode::kOptional, other, SrtpMode::kOff, "b");
  EXPECT_NE(why.find("drops SRTP"), std::string::npos) << why;
}

TEST(SdesLeg, OurOfferKeepsItsKeysOnReOffersAndRenewsThemForANewDialog) {
  SdesLeg pbx, trunk;
  sip::SdpMedia o1 = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(o1, pbx, SrtpMode::kOff, trunk, SrtpMode::kRequired, "b-1"), "");
  sip::SdpMedia o2 = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(o2, pbx, SrtpMode::kOff, trunk, SrtpMode::kRequired, "b-1"), "");
  EXPECT_EQ(cryptoOf(o1), cryptoOf(o2));
  // The next provider after a failure is a new dialog: it never learns the first one's keys.
  sip::SdpMedia o3 = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(o3, pbx, SrtpMode::kOff, trunk, SrtpMode::kRequired, "b-2"), "");
  EXPECT_NE(cryptoOf(o1).at(0), cryptoOf(o3).at(0));
}

TEST(SdesLeg, AnAnswerMustEchoAnOfferedTagAndSuite) {
  SdesLeg pbx, trunk;
  SdesChange changed;
  sip::SdpMedia offer = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(offer, pbx, SrtpMode::kOff, trunk, SrtpMode::kRequired, "b"), "");
  sip::SdpMedia bad = stream("RTP/SAVP", {"42 AES_CM_128_HMAC_SHA1_80 inline:"
                                          "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"});
  const std::string why = sdesAnswer(bad, trunk, SrtpMode::kRequired, pbx, changed);
  EXPECT_NE(why.find("not offered"), std::string::npos) << why;

  // And an answer with a=crypto to an offer without any is refused.
  SdesLeg pbx2, trunk2;
  sip::SdpMedia plainOffer = stream("RTP/AVP");
  ASSERT_EQ(sdesOffer(plainOffer, pbx2, SrtpMode::kOff, trunk2, SrtpMode::kOff, "b"), "");
  EXPECT_TRUE(cryptoOf(plainOffer).empty());
  sip::SdpMedia surprise = stream("RTP/AVP", {kPeerLine});
  EXPECT_NE(sdesAnswer(surprise, trunk2, SrtpMode::kOff, pbx2, changed), "");
}

}  // namespace
}  // namespace tg::media
