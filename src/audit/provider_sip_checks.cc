#include "audit/provider_sip_checks.h"

#include <algorithm>

#include "sip/message.h"
#include "trunk/digest_client.h"

namespace tg::audit {
namespace {

// RTP/SAVP, RTP/SAVPF or UDP/TLS/RTP/SAVP(F) on an m= line, or SDES keys: the media is SRTP.
bool describesSrtp(const std::string& sdp) {
  return sdp.find("/SAVP") != std::string::npos || sdp.find("a=crypto:") != std::string::npos;
}

std::string statusText(const SipAnswer& a) { return std::to_string(a.status) + " " + a.reason; }

}  // namespace

bool checkSipOffers(SipProber& prober, const config::Provider& p, const std::string& where,
                    const std::string& how, AuditResult& result) {
  std::string error;
  bool answered = false;
  if (const auto answer = prober.options(&error)) {
    answered = true;
    if (!answer->sdp.empty() && !describesSrtp(answer->sdp)) {
      result.add("PRV-SRTP-NOT-OFFERED", where, 0,
                 "the media capabilities in its OPTIONS answer " + how +
                     " offer RTP/AVP only (no RTP/SAVP, no a=crypto)");
    }
  }
  const std::string user = p.auth.username.empty() ? "trunkguard-audit" : p.auth.username;
  if (const auto answer = prober.registerUser(user, &error)) {
    answered = true;
    const auto& algorithms = answer->digestAlgorithms;
    const bool strong = std::any_of(algorithms.begin(), algorithms.end(), [](const auto& a) {
      return a == "SHA-256" || a == "SHA-256-sess" || a == "SHA-512-256" || a == "SHA-512-256-sess";
    });
    if (answer->challenged && !algorithms.empty() && !strong) {
      std::string list;
      for (const auto& a : algorithms) list += (list.empty() ? "" : ", ") + a;
      result.add("PRV-DIGEST-MD5-ONLY", where, 0,
                 "REGISTER " + how + " was challenged with " + list + " only");
    }
  }
  return answered;
}

void checkSips(SipProber& prober, const std::string& where, AuditResult& result) {
  std::string error;
  prober.useSipsUri(true);
  const auto answer = prober.options(&error);
  prober.useSipsUri(false);
  if (!answer) {
    result.add("PRV-SIPS-REFUSED", where, 0,
               "OPTIONS sips: over TLS got no answer (" + error + ")");
  } else if (answer->status == 416) {
    result.add("PRV-SIPS-REFUSED", where, 0,
               "OPTIONS sips: over TLS was answered " + statusText(*answer));
  }
}

void checkInviteSrtp(SipProber& prober, const config::Provider& p, const std::string& number,
                     const std::string& where, const std::string& how, AuditResult& result) {
  InviteProbeOptions options;
  options.offerSrtp = true;
  if (p.auth.enabled) {
    options.fromUser = p.auth.username;
    options.answerChallenge = [&p](const SipAnswer& challenge, std::string_view uri,
                                   std::string_view body) -> std::optional<std::string> {
      sip::Message m;
      if (!m.parse(challenge.message).ok()) return std::nullopt;
      trunk::DigestClient client;
      std::string why;
      const auto a = client.answer(m, "INVITE", uri, body, p.auth, &why);
      if (!a) return std::nullopt;
      const bool proxy = a->header == sip::HeaderId::kProxyAuthorization;
      return std::string(proxy ? "Proxy-Authorization: " : "Authorization: ") + a->value;
    };
  }
  const std::string what = "INVITE to " + number + " " + how;
  std::string error;
  const auto outcome = prober.inviteAndCancel(number, &error, options);
  if (!outcome) {
    result.errors.push_back(where + ": " + what + ": " + error);
    return;
  }
  const SipAnswer& a = outcome->answer;
  const std::string hangup = outcome->answered ? " (answered, hung up at once)" : " (cancelled)";
  if (a.status == 488 || a.status == 415) {
    result.add("PRV-SRTP-REFUSED", where, 0,
               what + " offering only SRTP (RTP/SAVP, SDES) was refused: " + statusText(a));
  } else if (!a.sdp.empty()) {
    if (!describesSrtp(a.sdp)) {
      result.add("PRV-SRTP-REFUSED", where, 0,
                 what + ": the SDP of its " + statusText(a) + hangup +
                     " answers an SRTP offer with RTP/AVP");
    }
  } else if (a.challenged) {
    result.errors.push_back(where + ": " + what + ": " + statusText(a) +
                            (p.auth.enabled ? " even with the trunk's credentials"
                                            : "; the trunk has no credentials (auth:) to answer") +
                            "; SRTP not judged");
  } else {
    result.errors.push_back(where + ": " + what + ": " + statusText(a) + hangup +
                            " carried no SDP; SRTP not judged");
  }
}

}  // namespace tg::audit
