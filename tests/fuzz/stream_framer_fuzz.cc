// A byte stream cut at fuzzer-chosen points must frame the same way as the whole stream, and
// never buffer beyond its limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/message.h"
#include "sip/stream_framer.h"

namespace {

std::vector<std::string> frameAll(std::string_view data, size_t step) {
  tg::sip::FramerLimits limits;
  limits.maxHeaderBytes = 4096;
  limits.maxBodyBytes = 4096;
  tg::sip::StreamFramer framer(limits);
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t len = std::min(step, data.size() - pos);
    framer.append(data.substr(pos, len));
    pos += len;
    for (;;) {
      tg::sip::Frame f = framer.next();
      if (f.status == tg::sip::FrameStatus::kNeedMore) break;
      if (f.status == tg::sip::FrameStatus::kError) {
        out.push_back("<error>");
        return out;
      }
      if (f.status == tg::sip::FrameStatus::kMessage) out.push_back(f.message);
      if (f.status == tg::sip::FrameStatus::kPing) out.push_back("<ping>");
      if (f.status == tg::sip::FrameStatus::kPong) out.push_back("<pong>");
    }
    if (framer.buffered() > limits.maxHeaderBytes + limits.maxBodyBytes + step) __builtin_trap();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = frameAll(stream, stream.size() + 1);
  const auto pieces = frameAll(stream, step);
  // Keep-alive CRLFs are ambiguous at a cut point (a CRLF may still become a ping), so compare
  // only the messages, which must be identical however the stream is cut.
  std::vector<std::string> a, b;
  for (const auto& s : whole)
    if (s[0] != '<' || s == "<error>") a.push_back(s);
  for (const auto& s : pieces)
    if (s[0] != '<' || s == "<error>") b.push_back(s);
  if (a.size() > 0 && b.size() > 0 && a.back() != "<error>" && b.back() != "<error>" && a != b) {
    __builtin_trap();
  }
  for (const auto& s : b) {
    if (s[0] == '<') continue;
    tg::sip::Message m;
    tg::sip::ParseOptions o;
    o.framing = tg::sip::Framing::kStream;
    (void)m.parse(s, o);
  }
  return 0;
}
