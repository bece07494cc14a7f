#pragma once

// The admission contract (docs/architecture.md "Admission chain"): whether a new INVITE becomes
// a call is decided by an ordered chain of CallFilters (admission_chain.h), each looking at the
// call as it stands and returning a Verdict. A filter answers nothing itself: the chain sends
// what the verdict says, applies the filter's `enforce` switch (shadow mode) and keeps its
// counters. No filter throws, and no filter calls another.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "b2bua/bindings.h"
#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/call_events.h"
#include "base/clock.h"
#include "config/config.h"
#include "guard/security_event.h"
#include "sip/message.h"
#include "transaction/transaction.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth
namespace tg::guard::policy {
class CallPolicy;
}  // namespace tg::guard::policy
namespace tg::guard::fraud {
class FraudDetector;
}  // namespace tg::guard::fraud
namespace tg::identity {
class IdentityVerifier;
}  // namespace tg::identity

namespace tg::b2bua {

class Router;

namespace admission {

class AdmissionChain;

enum class Action : uint8_t {
  kContinue,   // no objection: the next filter decides
  kReply,      // answer `code` `reason` with `headers`
  kDrop,       // no final answer: the caller has its 100 Trying and hears nothing more
  kChallenge,  // answer `code` (401/407) with the challenges in `headers`, for `realm`
  kDefer,      // undecided: the filter calls AdmissionChain::resume() later, on this worker
};

struct Verdict {
  Action action = Action::kContinue;
  int code = 0;        // kReply, kChallenge
  std::string reason;  // reason phrase; empty: the standard one
  std::string rule;    // what decided, for logs and events ("request.require", "policy.x")
  std::vector<std::pair<std::string, std::string>> headers;  // added to the answer
  std::string realm;                                         // kChallenge
  base::Duration deadline{};  // kDefer: answered 504 when no resume() came by then
  bool shadowed = false;      // kContinue: the filter's own shadow mode waived a refusal

  bool refuses() const {
    return action == Action::kReply || action == Action::kDrop || action == Action::kChallenge;
  }
  Verdict& with(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  static Verdict next() { return {}; }
  // Passes, but counts as a shadow refusal (a filter with its own shadow mode, the policy).
  static Verdict shadowPass() {
    Verdict v;
    v.shadowed = true;
    return v;
  }
  static Verdict reply(int code, std::string reason, std::string rule) {
    Verdict v;
    v.action = Action::kReply;
    v.code = code;
    v.reason = std::move(reason);
    v.rule = std::move(rule);
    return v;
  }
  static Verdict drop(std::string rule) {
    Verdict v;
    v.action = Action::kDrop;
    v.rule = std::move(rule);
    return v;
  }
  // Add each challenge with with(header name, value).
  static Verdict challenge(std::string realm, int code, std::string reason, std::string rule) {
    Verdict v = reply(code, std::move(reason), std::move(rule));
    v.action = Action::kChallenge;
    v.realm = std::move(realm);
    return v;
  }
  static Verdict defer(base::Duration deadline) {
    Verdict v;
    v.action = Action::kDefer;
    v.deadline = deadline;
    return v;
  }
};

// One new INVITE on its way through the chain. The chain owns it while a filter has deferred
// it; filters write what they learn into `call`.
struct CallContext {
  transaction::ServerTransaction* invite = nullptr;  // answered 100 Trying; never null
  std::unique_ptr<Call> call;    // account, numbers and the policy's decision, as learnt
  std::optional<Binding> phone;  // a PBX call for a registered remote phone
  uint64_t ticket = 0;           // what AdmissionChain::resume() finds it by (set by the chain)
  bool recorded = false;         // a call event told of it (the policy's decision): a refusal after
                                 // it is told as onRejected, so the call has its one CDR

  const sip::Message& request() const { return invite->request(); }
  transport::Zone zone() const { return invite->target().zone; }
  const base::Address& source() const { return invite->target().address; }
  const std::string& account() const { return call->account; }
  const std::string& dialled() const { return call->dialled; }
  std::string_view callerId() const { return request().from()->uri.user; }
};

// The record of a call refused before it started (leg A was never opened: the record takes it
// from the INVITE), for onRejected.
CallRecord refusedRecord(const CallContext& call, Disposition disposition, int code,
                         std::string endReason);

// Records a security event about `call` when the services have an event sink: time, zone and
// source from the call; the sample says who called ("INVITE from USER" and `detail`), never
// the dialled digits (they may hold a call code).
struct AdmissionServices;
void recordCallEvent(const AdmissionServices& services, const CallContext& call, std::string rule,
                     std::string reason, std::string_view action, std::string_view detail = {});

// What filters reach; owned by the B2BUA, the pointers set before traffic flows (b2bua.h).
struct AdmissionServices {
  explicit AdmissionServices(B2buaContext& c) : context(c) {}
  B2buaContext& context;
  auth::AuthService* auth = nullptr;             // remote phones; null: none
  guard::policy::CallPolicy* policy = nullptr;   // null: no call policy
  guard::fraud::FraudDetector* fraud = nullptr;  // null: no fraud detection
  guard::EventSink* events = nullptr;            // security events; null: not recorded
  const Router* router = nullptr;
  // STIR/SHAKEN (src/identity), shared by every worker; null: calls are not verified.
  identity::IdentityVerifier* identity = nullptr;
  // Runs a closure on this worker's thread, from any thread (a filter's deferred answer).
  std::function<void(std::function<void()>)> post;
  AdmissionChain* chain = nullptr;  // the chain these services belong to (resume())
};

class CallFilter {
 public:
  virtual ~CallFilter() = default;

  // The key under `admission:` in the config, and the name in logs, events and counters.
  virtual std::string_view name() const = 0;
  // Its switches now (read for every call, so a reload applies to the next one).
  virtual config::FilterSwitches switches(const config::Config& config) const {
    return config.admission.switchesFor(name());
  }
  virtual Verdict check(CallContext& call) = 0;
  // The call will not start (a later filter refused it, the caller cancelled, a deadline
  // passed): let go of what check() took for it. Also told to a filter that deferred it.
  virtual void release(CallContext& /*call*/) {}
};

}  // namespace admission
}  // namespace tg::b2bua
