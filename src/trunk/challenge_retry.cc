#include "trunk/challenge_retry.h"

#include "sip/builder.h"
#include "transaction/transaction_layer.h"
#include "trunk/digest_client.h"

namespace tg::trunk {

std::optional<AuthorizedRetry> authorizeRetry(std::string_view sentRequest,
                                              const sip::Message& challenge,
                                              const config::ProviderAuth& auth, std::string* why) {
  auto fail = [&](std::string text) -> std::optional<AuthorizedRetry> {
    if (why != nullptr) *why = std::move(text);
    return std::nullopt;
  };
  if (!auth.enabled) return fail("no credentials configured for this provider");
  sip::Message request;
  if (!request.parse(std::string(sentRequest)).ok() || !request.isRequest() ||
      request.topVia() == nullptr || request.cseq() == nullptr) {
    return fail("the request sent could not be read back");
  }
  if (request.method() == sip::Method::kAck || request.method() == sip::Method::kCancel) {
    return fail("an ACK or CANCEL is never resent with credentials (RFC 3261 §22.1)");
  }
  if (request.has(sip::HeaderId::kAuthorization) ||
      request.has(sip::HeaderId::kProxyAuthorization)) {
    return fail("credentials for user " + auth.username + " were refused (challenged again)");
  }
  DigestClient digest;
  const std::string method(request.methodText());
  auto authorization =
      digest.answer(challenge, method, request.requestUriText(), request.body(), auth, why);
  if (!authorization) return std::nullopt;

  AuthorizedRetry retry;
  retry.branch = transaction::TransactionLayer::newBranch();
  retry.cseq = request.cseq()->number + 1;
  const sip::HeaderField* via = request.find(sip::HeaderId::kVia);
  std::string topVia(via->value);
  const std::string_view oldBranch = request.topVia()->branch();
  if (const size_t at = topVia.find(oldBranch); !oldBranch.empty() && at != std::string::npos) {
    topVia.replace(at, oldBranch.size(), retry.branch);
  } else {
    return fail("the request's Via has no branch");
  }
  sip::MessageEditor edit(request);
  // Only the first Via field is ours to change; a request we built has exactly one.
  edit.replaceHeader(sip::HeaderId::kVia, std::move(topVia));
  edit.replaceHeader(sip::HeaderId::kCSeq, std::to_string(retry.cseq) + " " + method);
  edit.addHeader(authorization->header, std::move(authorization->value));
  retry.bytes = edit.serialize();
  return retry;
}

}  // namespace tg::trunk
