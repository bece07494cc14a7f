#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <mutex>
#include <optional>

#include "base/log_sinks.h"

namespace tg::log {
namespace {

constexpr size_t kModuleCount = static_cast<size_t>(Module::kCount);
constexpr std::array<std::string_view, kModuleCount> kModuleNames = {
    "main", "config", "transport", "transaction", "b2bua", "db", "guard"};

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};
// The names operators write; "warning" and "critical" are accepted as spdlog spells them.
constexpr std::array<LevelName, 8> kLevels = {{{"trace", spdlog::level::trace},
                                               {"debug", spdlog::level::debug},
                                               {"info", spdlog::level::info},
                                               {"warn", spdlog::level::warn},
                                               {"warning", spdlog::level::warn},
                                               {"error", spdlog::level::err},
                                               {"critical", spdlog::level::critical},
                                               {"off", spdlog::level::off}}};

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name) {
  for (const LevelName& l : kLevels) {
    if (l.name == name) return l.level;
  }
  return std::nullopt;
}

std::optional<Module> parseModule(std::string_view name) {
  for (size_t i = 0; i < kModuleCount; ++i) {
    if (kModuleNames[i] == name) return static_cast<Module>(i);
  }
  return std::nullopt;
}

// Our own short names: "warn" rather than spdlog's "warning", matching the config values.
std::string_view levelWord(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

void appendHexEscape(spdlog::memory_buf_t& dest, const char* prefix, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  append(dest, prefix);
  dest.push_back(kHex[c >> 4]);
  dest.push_back(kHex[c & 0xF]);
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// JSON string contents (RFC 8259): quotes, backslashes and control characters escaped; bytes
// that are not UTF-8 (network input often is not) become U+FFFD so every line parses.
void appendJsonEscaped(spdlog::memory_buf_t& dest, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = utf8SequenceLength(s, i);
      if (len == 0) {
        append(dest, "\\ufffd");
        ++i;
      } else {
        append(dest, s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        append(dest, "\\\"");
        break;
      case '\\':
        append(dest, "\\\\");
        break;
      case '\n':
        append(dest, "\\n");
        break;
      case '\r':
        append(dest, "\\r");
        break;
      case '\t':
        append(dest, "\\t");
        break;
      case '\b':
        append(dest, "\\b");
        break;
      case '\f':
        append(dest, "\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          appendHexEscape(dest, "\\u00", c);
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

// Text lines get control characters escaped too: a CR/LF from the network must not be able to
// forge a log line.
void appendTextEscaped(spdlog::memory_buf_t& dest, std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n':
        append(dest, "\\n");
        break;
      case '\r':
        append(dest, "\\r");
        break;
      case '\t':
        append(dest, "\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          appendHexEscape(dest, "\\x", c);
        } else {
          dest.push_back(ch);
        }
    }
  }
}

class MessageFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit MessageFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (json_) {
      appendJsonEscaped(dest, payload);
    } else {
      appendTextEscaped(dest, payload);
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<MessageFlag>(json_);
  }

 private:
  bool json_;
};

class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view word = levelWord(msg.level);
    append(dest, word);
    // Honors a "%-5*" style width (left-aligned is all we use).
    for (size_t n = word.size(); padinfo_.enabled() && n < padinfo_.width_; ++n) {
      dest.push_back(' ');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> makeFormatter(const Settings& s) {
  std::unique_ptr<spdlog::pattern_formatter> f;
  if (s.output == "journal" || s.output == "syslog") {
    // The record carries time, level and (syslog) module itself; the journal shows MESSAGE
    // alone, so it gets the module in front.
    f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "");
    f->add_flag<MessageFlag>('&', false);
    f->set_pattern(s.output == "journal" ? "%n: %&" : "%&");
  } else if (s.format == "json") {
    // UTC with a Z so that lines from several hosts sort and compare without a zone table.
    f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<LevelFlag>('*').add_flag<MessageFlag>('&', true);
    f->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%*","module":"%n","msg":"%&"})");
  } else {
    f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::local);
    f->add_flag<LevelFlag>('*').add_flag<MessageFlag>('&', false);
    f->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5*%$ %-6n %&");
  }
  return f;
}

spdlog::sink_ptr makeStderrSink() {
  if (isatty(STDERR_FILENO) == 1) return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return std::make_shared<spdlog::sinks::stderr_sink_mt>();
}

void onReopenSignal(int) { requestFileReopen(); }

constexpr const char* kCustomKey = "custom";

// Settings that lead to the same sink have the same key: a reload that keeps them keeps the sink.
std::string outputKeyOf(const Settings& s) {
  return s.output + '|' + s.file + '|' + s.syslogSocket;
}

// The sink for s.output; `problem` says why it is stderr instead when the output could not be
// set up.
spdlog::sink_ptr makeOutputSink(const Settings& s, std::string& problem) {
  if (s.output == "journal") return makeJournalSink();
  if (s.output == "syslog") return makeSyslogSink(s.syslogSocket);
  if (s.output == "file") {
    if (spdlog::sink_ptr file = makeFileSink(s.file, problem)) return file;
  }
  return makeStderrSink();
}

struct Registry {
  Registry() : output(std::make_shared<spdlog::sinks::dist_sink_mt>()) {
    output->set_sinks({makeStderrSink()});
    for (size_t i = 0; i < kModuleCount; ++i) {
      loggers[i] = std::make_shared<spdlog::logger>(std::string(kModuleNames[i]), output);
    }
    apply(Settings{});
  }

  // Swaps what the loggers write to: dist_sink swaps under its own lock, so other threads may
  // log meanwhile.
  void route(spdlog::sink_ptr sink, const Settings& s, std::string key) {
    sink->set_formatter(makeFormatter(s));
    output->set_sinks({std::move(sink)});
    outputKey = std::move(key);
  }

  void apply(const Settings& s) {
    // Only the formatter and the loggers' levels change: both are safe to set while other
    // threads log, so a reload needs no pause.
    output->set_formatter(makeFormatter(s));
    const auto base = parseLevel(s.level).value_or(spdlog::level::info);
    for (size_t i = 0; i < kModuleCount; ++i) {
      auto level = base;
      if (auto it = s.modules.find(std::string(kModuleNames[i])); it != s.modules.end()) {
        level = parseLevel(it->second).value_or(base);
      }
      loggers[i]->set_level(level);
    }
  }

  std::shared_ptr<spdlog::sinks::dist_sink_mt> output;  // the loggers' one sink, never replaced
  std::string outputKey = outputKeyOf(Settings{});      // what `output` holds now
  std::array<std::shared_ptr<spdlog::logger>, kModuleCount> loggers;
  std::mutex initMutex;  // serializes init() calls, not logging
};

Registry& registry() {
  // Never destroyed: threads and static destructors may still log during exit.
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

std::string_view moduleName(Module m) {
  const auto i = static_cast<size_t>(m);
  return i < kModuleCount ? kModuleNames[i] : std::string_view("unknown");
}

std::string validateSettings(const Settings& s) {
  static constexpr std::string_view kLevelList = "trace, debug, info, warn, error, critical, off";
  std::string err;
  auto add = [&err](const std::string& e) {
    if (!err.empty()) err += "; ";
    err += e;
  };
  if (!parseLevel(s.level)) {
    add("unknown log level '" + s.level + "'; use one of " + std::string(kLevelList));
  }
  if (s.format != "text" && s.format != "json") {
    add("unknown log format '" + s.format + "'; use text or json");
  }
  if (s.output != "stderr" && s.output != "journal" && s.output != "syslog" && s.output != "file") {
    add("unknown log output '" + s.output + "'; use stderr, journal, syslog or file");
  }
  if (s.output == "file" && (s.file.empty() || s.file.front() != '/')) {
    add("log output file needs an absolute file path, e.g. /var/log/trunkguard/trunkguard.log");
  }
  if (s.output == "syslog" && s.syslogSocket.empty()) {
    add("log output syslog needs a socket path, e.g. /dev/log");
  }
  for (const auto& [module, level] : s.modules) {
    if (!parseModule(module)) {
      std::string names;
      for (std::string_view n : kModuleNames) names += (names.empty() ? "" : ", ") + std::string(n);
      add("unknown log module '" + module + "'; use one of " + names);
    }
    if (!parseLevel(level)) {
      add("unknown log level '" + level + "' for module '" + module + "'; use one of " +
          std::string(kLevelList));
    }
  }
  return err;
}

void init(const Settings& s) {
  Registry& r = registry();
  std::lock_guard lock(r.initMutex);
  // Whatever the output: a logrotate postrotate (or an admin) sending SIGUSR1 must never meet
  // the default action, which terminates the gateway.
  struct sigaction sa {};
  sa.sa_handler = onReopenSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
  // A sink given to init(s, sink) stands in for stderr until another output is configured.
  const bool keepCustom = r.outputKey == kCustomKey && s.output == "stderr";
  const std::string key = keepCustom ? kCustomKey : outputKeyOf(s);
  if (key != r.outputKey) {
    std::string problem;
    r.route(makeOutputSink(s, problem), s, problem.empty() ? key : "unavailable");
    r.apply(s);
    if (!problem.empty()) TG_LOG(kMain, err, "{}; logging to stderr instead", problem);
    return;
  }
  r.apply(s);
}

void init(const Settings& s, spdlog::sink_ptr sink) {
  Registry& r = registry();
  std::lock_guard lock(r.initMutex);
  r.route(std::move(sink), s, kCustomKey);
  r.apply(s);
}

spdlog::logger& get(Module m) {
  // kCount and anything beyond it fall back to "main" rather than reading past the array.
  const auto i = static_cast<size_t>(m);
  return *registry().loggers[i < kModuleCount ? i : 0];
}

}  // namespace tg::log
