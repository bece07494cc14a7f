// SIP parsing throughput: trunkguard's sip::Message + validate() against libosip2, on a corpus
// of realistic trunk traffic (bench/corpus/) plus RFC 4475 longreq.dat.
//
// Work per message, for both parsers: parse, then read what a proxy needs to route and match
// the message (Request-URI user and host, top Via branch, From and To tags, Call-ID, CSeq
// number and method, first Contact host, Max-Forwards, Content-Length). trunkguard also runs
// validate(); libosip2 has no equivalent, so it gets the cheaper deal.
//
// Our own main() wraps the console reporter to print, after the run, the trunkguard/libosip2
// throughput ratio per message. With --profile=<message> it times nothing with the library and
// only repeats trunkguard's work on that message, for perf and callgrind (see profileOne()).
// Nothing here asserts on absolute time: the machine is shared and noisy, and both numbers of a
// ratio come from the same run.

#include <benchmark/benchmark.h>
#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"
#include "sip/validator.h"

namespace {

// --- corpus ------------------------------------------------------------------------------------

struct Sample {
  std::string name;  // benchmark argument, e.g. "INVITE"
  std::string path;
  std::string bytes;
};

struct CorpusEntry {
  const char* name;
  const char* directory;
  const char* file;
};

constexpr CorpusEntry kCorpus[] = {
    {"INVITE", TG_BENCH_CORPUS, "invite_sdp.sip"},
    {"180_Ringing", TG_BENCH_CORPUS, "ringing_180.sip"},
    {"200_OK", TG_BENCH_CORPUS, "ok_200_sdp.sip"},
    {"ACK", TG_BENCH_CORPUS, "ack.sip"},
    {"BYE", TG_BENCH_CORPUS, "bye.sip"},
    {"REGISTER", TG_BENCH_CORPUS, "register_auth.sip"},
    {"OPTIONS", TG_BENCH_CORPUS, "options.sip"},
    {"401_Unauthorized", TG_BENCH_CORPUS, "unauthorized_401.sip"},
    {"longreq", TG_TESTDATA_DIR "/rfc4475", "longreq.dat"},
};

bool loadCorpus(std::vector<Sample>& out) {
  for (const CorpusEntry& e : kCorpus) {
    Sample s;
    s.name = e.name;
    s.path = std::string(e.directory) + "/" + e.file;
    std::ifstream in(s.path, std::ios::binary);
    if (!in) {
      std::cerr << "sip_bench: cannot read corpus file " << s.path << "\n";
      return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    s.bytes = ss.str();
    if (s.bytes.empty()) {
      std::cerr << "sip_bench: corpus file " << s.path << " is empty\n";
      return false;
    }
    out.push_back(std::move(s));
  }
  return true;
}

// --- the work: trunkguard --------------------------------------------------------------------

struct TgFields {
  std::string_view ruriUser;
  std::string_view ruriHost;
  std::string_view branch;
  std::string_view fromTag;
  std::string_view toTag;
  std::string_view callId;
  uint32_t cseqNumber = 0;
  std::string_view cseqMethod;
  std::string_view contactHost;
  uint32_t maxForwards = 0;
  uint32_t contentLength = 0;
};

// Parse, validate and read the proxy's fields. Returns the reason on failure (empty on success).
std::string_view tgProcess(tg::sip::Message& m, std::string bytes, TgFields& f) {
  const tg::sip::ParseStatus st = m.parse(std::move(bytes));
  if (!st.ok()) return st.reason;
  const tg::sip::Verdict verdict = tg::sip::validate(m);
  if (!verdict.ok()) return verdict.reason;
  if (m.isRequest()) {
    const tg::sip::Uri* ruri = m.requestUri();
    if (ruri == nullptr) return "no Request-URI";
    f.ruriUser = ruri->user;
    f.ruriHost = ruri->host;
  }
  const tg::sip::Via* via = m.topVia();
  const tg::sip::NameAddr* from = m.from();
  const tg::sip::NameAddr* to = m.to();
  const tg::sip::CSeq* cseq = m.cseq();
  if (via == nullptr || from == nullptr || to == nullptr || cseq == nullptr) {
    return "missing Via, From, To or CSeq";
  }
  f.branch = via->branch();
  f.fromTag = from->tag();
  f.toTag = to->tag();
  f.callId = m.callId();
  f.cseqNumber = cseq->number;
  f.cseqMethod = cseq->methodText;
  const tg::sip::NameAddr* contact = m.contact();
  f.contactHost = contact != nullptr ? contact->uri.host : std::string_view{};
  f.maxForwards = m.maxForwards().value_or(0);
  f.contentLength = m.contentLength().value_or(0);
  return {};
}

// --- the same work: libosip2 -----------------------------------------------------------------

struct OsipFields {
  const char* ruriUser = nullptr;
  const char* ruriHost = nullptr;
  const char* branch = nullptr;
  const char* fromTag = nullptr;
  const char* toTag = nullptr;
  const char* callIdNumber = nullptr;
  const char* callIdHost = nullptr;
  unsigned long cseqNumber = 0;  // libosip2 keeps numbers as text; a proxy needs the number
  const char* cseqMethod = nullptr;
  const char* contactHost = nullptr;
  unsigned long maxForwards = 0;
  unsigned long contentLength = 0;
};

const char* paramValue(osip_generic_param_t* p) { return p != nullptr ? p->gvalue : nullptr; }

// libosip2's parameter lookup takes a non-const name, so its tag/branch macros do not compile
// as C++ with string literals.
char kBranchParam[] = "branch";
char kTagParam[] = "tag";

unsigned long toNumber(const char* s) { return s != nullptr ? std::strtoul(s, nullptr, 10) : 0; }

// osip_message_init + osip_message_parse + field reads; `use` sees the fields while the message
// is alive, then it is freed. Returns false when osip cannot parse the message.
template <typename Use>
bool osipProcess(const std::string& bytes, Use&& use) {
  osip_message_t* msg = nullptr;
  if (osip_message_init(&msg) != 0) return false;
  if (osip_message_parse(msg, bytes.data(), bytes.size()) != 0 || msg->call_id == nullptr ||
      msg->cseq == nullptr || msg->from == nullptr || msg->to == nullptr) {
    osip_message_free(msg);
    return false;
  }
  OsipFields f;
  if (MSG_IS_REQUEST(msg) && msg->req_uri != nullptr) {
    f.ruriUser = msg->req_uri->username;
    f.ruriHost = msg->req_uri->host;
  }
  osip_via_t* via = nullptr;
  if (osip_message_get_via(msg, 0, &via) >= 0 && via != nullptr) {
    osip_generic_param_t* branch = nullptr;
    osip_via_param_get_byname(via, kBranchParam, &branch);
    f.branch = paramValue(branch);
  }
  osip_generic_param_t* tag = nullptr;
  osip_from_param_get_byname(msg->from, kTagParam, &tag);
  f.fromTag = paramValue(tag);
  tag = nullptr;
  osip_to_param_get_byname(msg->to, kTagParam, &tag);
  f.toTag = paramValue(tag);
  const osip_call_id_t* callId = osip_message_get_call_id(msg);
  f.callIdNumber = callId->number;
  f.callIdHost = callId->host;
  f.cseqNumber = toNumber(msg->cseq->number);
  f.cseqMethod = msg->cseq->method;
  osip_contact_t* contact = nullptr;
  if (osip_message_get_contact(msg, 0, &contact) >= 0 && contact != nullptr &&
      contact->url != nullptr) {
    f.contactHost = contact->url->host;
  }
  osip_header_t* maxForwards = nullptr;
  if (osip_message_get_max_forwards(msg, 0, &maxForwards) >= 0 && maxForwards != nullptr) {
    f.maxForwards = toNumber(maxForwards->hvalue);
  }
  if (msg->content_length != nullptr) f.contentLength = toNumber(msg->content_length->value);
  use(f);
  osip_message_free(msg);
  return true;
}

// --- the check before timing -----------------------------------------------------------------

std::string_view orEmpty(const char* s) { return s != nullptr ? std::string_view(s) : ""; }

// Both parsers must accept every message and read the same fields; otherwise we would be timing
// failures or different work.
bool checkCorpus(const std::vector<Sample>& corpus) {
  bool ok = true;
  tg::sip::Message m;
  for (const Sample& s : corpus) {
    TgFields t;
    if (std::string_view err = tgProcess(m, s.bytes, t); !err.empty()) {
      std::cerr << "sip_bench: trunkguard rejects " << s.name << " (" << s.path << "): " << err
                << "\n";
      ok = false;
      continue;
    }
    std::vector<std::string> mismatches;
    const bool parsed = osipProcess(s.bytes, [&](const OsipFields& o) {
      auto same = [&](const char* what, std::string_view a, std::string_view b) {
        if (a != b) {
          mismatches.push_back(std::string(what) + ": trunkguard '" + std::string(a) +
                               "', libosip2 '" + std::string(b) + "'");
        }
      };
      std::string osipCallId(orEmpty(o.callIdNumber));
      if (o.callIdHost != nullptr) {
        osipCallId.push_back('@');  // (operator+ here trips GCC 12's -Wrestrict false positive)
        osipCallId.append(o.callIdHost);
      }
      same("Request-URI user", t.ruriUser, orEmpty(o.ruriUser));
      same("Request-URI host", t.ruriHost, orEmpty(o.ruriHost));
      same("Via branch", t.branch, orEmpty(o.branch));
      same("From tag", t.fromTag, orEmpty(o.fromTag));
      same("To tag", t.toTag, orEmpty(o.toTag));
      same("Call-ID", t.callId, osipCallId);
      same("CSeq number", std::to_string(t.cseqNumber), std::to_string(o.cseqNumber));
      same("CSeq method", t.cseqMethod, orEmpty(o.cseqMethod));
      same("Contact host", t.contactHost, orEmpty(o.contactHost));
      same("Max-Forwards", std::to_string(t.maxForwards), std::to_string(o.maxForwards));
      same("Content-Length", std::to_string(t.contentLength), std::to_string(o.contentLength));
    });
    if (!parsed) {
      std::cerr << "sip_bench: libosip2 cannot parse " << s.name << " (" << s.path << ")\n";
      ok = false;
    }
    for (const std::string& mm : mismatches) {
      std::cerr << "sip_bench: " << s.name << ": the parsers disagree on " << mm << "\n";
      ok = false;
    }
  }
  return ok;
}

// --- benchmarks ------------------------------------------------------------------------------

void setRates(benchmark::State& state, size_t messagesPerIteration, size_t bytesPerIteration) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(messagesPerIteration));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytesPerIteration));
}

