#pragma once

// SIP capture (`capture:`, read by capture_section.cc): a HEP v3 copy of every SIP message the
// gateway reads and writes, on every leg, sent to a Homer or sngrep collector. Off unless the
// section is there; exported by app/capture/ on a thread of its own (docs/capture.md).

#include <cstdint>
#include <optional>
#include <string>

#include "base/address.h"

namespace tg::config {

struct HepSettings {
  int line = 0;      // where `capture.hep:` was written
  bool tcp = false;  // url tcp://; else udp://
  base::Address collector;
  uint32_t agentId = 0;  // the capture agent id Homer shows per node
  // HEP's auth key: sent in the clear inside every packet, so it only tells collectors apart;
  // it is not a secret worth a file.
  std::string password;
  int queue = 4096;  // messages waiting per worker; beyond: dropped and counted
};

// The `capture:` section of the config file at `path`, read at the gateway's start (capture
// needs a restart to change); nullopt when there is no capture.hep or it has errors (which
// loading the config reported already).
std::optional<HepSettings> loadHepSettings(const std::string& path);

}  // namespace tg::config
