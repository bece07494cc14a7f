#include "base/log_sinks.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

namespace tg::log {
namespace {

std::atomic<bool> fileReopenRequested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

// syslog(3) severities, as the journal's PRIORITY= and RFC 5424 use them.
int severityOf(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    default:
      return 2;  // critical
  }
}

// The last resort when the journal or syslog daemon does not take a line: stderr, which under
// systemd is the journal's stream anyway.
void writeStderr(std::string_view line) {
  std::string out(line);
  out += '\n';
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, out.data(), out.size());
}

std::string_view formatted(const spdlog::memory_buf_t& buf) {
  std::string_view s(buf.data(), buf.size());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // sd_journal_sendv reports success when no journald listens (it drops the entry), so look
  // for its socket once, when the output is chosen.
  JournalSink() : present_(::access("/run/systemd/journal/socket", W_OK) == 0) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    const std::string_view text = formatted(buf);
    if (!present_) {
      writeStderr(text);
      return;
    }
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::vector<std::string> fields;
    fields.reserve(8);
    fields.push_back("MESSAGE=" + std::string(text));
    fields.push_back("PRIORITY=" + std::to_string(severityOf(msg.level)));
    fields.push_back("SYSLOG_IDENTIFIER=trunkguard");
    fields.push_back("TG_MODULE=" + std::string(msg.logger_name.data(), msg.logger_name.size()));
    for (const auto& [name, value] : journalFields(payload)) {
      fields.push_back(std::string(name) + "=" + std::string(value));
    }
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (std::string& f : fields) iov.push_back({f.data(), f.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0) writeStderr(text);
  }
  void flush_() override {}

 private:
  bool present_;
};

class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit SyslogSink(std::string socketPath) : path_(std::move(socketPath)), pid_(getpid()) {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') host_ = host.data();
  }
  ~SyslogSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    const std::string_view text = formatted(buf);
    const std::string record =
        syslogRecord(severityOf(msg.level), timestamp(msg.time), host_, pid_,
                     std::string_view(msg.logger_name.data(), msg.logger_name.size()), text);
    // One reconnect: the daemon may have restarted since the last line.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !connectSocket()) break;
      // Never block the event loop on a slow daemon: a full queue drops the line to stderr.
      if (::send(fd_, record.data(), record.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      ::close(fd_);
      fd_ = -1;
    }
    writeStderr(text);
  }
  void flush_() override {}

 private:
  bool connectSocket() {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) return false;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }

  static std::string timestamp(spdlog::log_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::array<char, 32> out{};
    const size_t n = std::strftime(out.data(), out.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(out.data() + n, out.size() - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
    return out.data();
  }

  std::string path_;
  std::string host_ = "-";
  int pid_;
  int fd_ = -1;
};

class FileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  FileSink(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  ~FileSink() override {
    if (file_ != nullptr) std::fclose(file_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (fileReopenRequested.exchange(false, std::memory_order_relaxed)) reopen();
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    if (file_ == nullptr) {
      writeStderr(formatted(buf));
      return;
    }
    std::fwrite(buf.data(), 1, buf.size(), file_);
    std::fflush(file_);  // a crash loses no line that was logged
  }
  void flush_() override {
    if (file_ != nullptr) std::fflush(file_);
  }

 private:
  void reopen() {
    std::FILE* fresh = std::fopen(path_.c_str(), "ae");
    if (fresh == nullptr) {
      // Keep writing to the old file (still open, wherever it was moved) rather than lose lines.
      writeStderr("trunkguard: cannot reopen log file " + path_ + ": " + std::strerror(errno));
      return;
    }
    if (file_ != nullptr) std::fclose(file_);
    file_ = fresh;
  }

  std::string path_;
  std::FILE* file_;
};

bool isFieldChar(char c) {
  return c != ' ' && c != ',' && c != ';' && c != '\t' && c != ')' && c != '(';
}

}  // namespace

spdlog::sink_ptr makeJournalSink() { return std::make_shared<JournalSink>(); }

spdlog::sink_ptr makeSyslogSink(const std::string& socketPath) {
  return std::make_shared<SyslogSink>(socketPath);
}

spdlog::sink_ptr makeFileSink(const std::string& path, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "ae");  // append, close-on-exec
  if (file == nullptr) {
    error = "cannot open log file " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  error.clear();
  fileReopenRequested.store(false);
  return std::make_shared<FileSink>(path, file);
}

void requestFileReopen() { fileReopenRequested.store(true, std::memory_order_relaxed); }

std::vector<std::pair<std::string_view, std::string_view>> journalFields(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kKeys = {{
      {"call=", "TG_CALL_ID"},
      {"zone=", "TG_ZONE"},
      {"source=", "TG_SOURCE"},
      {"rule=", "TG_RULE"},
  }};
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (size_t i = 0; i < message.size(); ++i) {
    if (i > 0 && isFieldChar(message[i - 1])) continue;  // only at the start of a word
    for (const auto& [key, field] : kKeys) {
      if (message.substr(i, key.size()) != key) continue;
      size_t end = i + key.size();
      while (end < message.size() && isFieldChar(message[end])) ++end;
      if (end > i + key.size())
        out.emplace_back(field, message.substr(i + key.size(), end - i - key.size()));
      i = end;
      break;
    }
  }
  return out;
}

std::string syslogRecord(int severity, std::string_view timestamp, std::string_view host, int pid,
                         std::string_view module, std::string_view message) {
  constexpr int kFacilityDaemon = 3;
  std::string out = "<" + std::to_string(kFacilityDaemon * 8 + severity) + ">1 ";
  out.append(timestamp).append(" ").append(host.empty() ? "-" : host).append(" trunkguard ");
  out.append(std::to_string(pid)).append(" ").append(module.empty() ? "-" : module);
  out.append(" - ").append(message);
  return out;
}

}  // namespace tg::log
