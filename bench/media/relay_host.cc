// tg_media_relay: trunkguard's media relay (media::RelayEngine, the class the daemon runs on
// its media threads) in a process of its own, for the media benchmark (bench/media/
// run_media.py). No SIP: the streams are opened here, as the offer/answer hook would open them,
// so that the process's CPU is the relay's alone. Loopback only.
//
//   tg_media_relay --streams 250 --peer-a 127.0.0.1:40000 --peer-b 127.0.0.1:40002
//                  [--bind 127.0.0.1] [--port-min 30000] [--port-max 39999] [--threads 1]
//
// Prints one line per stream, "<leg A RTP port> <leg B RTP port>", then "ready"; relays until
// its standard input closes, then prints one JSON line of the streams' counters.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/address.h"
#include "media/relay_engine.h"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "tg_media_relay: %s\n", why);
  std::exit(2);
}

tg::media::PeerMedia peerAt(const std::string& hostPort) {
  const auto rtp = tg::base::Address::parseHostPort(hostPort);
  if (!rtp || !rtp->ip().starts_with("127.")) usage("peers must be 127.x.x.x:port");
  tg::media::PeerMedia peer;
  peer.enabled = true;
  peer.rtp = *rtp;
  peer.rtcp = *rtp;
  peer.rtcp.setPort(static_cast<uint16_t>(rtp->port() + 1));
  return peer;
}

}  // namespace

int main(int argc, char** argv) {
  int streams = 0;
  int threads = 1;
  int portMin = 30000;
  int portMax = 39999;
  std::string bind = "127.0.0.1";
  std::string peerA;
  std::string peerB;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--streams")
      streams = std::atoi(value);
    else if (key == "--threads")
      threads = std::atoi(value);
    else if (key == "--port-min")
      portMin = std::atoi(value);
    else if (key == "--port-max")
      portMax = std::atoi(value);
    else if (key == "--bind")
      bind = value;
    else if (key == "--peer-a")
      peerA = value;
    else if (key == "--peer-b")
      peerB = value;
    else
      usage(("unknown option " + key).c_str());
  }
  if (streams < 1 || portMin < 1024 || portMax > 65535 || portMin >= portMax) {
    usage("--streams N (>= 1) and a port range within 1024-65535 are required");
  }
  const auto bindAddress = tg::base::Address::parse(bind, 0);
  if (!bindAddress || !bind.starts_with("127.")) usage("--bind must be a 127.x.x.x address");
  const tg::media::PeerMedia a = peerAt(peerA);
  const tg::media::PeerMedia b = peerAt(peerB);

  tg::media::RelayEngine engine(static_cast<uint16_t>(portMin), static_cast<uint16_t>(portMax),
                                threads);
  if (const std::string error = engine.start(); !error.empty()) usage(error.c_str());
  std::vector<std::shared_ptr<tg::media::RelayStream>> open;
  const std::vector<std::string> listed = {"0", "101"};
  const tg::media::PayloadTypes formats = tg::media::PayloadTypes::of(listed);
  for (int i = 0; i < streams; ++i) {
    auto stream = engine.open(*bindAddress, *bindAddress);
    if (!stream) usage("the port range is used up");
    // As after an offer and its answer: both legs learn their source (probation 3).
    engine.setPeer(stream, tg::media::kSideA, a, true, false, 3);
    engine.setPeer(stream, tg::media::kSideB, b, true, false, 3);
    // And the formats both SDPs listed (PCMU, telephone-event): every packet's payload type is
    // checked, as in a call.
    engine.setPayloadTypes(stream, tg::media::kSideA, formats);
    engine.setPayloadTypes(stream, tg::media::kSideB, formats);
    std::printf("%u %u\n", stream->legs[0].rtpPort, stream->legs[1].rtpPort);
    open.push_back(std::move(stream));
  }
  std::printf("ready\n");
  std::fflush(stdout);
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, stdin) != nullptr) {
  }
  uint64_t packets = 0, bytes = 0, foreign = 0, unauthenticated = 0, overRate = 0, payloadType = 0;
  for (const auto& s : open) {
    for (int side = 0; side < 2; ++side) {
      packets += s->counters.packets[side].load();
      bytes += s->counters.bytes[side].load();
      foreign += s->counters.foreign[side].load();
      unauthenticated += s->counters.unauthenticated[side].load();
      overRate += s->counters.overRate[side].load();
      payloadType += s->counters.payloadType[side].load();
    }
  }
  for (const auto& s : open) engine.close(s);
  engine.stop();
  std::printf(
      "{\"packets\": %llu, \"bytes\": %llu, \"foreign\": %llu, \"unauthenticated\": %llu, "
      "\"over_rate\": %llu, \"payload_type\": %llu}\n",
      static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(foreign), static_cast<unsigned long long>(unauthenticated),
      static_cast<unsigned long long>(overRate), static_cast<unsigned long long>(payloadType));
  return 0;
}
