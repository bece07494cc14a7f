#pragma once

// What the pieces of one worker's B2BUA share (docs/architecture.md "The B2BUA"): the services
// every piece reaches, and the call table they find calls in and end them through. B2bua owns
// the context and every piece; all of it runs on the worker thread.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "b2bua/call.h"
#include "b2bua/call_events.h"
#include "base/counters.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::b2bua {

// Finds the local listener to use for a zone and transport (Via, Contact).
using EndpointLookup =
    std::function<const transport::LocalEndpoint*(transport::Zone, config::TransportKind)>;

#define TG_B2BUA_COUNTERS(X)                                                \
  X(callsStarted, "calls whose B leg was sent")                             \
  X(callsAnswered, "calls answered")                                        \
  X(callsFailed, "calls that ended without an answer")                      \
  X(failovers, "B legs retried on the next peer")                           \
  X(referRefused, "REFERs refused")                                         \
  X(unknownDialog, "in-dialog requests answered 481")                       \
  X(phoneCalls, "calls from authenticated remote phones (public zone)")     \
  X(phoneChallenges, "public-zone INVITEs answered with a challenge")       \
  X(callsToPhones, "PBX calls routed to a registered phone")                \
  X(policyRejected, "new calls the call policy refused")                    \
  X(policyShadow, "calls it would have refused (enforce: false)")           \
  X(policyEnded, "live calls ended by a spend cap")                         \
  X(endedBanned, "live calls ended because a leg's peer was banned")        \
  X(endedLocked, "live calls ended because the phone's account was locked") \
  X(endedByReload, "live calls a reloaded configuration no longer allowed") \
  X(emergencyCalls, "emergency calls")

struct alignas(base::kCounterAlign) B2buaStats {
  TG_B2BUA_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(B2buaStats, TG_B2BUA_COUNTERS)
};

// The calls of this worker (b2bua.cc): pieces look calls up and end them only through it.
class CallTable {
 public:
  virtual Call* findCall(uint64_t id) = 0;
  // Where in-dialog requests for a leg's Call-ID in `zone` go.
  virtual void indexDialog(transport::Zone zone, std::string_view callId, uint64_t call,
                           Side side) = 0;
  virtual void forgetDialog(transport::Zone zone, std::string_view callId) = 0;
  // Ends the call at once (timers, then onEnding/onEnded): `call` is gone afterwards.
  virtual void endNow(Call& call, Disposition disposition, int code, std::string_view reason) = 0;
  // Ends a call A has already been answered for (cancel, no-answer timer, endCall()) with the
  // disposition and code A was given.
  virtual void endAbandoned(Call& call) = 0;
  // A has its final answer (487 to its CANCEL, the gateway's 480) while B's INVITE still winds
  // down: the CDR ends now, with what A was told; `call` stays until B's INVITE is over.
  virtual void recordEnd(Call& call, Disposition disposition, int code,
                         std::string_view reason) = 0;
  // Ends a call from inside the process (call control): BYE on both legs once answered,
  // CANCEL and a final response to A before; the CDR says `cause` and `detail`.
  virtual bool endCall(uint64_t id, EndCause cause, std::string_view detail) = 0;
  bool endCall(uint64_t id, std::string_view reason) {
    return endCall(id, EndCause::kOther, reason);
  }

 protected:
  ~CallTable() = default;
};

struct B2buaContext {
  B2buaContext(config::ConfigPtr c, base::TimerQueue& t, EndpointLookup e, CallTable& table)
      : config(std::move(c)), timers(t), endpoints(std::move(e)), calls(table) {}

  config::ConfigPtr config;  // replaced on reload; calls in progress keep their legs
  base::TimerQueue& timers;
  EndpointLookup endpoints;
  CallTable& calls;
  transaction::TransactionLayer* layer = nullptr;  // set by B2bua::attach()
  transaction::Sender* sender = nullptr;
  std::function<std::string()> newCallId;
  B2buaStats stats;
  CallEvents events;  // the CDR writer, the policy tracker, the counters, and any added
};

}  // namespace tg::b2bua
