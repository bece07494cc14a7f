#pragma once

// The SIP half of `audit provider`: what the provider's answers say about it, over whichever
// transport reaches it (the trunk's own, or the clear on a TLS trunk's host): the digest
// algorithms of its challenge, the media of its OPTIONS answer, whether it takes a sips: URI,
// and, only when the admin names a number, the SDP answer of a real INVITE that offers SRTP
// (cancelled at once). The PRV-* ids are in docs/audit.md.

#include <string>

#include "audit/finding.h"
#include "audit/sip_prober.h"
#include "config/config.h"

namespace tg::audit {

// REGISTER (Expires: 0) and OPTIONS; false when neither got an answer (nothing was judged).
bool checkSipOffers(SipProber& prober, const config::Provider& p, const std::string& where,
                    const std::string& how, AuditResult& result);

// OPTIONS sips:HOST over TLS (RFC 5630): PRV-SIPS-REFUSED for 416 or no answer.
void checkSips(SipProber& prober, const std::string& where, AuditResult& result);

// One INVITE to `number` offering only SRTP, answering one challenge with the trunk's
// credentials, cancelled on the first provisional answer (ACK and BYE at once should it be
// answered): PRV-SRTP-REFUSED when the provider refuses the offer or answers with plain RTP.
// What keeps it from judging (no SDP in the answer, a refusal, no credentials) is an error.
void checkInviteSrtp(SipProber& prober, const config::Provider& p, const std::string& number,
                     const std::string& where, const std::string& how, AuditResult& result);

}  // namespace tg::audit
