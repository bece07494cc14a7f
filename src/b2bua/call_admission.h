#pragma once

// Whether a new INVITE becomes a call, in this order: a remote phone's credentials (public
// zone: trunkguard's digest check, or the pass-through bookkeeping in pbx mode), the request's
// own checks (extensions, number, body type, Contact, Max-Forwards), then, once the call is
// known, the toll-fraud call policy. Each step that refuses answers the INVITE itself.

#include <string>
#include <string_view>

#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/leg_messages.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"
#include "transaction/transaction.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth

namespace tg::b2bua {

// What admitting a public-zone INVITE learnt, moved into its call.
struct PhoneAdmission {
  std::string account;       // the account it proved (gateway) or claims (pbx mode)
  std::string authWatchKey;  // pbx mode: see Call::authWatchKey
  bool stripCredentials = false;
};

class CallAdmission {
 public:
  CallAdmission(B2buaContext& context, const LegMessages& messages)
      : ctx_(context), messages_(messages) {}

  // All optional and must outlive this (b2bua.h says what each does).
  void setAuth(auth::AuthService* auth) { auth_ = auth; }
  void setCallPolicy(guard::policy::CallPolicy* policy) { policy_ = policy; }
  void setEventSink(guard::EventSink* events) { events_ = events; }
  bool policyEnabled() const { return policy_ != nullptr && policy_->enabled(); }

  // The checks before a call exists. False: `st` was answered.
  bool admitRequest(transaction::ServerTransaction& st, PhoneAdmission& phone);
  // Asks the call policy about the new call and records its decision in `call` (and as
  // onPolicyDecision). False: the call was refused (answered, and told as onRejected).
  bool admitByPolicy(transaction::ServerTransaction& st, Call& call);

 private:
  bool admitPhone(transaction::ServerTransaction& st, PhoneAdmission& out);
  void countCallCodeFailure(const transaction::ServerTransaction& st, const std::string& account);
  void rejectByPolicy(transaction::ServerTransaction& st, const Call& call,
                      const guard::policy::Admission& admission);
  void recordPolicyEvent(const transaction::ServerTransaction& st,
                         const guard::policy::Admission& admission, std::string_view action);

  B2buaContext& ctx_;
  const LegMessages& messages_;
  auth::AuthService* auth_ = nullptr;
  guard::policy::CallPolicy* policy_ = nullptr;
  guard::EventSink* events_ = nullptr;
};

}  // namespace tg::b2bua
