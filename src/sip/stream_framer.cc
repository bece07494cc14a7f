#include "sip/stream_framer.h"

#include "sip/header.h"
#include "sip/header_values.h"
#include "sip/scan.h"

namespace tg::sip {
namespace {

struct LengthScan {
  bool found = false;
  bool ok = true;
  size_t length = 0;
};

// Finds Content-Length (or "l") in a header block and checks every occurrence agrees.
LengthScan scanContentLength(std::string_view headers, size_t maxBody) {
  LengthScan scan;
  size_t p = headers.find('\n');  // skip the start line
  while (p != std::string_view::npos && p + 1 < headers.size()) {
    const size_t lineStart = p + 1;
    size_t e = headers.find('\n', lineStart);
    if (e == std::string_view::npos) e = headers.size();
    // Include folded continuation lines in the value.
    while (e + 1 < headers.size() && isWsp(headers[e + 1])) {
      const size_t next = headers.find('\n', e + 1);
      e = next == std::string_view::npos ? headers.size() : next;
    }
    const std::string_view line = headers.substr(lineStart, e - lineStart);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
      if (headerIdFromName(name) == HeaderId::kContentLength) {
        auto v = parseScalar(trim(line.substr(colon + 1)), UINT32_MAX);
        if (!v || *v > maxBody || (scan.found && scan.length != *v)) {
          scan.ok = false;
          return scan;
        }
        scan.found = true;
        scan.length = *v;
      }
    }
    p = e;
  }
  return scan;
}

}  // namespace

void StreamFramer::releaseIdleMemory() {
  if (buffered() != 0) return;
  std::string().swap(buffer_);
  consumed_ = 0;
  scanned_ = 0;
}

void StreamFramer::compact() {
  // Shift only once the consumed prefix dominates, so a burst of small messages costs O(n).
  if (consumed_ > 0 && (consumed_ == buffer_.size() || consumed_ > buffer_.size() / 2)) {
    buffer_.erase(0, consumed_);
    scanned_ -= std::min(scanned_, consumed_);
    consumed_ = 0;
  }
}

Frame StreamFramer::fail(std::string_view reason) {
  failed_ = true;
  failure_ = reason;
  Frame frame;
  frame.status = FrameStatus::kError;
  frame.reason = reason;
  return frame;
}

Frame StreamFramer::next() {
  if (failed_) return fail(failure_);
  Frame frame;
  const std::string_view data = std::string_view(buffer_).substr(consumed_);

  // Keep-alives between messages (RFC 5626 §4.4.1): CRLFCRLF is a ping, CRLF a pong.
  if (!data.empty() && data[0] == '\r') {
    if (data.size() < 2) return frame;
    if (data[1] != '\n') {
      return fail("stray CR between messages");
    }
    if (data.size() >= 4 && data.substr(0, 4) == "\r\n\r\n") {
      consumed_ += 4;
      frame.status = FrameStatus::kPing;
    } else if (data.size() >= 4 || (data.size() == 3 && data[2] != '\r')) {
      consumed_ += 2;
      frame.status = FrameStatus::kPong;
    } else {
      return frame;  // "\r\n" or "\r\n\r" so far: may still become a ping
    }
    scanned_ = consumed_;
    compact();
    return frame;
  }

  // Find the end of the header block, resuming where the last search stopped.
  const size_t resumeAt = scanned_ > consumed_ + 3 ? scanned_ - consumed_ - 3 : 0;
  size_t end = data.find("\r\n\r\n", resumeAt);
  constexpr size_t kTerminator = 4;
  if (end == std::string_view::npos) {
    scanned_ = consumed_ + data.size();
    if (data.size() > limits_.maxHeaderBytes) return fail("header block too large");
    return frame;
  }
  if (end + kTerminator > limits_.maxHeaderBytes) return fail("header block too large");

  const std::string_view headers = data.substr(0, end + 2);
  const LengthScan cl = scanContentLength(headers, limits_.maxBodyBytes);
  if (!cl.ok) return fail("invalid or excessive Content-Length");
  if (!cl.found) return fail("Content-Length is required on stream transports");
  const size_t total = end + kTerminator + cl.length;
  if (data.size() < total) {
    scanned_ = consumed_ + end;  // header end known; just wait for the body
    return frame;
  }
  frame.status = FrameStatus::kMessage;
  frame.message.assign(data.substr(0, total));
  consumed_ += total;
  scanned_ = consumed_;
  compact();
  return frame;
}

}  // namespace tg::sip
