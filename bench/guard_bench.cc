// The cost of the perimeter per packet (issue 5): a datagram from a banned source is dropped
// before parsing, and must cost at least 5x less than a message that is parsed, validated and
// run through the guard chain. 10,000 bans are loaded (a blocklist feed's worth).
//
//   cmake --build build --target guard_bench && build/bench/guard_bench
//
// After the run it prints "banned drop vs full path: ratio N".

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "config/config_loader.h"
#include "guard/guard.h"
#include "sip/message.h"
#include "sip/validator.h"

namespace {

const char* kConfig = R"(
pbx:
  listen: [ "udp://127.0.0.1:5060" ]
  targets: [ { host: 127.0.0.1, port: 5070, transport: udp } ]
trunk:
  listen: [ "udp://127.0.0.1:5080" ]
  providers:
    - { name: carrier, host: 127.0.0.2, port: 5060, transport: udp, allow_plaintext: true }
public:
  listen: [ "udp://127.0.0.1:5090" ]
)";

std::string corpus(const std::string& name) {
  std::ifstream in(std::string(TG_BENCH_CORPUS) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  tg::base::ManualClock clock;
  tg::config::ConfigPtr config;
  std::unique_ptr<tg::guard::BanList> bans;
  std::unique_ptr<tg::guard::Guard> guard;
  std::string invite = corpus("invite_sdp.sip");

  Fixture() {
    auto loaded = tg::config::loadConfigString(kConfig, "guard_bench.yaml");
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
      std::abort();
    }
    config = loaded.config;
    bans = std::make_unique<tg::guard::BanList>(clock);
    bans->setTrusted(tg::guard::trustedNetworks(*config));
    for (int i = 0; i < 10000; ++i) {
      const std::string net =
          "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
      bans->ban(*tg::guard::IpPrefix::parse(net), "blocklist", "bench",
                tg::guard::BanOrigin::kBlocklist, clock.now(), std::chrono::seconds(0));
    }
    guard = std::make_unique<tg::guard::Guard>(
        config, std::make_shared<tg::guard::acl::ZoneAcl>(*config), *bans, nullptr, clock);
  }

  tg::transport::Packet packet(const char* source) const {
    tg::transport::Packet p;
    p.bytes = invite;
    p.source = *tg::base::Address::parse(source, 5060);
    p.zone = tg::transport::Zone::kPublic;
    p.received = clock.now();
    return p;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// A banned source: one trie lookup under a shared lock, then silence.
void BM_BannedSourceDrop(benchmark::State& state) {
  Fixture& f = fixture();
  const tg::transport::Packet p = f.packet("10.20.30.40");
  if (f.guard->admitSource(p)) state.SkipWithError("the source should be banned");
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.guard->admitSource(p));
  }
}
BENCHMARK(BM_BannedSourceDrop);

// An unbanned source: the same lookup, then parse, validate and the guard chain.
void BM_FullPath(benchmark::State& state) {
  Fixture& f = fixture();
  tg::transport::Packet p = f.packet("192.0.2.10");
  tg::sip::Message m;
  tg::sip::ParseOptions options;
  for (auto _ : state) {
    if (!f.guard->admitSource(p)) state.SkipWithError("the source should be admitted");
    std::string bytes = f.invite;  // the transport hands over its buffer, as a copy here
    if (!m.parse(std::move(bytes), options).ok()) state.SkipWithError("corpus INVITE must parse");
    benchmark::DoNotOptimize(tg::sip::validate(m, f.config->limits));
    benchmark::DoNotOptimize(f.guard->checkRequest(m, p, /*inDialog=*/false));
    f.clock.advance(std::chrono::seconds(1));  // stay under the rate limit: one per second
    p.received = f.clock.now();
  }
}
BENCHMARK(BM_FullPath);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.iterations > 0) ns_[r.benchmark_name()] = r.GetAdjustedCPUTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const double drop = ns_["BM_BannedSourceDrop"];
    const double full = ns_["BM_FullPath"];
    if (drop > 0 && full > 0) {
      std::printf("banned drop %.1f ns, full path %.1f ns: ratio %.1f (goal >= 5)\n", drop, full,
                  full / drop);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
