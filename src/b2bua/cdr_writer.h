#pragma once

// The CDR of each call (db/cdr_store.h), written from its events: the one place CDRs are
// written. The store queues the writes for its own thread, so the worker never waits on disk.

#include "b2bua/call_events.h"
#include "db/cdr_store.h"

namespace tg::b2bua {

class CdrWriter final : public CallObserver {
 public:
  explicit CdrWriter(db::CdrStore& store) : store_(store) {}

  void onRejected(const CallRecord& call) override;
  void onStarted(const CallRecord& call) override;
  void onRouted(const CallRecord& call) override;
  void onAnswered(const CallRecord& call) override;
  void onEnded(const CallRecord& call) override;

 private:
  db::CdrStore& store_;
};

}  // namespace tg::b2bua