// Headline: the transport hands over an owned buffer, so each message costs a copy of the input
// into a fresh std::string (allocation + memcpy) on top of parse + validate + reads.
void runTrunkguard(benchmark::State& state, const Sample* s) {
  tg::sip::Message m;
  TgFields f;
  for (auto _ : state) {
    std::string_view err = tgProcess(m, s->bytes, f);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(f);
  }
  setRates(state, 1, s->bytes.size());
}

// What the gateway does: the receive buffer is moved in. The buffers are filled in batches with
// the timer paused, so this leaves out the copy and its allocation (but not freeing the previous
// message's buffer, which parse() does).
void runTrunkguardMove(benchmark::State& state, const Sample* s) {
  constexpr size_t kBatch = 256;
  std::vector<std::string> buffers(kBatch);
  size_t next = kBatch;
  tg::sip::Message m;
  TgFields f;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      for (std::string& b : buffers) b = s->bytes;
      next = 0;
      state.ResumeTiming();
    }
    std::string_view err = tgProcess(m, std::move(buffers[next++]), f);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(f);
  }
  setRates(state, 1, s->bytes.size());
}

void runOsip(benchmark::State& state, const Sample* s) {
  for (auto _ : state) {
    bool ok = osipProcess(s->bytes, [](const OsipFields& f) { benchmark::DoNotOptimize(f); });
    benchmark::DoNotOptimize(ok);
  }
  setRates(state, 1, s->bytes.size());
}

