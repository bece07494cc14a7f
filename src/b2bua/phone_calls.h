#pragma once

// Calls to and from remote phones (public zone, docs/accounts.md): which registered phone a PBX
// call is for, the credentials that cross to the PBX, and the PBX's final answer as the edge may
// show it (guard/enumeration.h). Also the table of INVITEs the PBX challenged, so that the
// phone's retry reaches the PBX in the dialog it challenged.

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "b2bua/bindings.h"
#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/leg_messages.h"
#include "b2bua/registration_relay.h"
#include "base/timer_queue.h"
#include "sip/message.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth

namespace tg::b2bua {

class PhoneCalls {
 public:
  PhoneCalls(const B2buaContext& context, const LegMessages& messages,
             const RegistrationRelay& registrations)
      : ctx_(context), messages_(messages), registrations_(registrations) {}
  ~PhoneCalls();
  PhoneCalls(const PhoneCalls&) = delete;
  PhoneCalls& operator=(const PhoneCalls&) = delete;

  // Both must outlive this; auth null: no remote phones.
  void setServices(auth::AuthService* auth, Bindings* bindings) {
    auth_ = auth;
    bindings_ = bindings;
  }

  // The registered phone a PBX INVITE is for (a binding key or an account as Request-URI user).
  std::optional<Binding> phoneFor(const sip::Message& invite) const;
  // Credentials that cross to the PBX on a phone's INVITE (pbx mode, or another realm's).
  LegMessages::ExtraHeaders credentialsFor(const Call& call, const sip::Message& invite) const;
  // The PBX's final answer to a phone's call, told to the auth failure watcher (pbx mode).
  void noteAnswer(Call& call, const sip::Message& response);
  // Answers the phone (A, still unanswered) with the PBX's final non-2xx as the edge may show
  // it; returns the code the phone got.
  int relayFinal(Call& call, const sip::Message& response);
  // The retry of an INVITE the PBX challenged goes on in the dialog it challenged: fills B's
  // Call-ID, tag and CSeq from it. False when this INVITE was not challenged.
  bool resumeChallengedDialog(const Call& call, Leg& b);

 private:
  void rememberChallengedInvite(const Call& call);

  const B2buaContext& ctx_;
  const LegMessages& messages_;
  const RegistrationRelay& registrations_;
  auth::AuthService* auth_ = nullptr;
  Bindings* bindings_ = nullptr;
  // pbx auth mode: how the PBX challenges phones' INVITEs (decoys copy its code and form). Both
  // modes: the B dialogs of challenged INVITEs, keyed by A's Call-ID and From tag (forgotten
  // after 64*T1).
  int pbxInviteChallengeCode_ = 407;
  std::string pbxInviteChallenge_;
  struct ChallengedInvite {
    std::string callId;
    std::string localTag;
    uint32_t cseq = 0;
    base::TimerId expiry = base::kNoTimer;
  };
  std::unordered_map<std::string, ChallengedInvite> challenged_;
  static constexpr size_t kMaxChallengedInvites = 10000;
  base::TimePoint lastPbxChallengeWarning_{};  // at most one such warning a minute
};

}  // namespace tg::b2bua
