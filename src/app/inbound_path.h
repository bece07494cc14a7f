#pragma once

// One worker's inbound path, as the ordered stages a packet meets (docs/architecture.md "The
// path of one message"):
//
//   admit       the ban list and the zone ACL, before parsing (silence)
//   keep-alive  a STUN Binding request on a UDP SIP port: the rate limit, then the answer
//   parse       sip::Message::parse (nothing to answer without a Via: silence)
//   validate    sip::validate; a refused request meets the guard chain too, then gets the
//               validator's code; a malformed response is dropped
//   guard       the guard chain on requests (overload, scanner, rate limit): silence or an answer
//   hops        Max-Forwards 0 is answered 483
//   dispatch    to the transaction layer of the worker that owns the call (a hand-over when that
//               is another worker)
//
// Every stateless answer is built here with its code in hand and sent with
// transaction::Sender::sendResponse, so the guard records the code without reading the bytes.
// Runs on the worker's thread; no allocation or lock beyond what parsing needs.

#include <memory>
#include <string_view>

#include "app/worker_plumbing.h"
#include "base/clock.h"
#include "base/counters.h"
#include "config/config.h"
#include "guard/common/report_throttle.h"
#include "guard/guard.h"
#include "sip/message.h"
#include "sip/validator.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::app {

#define TG_GATEWAY_COUNTERS(X)                                                    \
  X(received, "messages read from the sockets")                                   \
  X(sourceDropped, "banned, or not allowed in that zone (guard stats say which)") \
  X(parseDropped, "not SIP at all (nor a STUN keep-alive)")                       \
  X(stunKeepAlives, "STUN Binding requests answered (RFC 5626 keep-alives)")      \
  X(stunDropped, "STUN Binding requests over the rate limit")                     \
  X(rejected, "answered with the validator's code")                               \
  X(responsesDropped, "malformed responses")                                      \
  X(handedOver, "passed to the worker that owns the call")                        \
  X(guardBlocked, "dropped or answered by the guard chain")

struct alignas(base::kCounterAlign) GatewayStats {
  TG_GATEWAY_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(GatewayStats, TG_GATEWAY_COUNTERS)
};

class InboundPath {
 public:
  // The stages in path order; onPacket() says at which one a packet left the path.
  enum class Stage : uint8_t { kAdmit, kKeepAlive, kParse, kValidate, kGuard, kHops, kDispatch };

  // Time spent on packets past the keep-alive stage since the last take (overload shedding's
  // load sample), and the share of it on the pbx and trunk zones.
  struct Busy {
    base::Duration all{};
    base::Duration trustedZones{};
  };

  // `out` sends the stateless answers; `self` receives what this worker owns, `workers` hands
  // the rest over.
  InboundPath(config::ConfigPtr config, guard::Guard& guard, transaction::Sender& out, Worker& self,
              WorkerPeers& workers, const base::Clock& clock);

  Stage onPacket(transport::Packet&& packet);

  void updateConfig(config::ConfigPtr config) { config_ = std::move(config); }
  const GatewayStats& stats() const { return stats_; }
  Busy takeBusy();

 private:
  // The stages. Each returns whether the packet goes on to the next.
  bool admit(const transport::Packet& packet);
  bool keepAlive(const transport::Packet& packet);  // false: it was one (answered or dropped)
  std::unique_ptr<sip::Message> parse(transport::Packet& packet);
  bool validate(const sip::Message& message, const transport::Packet& packet);
  // Whether a request belongs to a dialog the gateway knows (the guard lets those through).
  bool inKnownDialog(const sip::Message& request, const transport::Packet& packet) const;
  bool guard(const sip::Message& message, const transport::Packet& packet);
  bool hops(const sip::Message& message, const transport::Packet& packet);
  void dispatch(std::unique_ptr<sip::Message> message, const transport::Packet& packet);

  // A request the validator refused: through the guard chain, then answered with its code.
  void rejectMalformed(const sip::Message& request, const transport::Packet& packet,
                       const sip::Verdict& verdict);
  // Runs the guard chain's verdict: false when it blocked (answered or dropped).
  bool passedGuard(const guard::Verdict& verdict, const sip::Message& request,
                   const transport::Packet& packet);
  // The one place a stateless answer is built; its code goes out beside the bytes.
  void answer(const sip::Message& request, const transport::Packet& packet, int code,
              std::string_view reason, uint32_t retryAfterS = 0);

  config::ConfigPtr config_;
  guard::Guard& guard_;
  transaction::Sender& out_;
  Worker& self_;
  WorkerPeers& workers_;
  const base::Clock& clock_;
  GatewayStats stats_;
  Busy busy_;
  guard::ReportThrottle rejectReports_;  // one log line per source per events.repeat_interval
};

std::string_view stageName(InboundPath::Stage stage);

}  // namespace tg::app
