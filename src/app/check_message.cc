#include "app/check_message.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "sip/message.h"
#include "sip/stream_framer.h"
#include "sip/validator.h"

namespace tg::app {
namespace {

struct Outcome {
  std::string source;  // file, or file#N for the Nth message of a stream
  sip::Verdict verdict;
  std::string startLine;
};

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

Outcome judge(std::string source, std::string bytes, sip::Framing framing) {
  Outcome o;
  o.source = std::move(source);
  const std::string copy = bytes;  // the parse error verdict needs the raw bytes
  sip::Message msg;
  sip::ParseOptions options;
  options.framing = framing;
  const sip::ParseStatus st = msg.parse(std::move(bytes), options);
  if (!st.ok()) {
    o.verdict = sip::verdictForParseError(copy, st.reason);
    return o;
  }
  o.startLine = std::string(msg.startLine());
  o.verdict = sip::validate(msg);
  return o;
}

std::string describe(const sip::Verdict& v) {
  switch (v.action) {
    case sip::VerdictAction::kAccept:
      return "valid";
    case sip::VerdictAction::kReject:
      return fmt::format("invalid: {} (would answer {})", v.reason, v.code);
    case sip::VerdictAction::kDrop:
      return fmt::format("invalid: {} (would drop)", v.reason);
  }
  return "invalid";
}

const char* actionName(sip::VerdictAction a) {
  switch (a) {
    case sip::VerdictAction::kAccept:
      return "accept";
    case sip::VerdictAction::kReject:
      return "reject";
    case sip::VerdictAction::kDrop:
      return "drop";
  }
  return "";
}

}  // namespace

int runCheckMessage(const CheckMessageOptions& options, std::ostream& out, std::ostream& err) {
  if (options.files.empty()) {
    err << "check-message: give at least one file (see --help)\n";
    return 2;
  }
  std::vector<Outcome> outcomes;
  bool ioError = false;
  for (const std::string& path : options.files) {
    std::string bytes;
    if (!readFile(path, bytes)) {
      err << fmt::format("check-message: cannot read {}: check the path and permissions\n", path);
      ioError = true;
      continue;
    }
    if (!options.stream) {
      outcomes.push_back(judge(path, std::move(bytes), sip::Framing::kDatagram));
      continue;
    }
    sip::StreamFramer framer;
    framer.append(bytes);
    size_t index = 0;
    for (;;) {
      sip::Frame f = framer.next();
      if (f.status == sip::FrameStatus::kMessage) {
        outcomes.push_back(judge(fmt::format("{}#{}", path, ++index), std::move(f.message),
                                 sip::Framing::kStream));
      } else if (f.status == sip::FrameStatus::kError) {
        Outcome o;
        o.source = fmt::format("{}#{}", path, ++index);
        o.verdict = sip::Verdict::drop(f.reason);
        outcomes.push_back(std::move(o));
        break;
      } else if (f.status == sip::FrameStatus::kNeedMore) {
        if (framer.buffered() > 0) {
          Outcome o;
          o.source = fmt::format("{}#{}", path, ++index);
          o.verdict = sip::Verdict::drop("stream ends inside a message");
          outcomes.push_back(std::move(o));
        }
        break;
      }
      // Keep-alives between messages are fine and not reported.
    }
  }

  bool anyInvalid = false;
  if (options.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const Outcome& o : outcomes) {
      nlohmann::json j = {{"source", o.source},
                          {"valid", o.verdict.ok()},
                          {"action", actionName(o.verdict.action)}};
      if (!o.verdict.ok()) j["reason"] = std::string(o.verdict.reason);
      if (o.verdict.action == sip::VerdictAction::kReject) j["code"] = o.verdict.code;
      results.push_back(std::move(j));
      anyInvalid |= !o.verdict.ok();
    }
    out << results.dump(2) << "\n";
  } else {
    for (const Outcome& o : outcomes) {
      out << o.source << ": " << describe(o.verdict) << "\n";
      anyInvalid |= !o.verdict.ok();
    }
  }
  if (ioError) return 2;
  return anyInvalid ? 1 : 0;
}

}  // namespace tg::app