size_t totalBytes(const std::vector<Sample>& corpus) {
  size_t n = 0;
  for (const Sample& s : corpus) n += s.bytes.size();
  return n;
}

void runTrunkguardMix(benchmark::State& state, const std::vector<Sample>* corpus) {
  tg::sip::Message m;
  TgFields f;
  for (auto _ : state) {
    for (const Sample& s : *corpus) {
      std::string_view err = tgProcess(m, s.bytes, f);
      benchmark::DoNotOptimize(err);
      benchmark::DoNotOptimize(f);
    }
  }
  setRates(state, corpus->size(), totalBytes(*corpus));
}

void runOsipMix(benchmark::State& state, const std::vector<Sample>* corpus) {
  for (auto _ : state) {
    for (const Sample& s : *corpus) {
      bool ok = osipProcess(s.bytes, [](const OsipFields& f) { benchmark::DoNotOptimize(f); });
      benchmark::DoNotOptimize(ok);
    }
  }
  setRates(state, corpus->size(), totalBytes(*corpus));
}

// --- reporting -------------------------------------------------------------------------------

// Prints like the console reporter and remembers messages/s per benchmark name (the median
// aggregate when --benchmark_repetitions is used, else the single run).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override {
    benchmark::ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string& name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[name] = it->second.value;
      } else {
        iterations_[name].push_back(it->second.value);
      }
    }
  }

  std::optional<double> messagesPerSecond(const std::string& name) const {
    if (auto it = medians_.find(name); it != medians_.end()) return it->second;
    auto it = iterations_.find(name);
    if (it == iterations_.end() || it->second.empty()) return std::nullopt;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }

 private:
  std::map<std::string, double> medians_;
  std::map<std::string, std::vector<double>> iterations_;
};

