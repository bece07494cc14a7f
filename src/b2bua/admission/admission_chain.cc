#include "b2bua/admission/admission_chain.h"

#include <string>

#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"

namespace tg::b2bua::admission {
namespace {

using transaction::ServerTransaction;

std::string_view actionName(Action a) {
  switch (a) {
    case Action::kContinue:
      return "continue";
    case Action::kReply:
      return "reply";
    case Action::kDrop:
      return "drop";
    case Action::kChallenge:
      return "challenge";
    case Action::kDefer:
      return "defer";
  }
  return "reply";
}

}  // namespace

AdmissionStats& AdmissionStats::operator+=(const AdmissionStats& other) {
  if (names.empty()) names = other.names;
  if (filters.size() < other.filters.size()) filters.resize(other.filters.size());
  for (size_t i = 0; i < other.filters.size(); ++i) filters[i] += other.filters[i];
  return *this;
}

const FilterStats* AdmissionStats::of(std::string_view name) const {
  for (size_t i = 0; i < names.size() && i < filters.size(); ++i) {
    if (names[i] == name) return &filters[i];
  }
  return nullptr;
}

AdmissionChain::AdmissionChain(AdmissionServices& services, const LegMessages& messages,
                               std::vector<std::unique_ptr<CallFilter>> filters)
    : services_(services), messages_(messages), filters_(std::move(filters)) {
  for (const auto& f : filters_) stats_.names.push_back(f->name());
  stats_.filters.resize(filters_.size());
  services_.chain = this;
}

AdmissionChain::~AdmissionChain() {
  // The shared services (the policy's counters) outlive this worker: give back what parked
  // calls hold. Their transactions go with the layer.
  for (auto& [ticket, parked] : parked_) {
    services_.context.timers.cancel(parked.deadline);
    for (size_t i = parked.filter + 1; i-- > 0;) filters_[i]->release(parked.call);
  }
}

void AdmissionChain::append(std::unique_ptr<CallFilter> filter) {
  stats_.names.push_back(filter->name());
  stats_.filters.emplace_back();
  filters_.push_back(std::move(filter));
}

void AdmissionChain::run(CallContext&& call) {
  call.ticket = nextTicket_++;
  runFrom(std::move(call), 0);
}

void AdmissionChain::runFrom(CallContext&& call, size_t index) {
  const config::Config& config = *services_.context.config;
  for (; index < filters_.size(); ++index) {
    CallFilter& filter = *filters_[index];
    const config::FilterSwitches switches = filter.switches(config);
    if (!switches.enabled) continue;
    if (!settle(call, index, switches.enforce, filter.check(call))) return;
  }
  if (admitted_) admitted_(call);
}

bool AdmissionChain::settle(CallContext& call, size_t index, bool enforce, Verdict verdict) {
  FilterStats& counters = stats_.filters[index];
  switch (verdict.action) {
    case Action::kContinue:
      ++(verdict.shadowed ? counters.shadowRefused : counters.passed);
      return true;
    case Action::kDefer:
      ++counters.deferred;
      park(std::move(call), index, verdict.deadline);
      return false;
    case Action::kReply:
    case Action::kDrop:
    case Action::kChallenge:
      break;
  }
  const CallFilter& filter = *filters_[index];
  if (!enforce) {
    ++counters.shadowRefused;
    reportShadow(call, filter, verdict);
    return true;
  }
  ++counters.refused;
  TG_LOG(kB2bua, debug, "call={} refused by admission filter {}: {} {} {} (rule {})",
         call.call->uuid, filter.name(), actionName(verdict.action), verdict.code, verdict.reason,
         verdict.rule);
  answer(call, verdict);
  abandon(call, index, verdict.code,
          "admission: " + std::string(filter.name()) + ": " + verdict.reason,
          verdict.rule.empty() ? "admission." + std::string(filter.name()) : verdict.rule);
  return false;
}

void AdmissionChain::park(CallContext&& call, size_t index, base::Duration deadline) {
  const uint64_t ticket = call.ticket;
  // Until it is resumed, the INVITE's CANCEL and end come here.
  call.invite->owner = this;
  call.invite->ownerId = ticket;
  Parked& parked = parked_[ticket];
  parked.call = std::move(call);
  parked.filter = index;
  parked.deadline = services_.context.timers.schedule(deadline, [this, ticket] { expire(ticket); });
}

CallContext* AdmissionChain::parked(uint64_t ticket) {
  const auto it = parked_.find(ticket);
  return it == parked_.end() ? nullptr : &it->second.call;
}

bool AdmissionChain::resume(uint64_t ticket, Verdict verdict) {
  auto it = parked_.find(ticket);
  if (it == parked_.end()) return false;
  Parked parked = std::move(it->second);
  parked_.erase(it);
  services_.context.timers.cancel(parked.deadline);
  parked.call.invite->owner = nullptr;
  parked.call.invite->ownerId = 0;
  // The switches as they are now: a reload while it waited applies.
  const bool enforce = filters_[parked.filter]->switches(*services_.context.config).enforce;
  if (settle(parked.call, parked.filter, enforce, std::move(verdict))) {
    runFrom(std::move(parked.call), parked.filter + 1);
  }
  return true;
}

void AdmissionChain::expire(uint64_t ticket) {
  auto it = parked_.find(ticket);
  if (it == parked_.end()) return;
  Parked parked = std::move(it->second);
  parked_.erase(it);
  parked.call.invite->owner = nullptr;
  parked.call.invite->ownerId = 0;
  ++stats_.filters[parked.filter].deferTimeouts;
  const CallFilter& filter = *filters_[parked.filter];
  TG_LOG(kB2bua, info, "call={} admission filter {} did not decide in time: answered {}",
         parked.call.call->uuid, filter.name(), kDeadlineCode);
  answer(parked.call,
         Verdict::reply(kDeadlineCode, std::string(kDeadlineReason), "admission.deadline"));
  abandon(parked.call, parked.filter, kDeadlineCode,
          "admission: " + std::string(filter.name()) + ": no decision in time");
}

void AdmissionChain::onCancel(ServerTransaction& invite) {
  services_.context.layer->respond(
      invite, 487, sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
  auto it = parked_.find(invite.ownerId);
  if (it == parked_.end()) return;
  Parked parked = std::move(it->second);
  parked_.erase(it);
  services_.context.timers.cancel(parked.deadline);
  invite.owner = nullptr;
  invite.ownerId = 0;
  ++stats_.filters[parked.filter].deferCancelled;
  TG_LOG(kB2bua, info, "call={} cancelled by the caller while admission filter {} decided",
         parked.call.call->uuid, filters_[parked.filter]->name());
  abandon(parked.call, parked.filter, 487, "cancelled by caller");
}

void AdmissionChain::onTerminated(transaction::Transaction& t) {
  auto it = parked_.find(t.ownerId);
  if (it == parked_.end() || it->second.call.invite != &t) return;
  Parked parked = std::move(it->second);
  parked_.erase(it);
  services_.context.timers.cancel(parked.deadline);
  abandon(parked.call, parked.filter, 0, "transaction ended while deferred");
}

void AdmissionChain::abandon(CallContext& call, size_t last, int code, std::string_view why,
                             std::string_view refusedBy) {
  for (size_t i = last + 1; i-- > 0;) filters_[i]->release(call);
  if (!call.recorded) return;
  call.recorded = false;
  // A refusal by a filter after the policy allowed the call is the gateway's refusal, like the
  // policy's own: "rejected" by that rule, so CDR reports (and the fraud detectors' history)
  // never count it as a call that went out.
  const Disposition disposition =
      refusedBy.empty() ? dispositionFor(code, code == 487) : Disposition::kRejected;
  CallRecord r = refusedRecord(call, disposition, code, std::string(why));
  if (!refusedBy.empty()) r.policyRule = std::string(refusedBy);
  services_.context.events.rejected(std::move(r));
}

void AdmissionChain::answer(CallContext& call, const Verdict& verdict) {
  B2buaContext& ctx = services_.context;
  ServerTransaction& st = *call.invite;
  if (verdict.action == Action::kDrop) {
    ctx.layer->dropSilently(st);
    return;
  }
  const int code = verdict.code >= 300 && verdict.code <= 699 ? verdict.code : 500;
  auto b = messages_.answer(st.request(), code, verdict.reason, base::randomHex(8));
  for (const auto& [name, value] : verdict.headers) b.header(name, value);
  if (verdict.action == Action::kChallenge) ++ctx.stats.phoneChallenges;
  ctx.layer->respond(st, code, b.build());
}

void AdmissionChain::reportShadow(const CallContext& call, const CallFilter& filter,
                                  const Verdict& verdict) {
  const std::string rule =
      verdict.rule.empty() ? "admission." + std::string(filter.name()) : verdict.rule;
  TG_LOG(kB2bua, info,
         "call={} admission filter {} would {} this call ({} {}, rule {}): "
         "shadow mode lets it through",
         call.call->uuid, filter.name(), actionName(verdict.action), verdict.code, verdict.reason,
         rule);
  if (services_.events == nullptr) return;
  guard::SecurityEvent e;
  e.time = services_.context.timers.clock().wallNow();
  e.zone = call.zone();
  e.source = call.source();
  e.rule = rule;
  e.reason =
      verdict.reason.empty() ? "would " + std::string(actionName(verdict.action)) : verdict.reason;
  e.action = "shadow";
  // Who called, without the dialled digits (they may hold a call code).
  e.sample = "INVITE from " + std::string(call.callerId()).substr(0, 64);
  services_.events->record(std::move(e));
}

}  // namespace tg::b2bua::admission
