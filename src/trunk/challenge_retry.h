#pragma once

// Answering a provider's 401/407 to a request trunkguard sent (an INVITE, a BYE...): the same
// request again with credentials, a new branch and the next CSeq, keeping Call-ID, tags and
// everything else (RFC 3261 §22.2). A request that already carried credentials is not retried:
// a second challenge means the credentials were refused, and asking again would only loop.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/provider_auth_config.h"
#include "sip/message.h"

namespace tg::trunk {

struct AuthorizedRetry {
  std::string bytes;   // the request to send in a new client transaction
  std::string branch;  // its top Via branch
  uint32_t cseq = 0;   // its CSeq number (the original's plus one)
};

// nullopt with *why when the challenge cannot or must not be answered.
std::optional<AuthorizedRetry> authorizeRetry(std::string_view sentRequest,
                                              const sip::Message& challenge,
                                              const config::ProviderAuth& auth, std::string* why);

}  // namespace tg::trunk