std::string withThousands(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

void printRatios(const RatioReporter& r, const std::vector<Sample>& corpus) {
  std::vector<std::string> names;
  for (const Sample& s : corpus) names.push_back(s.name);
  names.push_back("Mix");
  auto key = [](const std::string& family, const std::string& msg) {
    return msg == "Mix" ? family + "_Mix" : family + "/" + msg;
  };

  std::cout << "\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-18s %20s %20s %20s %8s\n", "message", "trunkguard msgs/s",
                "trunkguard(move)", "libosip2 msgs/s", "ratio");
  std::cout << line;
  for (const std::string& n : names) {
    auto tg = r.messagesPerSecond(key("BM_Trunkguard", n));
    auto mv = r.messagesPerSecond(key("BM_TrunkguardMove", n));
    auto os = r.messagesPerSecond(key("BM_Osip", n));
    if (!tg && !mv && !os) continue;
    auto cell = [](std::optional<double> v) { return v ? withThousands(*v) : std::string("-"); };
    std::snprintf(line, sizeof line, "%-18s %20s %20s %20s %8s\n", n.c_str(), cell(tg).c_str(),
                  cell(mv).c_str(), cell(os).c_str(),
                  tg && os ? (fixed1(*tg / *os) + "x").c_str() : "-");
    std::cout << line;
  }
  std::cout << "\n";
  for (const std::string& n : names) {
    auto tg = r.messagesPerSecond(key("BM_Trunkguard", n));
    auto os = r.messagesPerSecond(key("BM_Osip", n));
    if (tg && os)
      std::cout << "ratio trunkguard/libosip2 " << n << ": " << fixed1(*tg / *os) << "x\n";
  }
  auto tg = r.messagesPerSecond("BM_Trunkguard/INVITE");
  auto os = r.messagesPerSecond("BM_Osip/INVITE");
  if (tg && os) {
    std::cout << "INVITE: " << withThousands(*tg)
              << " msgs/s on one core (goal >= 1,000,000); ratio vs libosip2 " << fixed1(*tg / *os)
              << "x (goal >= 5x)\n";
  } else {
    std::cout << "INVITE: not measured in this run (both BM_Trunkguard/INVITE and BM_Osip/INVITE "
                 "must pass --benchmark_filter)\n";
  }
}

// The library keeps its --benchmark_color / --benchmark_counters_tabular flags to itself when we
// pass our own reporter, so read them here (before Initialize() consumes them).
benchmark::ConsoleReporter::OutputOptions outputOptions(int argc, char** argv) {
  bool color = isatty(STDOUT_FILENO) != 0;
  bool tabular = false;
  auto isTrue = [](std::string_view v) { return v == "true" || v == "1" || v == "yes"; };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--benchmark_counters_tabular") tabular = true;
    if (a.starts_with("--benchmark_counters_tabular=")) tabular = isTrue(a.substr(a.find('=') + 1));
    if (a.starts_with("--benchmark_format=") && a != "--benchmark_format=console") {
      std::cerr << "sip_bench: --benchmark_format is ignored (the console reporter prints the "
                   "ratios); use --benchmark_out=FILE --benchmark_out_format=json\n";
    }
    if (a.starts_with("--benchmark_color=")) {
      std::string_view v = a.substr(a.find('=') + 1);
      if (v != "auto") color = isTrue(v);
    }
  }
  int opts = benchmark::ConsoleReporter::OO_None;
  if (color) opts |= benchmark::ConsoleReporter::OO_Color;
  if (tabular) opts |= benchmark::ConsoleReporter::OO_Tabular;
  return static_cast<benchmark::ConsoleReporter::OutputOptions>(opts);
}

