#pragma once

// A phone's side of digest authentication, for the auth tests: answers a challenge built by
// DigestServer.

#include <string>
#include <string_view>

#include "sip/auth_header.h"
#include "sip/digest.h"

namespace tg::auth::testing {

struct Answer {
  std::string username = "201";
  std::string password = "Lantern-Orbit-58";
  std::string method = "REGISTER";
  std::string uri = "sip:gw.example.com";
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
  std::string realm;      // empty: the challenge's
  std::string algorithm;  // empty: the challenge's
};

inline std::string answer(std::string_view challengeText, const Answer& a) {
  auto ch = sip::parseChallenge(challengeText);
  if (!ch) return {};
  const std::string realm = a.realm.empty() ? ch->realm.str() : a.realm;
  const std::string algName = a.algorithm.empty() ? ch->algorithm.str() : a.algorithm;
  const std::string nonce = ch->nonce.str();
  const auto alg = sip::parseDigestAlgorithm(algName).value_or(sip::DigestAlgorithm::kSha256);
  sip::DigestInputs in;
  in.algorithm = alg;
  in.username = a.username;
  in.realm = realm;
  in.password = a.password;
  in.method = a.method;
  in.uri = a.uri;
  in.nonce = nonce;
  in.nc = a.nc;
  in.cnonce = a.cnonce;
  in.qop = sip::DigestQop::kAuth;
  const std::string response = sip::computeResponse(in);
  sip::Credentials c;
  c.username = a.username;
  c.realm = realm;
  c.nonce = nonce;
  c.uri = a.uri;
  c.response = response;
  c.algorithm = algName;
  c.cnonce = a.cnonce;
  c.qop = "auth";
  c.nc = a.nc;
  return sip::formatCredentials(c);
}

// The nonce="..." of a challenge.
inline std::string nonceOf(std::string_view challengeText) {
  auto ch = sip::parseChallenge(challengeText);
  return ch ? ch->nonce.str() : std::string();
}

}  // namespace tg::auth::testing
