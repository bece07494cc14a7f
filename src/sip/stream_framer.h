#pragma once

// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3) incrementally: bytes arrive in
// arbitrary pieces, several messages may share one read, and CRLF keep-alives (RFC 5626 §3.5.1:
// a double CRLF "ping" is answered with a single CRLF "pong") are reported between messages.
// The framer owns the unconsumed bytes and never buffers more than the configured limit.

#include <cstddef>
#include <string>
#include <string_view>

namespace tg::sip {

struct FramerLimits {
  size_t maxHeaderBytes = 16384;  // start line + headers
  size_t maxBodyBytes = 49152;    // a Content-Length above this is refused, not awaited
};

enum class FrameStatus {
  kMessage,   // `message` holds one complete message (start line to end of body)
  kNeedMore,  // feed more bytes
  kPing,      // a CRLFCRLF keep-alive: answer with a single CRLF
  kPong,      // a lone CRLF keep-alive answer
  kError,     // the stream is unusable: close it (reason says why)
};

struct Frame {
  FrameStatus status = FrameStatus::kNeedMore;
  std::string message;
  std::string_view reason;
};

class StreamFramer {
 public:
  explicit StreamFramer(FramerLimits limits = {}) : limits_(limits) {}

  // Appends received bytes. Cheap; the work happens in next().
  void append(std::string_view bytes) { buffer_.append(bytes); }

  // Returns the next event. Call until it returns kNeedMore or kError.
  Frame next();

  // Bytes received but not yet part of a returned frame.
  size_t buffered() const { return buffer_.size() - consumed_; }

  // Gives the buffer's memory back when nothing is pending (an idle connection need not keep
  // the capacity its largest message grew).
  void releaseIdleMemory();

 private:
  void compact();
  Frame fail(std::string_view reason);  // marks the stream unusable

  FramerLimits limits_;
  std::string buffer_;
  size_t consumed_ = 0;
  size_t scanned_ = 0;  // how far the header-terminator search got, so trickled input is O(n)
  bool failed_ = false;
  std::string_view failure_;
};

}  // namespace tg::sip
