#pragma once

// SIP capture to a HEP collector (Homer, sngrep): each worker's transport hands every message
// it reads or writes to that worker's tap, a bounded single-producer ring; one sender thread
// empties the rings, encodes HEP v3 (hep_encoder.h) and sends over UDP or TCP. A worker never
// waits: when its ring is full the message is dropped and counted. docs/capture.md.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/counters.h"
#include "config/capture_config.h"
#include "transport/capture_tap.h"

namespace tg::app::capture {

#define TG_CAPTURE_COUNTERS(X)                                                      \
  X(sent, "SIP messages sent to the HEP collector")                                 \
  X(dropped,                                                                        \
    "SIP messages not captured: a worker's capture queue was full, or the message " \
    "was too large for a HEP packet")                                               \
  X(sendErrors, "HEP packets the collector's socket refused (not connected, unreachable)")

struct alignas(base::kCounterAlign) CaptureStats {
  TG_CAPTURE_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(CaptureStats, TG_CAPTURE_COUNTERS)
};

class WorkerRing;

class HepExporter {
 public:
  // One tap per worker (`workers`), each holding up to settings.queue messages.
  HepExporter(config::HepSettings settings, size_t workers);
  ~HepExporter();
  HepExporter(const HepExporter&) = delete;
  HepExporter& operator=(const HepExporter&) = delete;

  // The tap of worker `index`, to give its TransportManager; valid while the exporter lives.
  transport::CaptureTap* tap(size_t index);
  // Starts the sender thread. Idempotent.
  void start();
  // Sends what is queued, then stops the thread. Idempotent.
  void stop();

  // Summed over the workers and the sender; any thread.
  CaptureStats stats() const;
  const config::HepSettings& settings() const { return settings_; }

 private:
  void run();
  // Sends what every ring holds; false when they were all empty.
  bool drain();
  // Sends the first `count` packets of batch_: one sendmmsg() over UDP, one send() of them
  // back to back over TCP.
  void sendBatch(size_t count);
  bool connectCollector();

  config::HepSettings settings_;
  std::vector<std::unique_ptr<WorkerRing>> rings_;
  CaptureStats senderStats_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  int fd_ = -1;
  bool collectorDown_ = false;      // the last connect failed (logged once per outage)
  int64_t nextConnectMs_ = 0;       // TCP: when to try to connect again after a failure
  std::vector<std::string> batch_;  // encoded packets waiting for one system call, reused
  std::string stream_;              // TCP: the batch's packets back to back
};

}  // namespace tg::app::capture
