#pragma once

// The media relay's threads (docs/architecture.md "Threads"): N media threads, each with its
// own epoll set, forward the packets of the streams given to it with recvmmsg/sendmmsg batches
// into buffers allocated once per thread. SIP workers never touch packets: they open streams
// (binding the sockets), tell a stream what an offer or answer said, and close it, through the
// owning thread's command queue (a mutex and an eventfd, touched on signalling only).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/address.h"
#include "config/media_config.h"
#include "media/port_pool.h"
#include "media/relay_stream.h"

namespace tg::media {

class MediaThread;

class RelayEngine {
 public:
  // `threads`: how many media threads (at least 1).
  RelayEngine(uint16_t portMin, uint16_t portMax, int threads);
  ~RelayEngine();
  RelayEngine(const RelayEngine&) = delete;
  RelayEngine& operator=(const RelayEngine&) = delete;

  // The thread count the config asks for: media.threads, or cores minus SIP workers, at
  // least 1.
  static int threadsFor(const config::MediaSettings& media, int sipWorkers);

  // Starts the threads; "" or what failed.
  std::string start();
  // Stops and joins them; the streams still open are closed.
  void stop();

  // Binds an RTP/RTCP pair on `bindA` for leg A and one on `bindB` for leg B; null when the
  // port range is used up. `packetsPerSecond` and `kbps` are the ceilings of each direction
  // (0: none). Called on a SIP worker.
  std::shared_ptr<RelayStream> open(const base::Address& bindA, const base::Address& bindB,
                                    int packetsPerSecond = 0, int kbps = 0);
  // What leg `side`'s SDP said about the stream. `relearn`: a new offer or a changed address,
  // learning starts over; `pinned`: the SDP's address is the only source, nothing is learned.
  void setPeer(const std::shared_ptr<RelayStream>& stream, int side, const PeerMedia& peer,
               bool relearn, bool pinned, int probation);
  // The payload types leg `side`'s SDP listed for the stream: RTP with any other (in either
  // direction) is dropped and counted.
  void setPayloadTypes(const std::shared_ptr<RelayStream>& stream, int side, PayloadTypes formats);
  // The packet transforms of leg `side` (SRTP, packet_transform.h); null for plain RTP.
  void setTransforms(const std::shared_ptr<RelayStream>& stream, int side,
                     std::shared_ptr<PacketTransform> inbound,
                     std::shared_ptr<PacketTransform> outbound);
  // Closes the sockets and gives the ports back (at once, on the owning thread).
  void close(const std::shared_ptr<RelayStream>& stream);

  size_t threadCount() const { return threads_.size(); }
  size_t freePortPairs() const { return ports_.available(); }
  // Milliseconds on the clock the counters' lastPacketMs uses.
  static int64_t nowMs();

 private:
  PortPool ports_;
  std::vector<std::unique_ptr<MediaThread>> threads_;
  std::atomic<size_t> next_{0};  // round robin over the threads
};

}  // namespace tg::media