// --- profiling mode --------------------------------------------------------------------------

struct ProfileOptions {
  std::string message;  // empty: run the benchmarks
  long iterations = 1000000;
};

// Takes --profile=<message> and --profile_iterations=<n> out of argv (the benchmark library
// refuses flags it does not know). Returns false on a malformed value.
bool takeProfileOptions(int& argc, char** argv, ProfileOptions& out) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--profile=")) {
      out.message = a.substr(a.find('=') + 1);
    } else if (a.starts_with("--profile_iterations=")) {
      char* end = nullptr;
      out.iterations = std::strtol(argv[i] + a.find('=') + 1, &end, 10);
      if (end == nullptr || *end != '\0' || out.iterations < 0) return false;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return true;
}

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The BM_Trunkguard work (copy in, parse, validate, read the fields) `iterations` times on one
// message, nothing else. Instructions per message under callgrind are the difference between
// two runs with different --profile_iterations divided by the difference in iterations (the
// corpus check before the loop is the same in both).
int profileOne(const std::vector<Sample>& corpus, const ProfileOptions& p) {
  auto it = std::find_if(corpus.begin(), corpus.end(),
                         [&](const Sample& s) { return s.name == p.message; });
  if (it == corpus.end()) {
    std::cerr << "sip_bench: no corpus message called '" << p.message << "'\n";
    return 1;
  }
  tg::sip::Message m;
  TgFields f;
  size_t failures = 0;
  const double start = cpuSeconds();
  for (long i = 0; i < p.iterations; ++i) {
    std::string_view err = tgProcess(m, it->bytes, f);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(f);
    failures += err.empty() ? 0 : 1;
  }
  const double seconds = cpuSeconds() - start;
  char line[160];
  std::snprintf(line, sizeof line, "profile %s: %ld messages, %.1f ns CPU per message%s\n",
                p.message.c_str(), p.iterations,
                p.iterations > 0 ? seconds * 1e9 / static_cast<double>(p.iterations) : 0.0,
                failures > 0 ? " (SOME FAILED)" : "");
  std::cout << line;
  return failures > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  ProfileOptions profile;
  if (!takeProfileOptions(argc, argv, profile)) {
    std::cerr << "sip_bench: --profile_iterations needs a non-negative number\n";
    return 1;
  }
  const auto options = outputOptions(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  if (parser_init() != 0) {
    std::cerr << "sip_bench: libosip2 parser_init() failed\n";
    return 1;
  }
  static std::vector<Sample> corpus;
  if (!loadCorpus(corpus)) return 1;
  if (!checkCorpus(corpus)) {
    std::cerr << "sip_bench: corpus check failed; not timing failed parses\n";
    return 1;
  }
  if (!profile.message.empty()) return profileOne(corpus, profile);

  // Interleaved per message, so that both sides of a ratio run close together in time.
  for (const Sample& s : corpus) {
    benchmark::RegisterBenchmark(("BM_Trunkguard/" + s.name).c_str(), runTrunkguard, &s);
    benchmark::RegisterBenchmark(("BM_TrunkguardMove/" + s.name).c_str(), runTrunkguardMove, &s);
    benchmark::RegisterBenchmark(("BM_Osip/" + s.name).c_str(), runOsip, &s);
  }
  benchmark::RegisterBenchmark("BM_Trunkguard_Mix", runTrunkguardMix, &corpus);
  benchmark::RegisterBenchmark("BM_Osip_Mix", runOsipMix, &corpus);

  RatioReporter reporter(options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  printRatios(reporter, corpus);
  benchmark::Shutdown();
  return 0;
}
