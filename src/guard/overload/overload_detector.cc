#include "guard/overload/overload_detector.h"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

namespace tg::guard::overload {

std::string_view levelName(OverloadLevel level) {
  switch (level) {
    case OverloadLevel::kNormal:
      return "normal";
    case OverloadLevel::kShedUntrusted:
      return "shed_untrusted";
    case OverloadLevel::kShedAll:
      return "shed_all";
  }
  return "normal";
}

OverloadDetector::OverloadDetector(const config::OverloadSettings& settings)
    : settings_(settings) {}

namespace {

double percentOf(base::Duration part, base::Duration whole) {
  if (whole <= base::Duration::zero()) return 0.0;
  return std::clamp(100.0 * static_cast<double>(part.count()) / whole.count(), 0.0, 100.0);
}

}  // namespace

void OverloadDetector::recordSample(const LoadSample& sample) {
  if (!settings_.enabled) return;
  const double cpu = percentOf(sample.busy, sample.interval);
  const double trustedCpu = percentOf(sample.trustedBusy, sample.interval);
  lastCpuPercent_ = cpu;
  const size_t queueLimit = std::max<size_t>(1, settings_.queueDatagrams);
  const bool overloaded = cpu >= settings_.cpuPercent || sample.queuedDatagrams >= queueLimit;
  const bool calm = cpu < settings_.cpuPercent - kResumeBandPercent &&
                    sample.queuedDatagrams < std::max<size_t>(1, queueLimit / 2);
  // Whether turning trusted peers away could relieve the load at all.
  const bool trustedShare =
      trustedCpu >= settings_.cpuPercent / 2 || sample.trustedQueuedDatagrams >= queueLimit;

  if (overloaded) {
    calmSamples_ = 0;
    if (level_ == OverloadLevel::kNormal) {
      level_ = OverloadLevel::kShedUntrusted;
      overloadedSamples_ = 0;
    } else {
      ++overloadedSamples_;
    }
    // Shedding the untrusted did not help, or the queue is far beyond the mark.
    if (level_ == OverloadLevel::kShedUntrusted && trustedShare &&
        (overloadedSamples_ >= kEscalateSamples || sample.queuedDatagrams >= 2 * queueLimit)) {
      level_ = OverloadLevel::kShedAll;
      overloadedSamples_ = 0;
    }
    // The trusted zones are quiet again: their 503s relieve nothing.
    if (level_ == OverloadLevel::kShedAll && !trustedShare &&
        ++untrustedOnlySamples_ >= kCalmSamples) {
      level_ = OverloadLevel::kShedUntrusted;
      overloadedSamples_ = 0;
    }
    if (trustedShare) untrustedOnlySamples_ = 0;
    return;
  }
  untrustedOnlySamples_ = 0;
  overloadedSamples_ = 0;
  if (!calm) {
    calmSamples_ = 0;  // between the marks: hold the level
    return;
  }
  if (level_ != OverloadLevel::kNormal && ++calmSamples_ >= kCalmSamples) {
    level_ =
        level_ == OverloadLevel::kShedAll ? OverloadLevel::kShedUntrusted : OverloadLevel::kNormal;
    calmSamples_ = 0;
  }
}

Verdict OverloadDetector::onRequest(const Request& request) {
  if (!settings_.enabled || level_ == OverloadLevel::kNormal || request.inDialog) {
    return Verdict::next();
  }
  const sip::Method method = request.message.method();
  if (method == sip::Method::kAck || method == sip::Method::kCancel) return Verdict::next();
  if (!request.trusted) return Verdict::drop("overload.shed", "overloaded: shedding new requests");
  if (level_ == OverloadLevel::kShedAll) {
    Verdict v = Verdict::reply(503, "overload.shed", "Service Unavailable");
    v.retryAfterS = settings_.retryAfterS;
    return v;
  }
  return Verdict::next();
}

std::optional<size_t> receiveQueueDatagrams(int fd, size_t bytesPerDatagram) {
  std::array<uint32_t, SK_MEMINFO_VARS> info{};
  socklen_t len = sizeof(info);
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info.data(), &len) != 0 ||
      len < sizeof(uint32_t) * (SK_MEMINFO_RMEM_ALLOC + 1)) {
    return std::nullopt;
  }
  return info[SK_MEMINFO_RMEM_ALLOC] / std::max<size_t>(1, bytesPerDatagram);
}

}  // namespace tg::guard::overload
