#include "sip/builder.h"

#include <charconv>

#include "sip/scan.h"

namespace tg::sip {
namespace {

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void appendNumber(std::string& out, size_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  (void)ec;
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

std::string_view defaultReasonPhrase(int code) {
  switch (code) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 305:
      return "Use Proxy";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      return "Unknown";
  }
}

MessageBuilder MessageBuilder::request(std::string_view method, std::string_view requestUri) {
  MessageBuilder b;
  b.head_.reserve(512);
  b.head_.append(method);
  b.head_.push_back(' ');
  b.head_.append(requestUri);
  b.head_.append(" SIP/2.0\r\n");
  return b;
}

MessageBuilder MessageBuilder::response(int code, std::string_view reason) {
  MessageBuilder b;
  b.head_.reserve(512);
  b.head_.append("SIP/2.0 ");
  appendNumber(b.head_, static_cast<size_t>(code));
  b.head_.push_back(' ');
  b.head_.append(reason.empty() ? defaultReasonPhrase(code) : reason);
  b.head_.append("\r\n");
  return b;
}

MessageBuilder& MessageBuilder::header(HeaderId id, std::string_view value) {
  appendField(head_, headerName(id), value);
  return *this;
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  appendField(head_, name, value);
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view contentType, std::string_view body) {
  contentType_ = contentType;
  body_ = body;
  return *this;
}

std::string MessageBuilder::build() const {
  std::string out;
  out.reserve(head_.size() + body_.size() + 64);
  out.append(head_);
  if (!contentType_.empty()) appendField(out, "Content-Type", contentType_);
  out.append("Content-Length: ");
  appendNumber(out, body_.size());
  out.append("\r\n\r\n");
  out.append(body_);
  return out;
}

MessageBuilder responseTo(const Message& request, int code, std::string_view reason,
                          std::string_view toTag) {
  MessageBuilder b = MessageBuilder::response(code, reason);
  request.forEach(HeaderId::kVia, [&](const HeaderField& f) { b.header(HeaderId::kVia, f.value); });
  b.header(HeaderId::kFrom, request.value(HeaderId::kFrom));
  const NameAddr* to = request.to();
  if (code > 100 && !toTag.empty() && (to == nullptr || to->tag().empty())) {
    std::string value(request.value(HeaderId::kTo));
    value.append(";tag=");
    value.append(toTag);
    b.header(HeaderId::kTo, value);
  } else {
    b.header(HeaderId::kTo, request.value(HeaderId::kTo));
  }
  b.header(HeaderId::kCallId, request.callId());
  b.header(HeaderId::kCSeq, request.value(HeaderId::kCSeq));
  return b;
}

MessageEditor::MessageEditor(const Message& message)
    : message_(message),
      actions_(message.headers().size(), FieldAction::kKeep),
      replacements_(message.headers().size()) {}

void MessageEditor::setRequestUri(std::string uri) {
  requestUri_ = std::move(uri);
  uriEdited_ = true;
}

void MessageEditor::removeHeader(HeaderId id) {
  const auto& fields = message_.headers();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].id == id) actions_[i] = FieldAction::kRemove;
  }
}

void MessageEditor::removeHeaderNamed(std::string_view name) {
  const auto& fields = message_.headers();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (equalsIgnoreCase(fields[i].name, name)) actions_[i] = FieldAction::kRemove;
  }
}

void MessageEditor::replaceHeader(HeaderId id, std::string value) {
  const auto& fields = message_.headers();
  bool placed = false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].id != id) continue;
    if (!placed) {
      actions_[i] = FieldAction::kReplace;
      replacements_[i] = std::move(value);
      placed = true;
    } else {
      actions_[i] = FieldAction::kRemove;
    }
  }
  if (!placed) addHeader(id, std::move(value));
}

void MessageEditor::addHeader(HeaderId id, std::string value, Position position) {
  added_.push_back({std::string(headerName(id)), std::move(value), position});
}

void MessageEditor::addHeader(std::string name, std::string value, Position position) {
  added_.push_back({std::move(name), std::move(value), position});
}

void MessageEditor::setBody(std::string contentType, std::string body) {
  contentType_ = std::move(contentType);
  body_ = std::move(body);
  bodyEdited_ = true;
}

std::string MessageEditor::serialize() const {
  std::string out;
  out.reserve(message_.text().size() + 256);
  if (uriEdited_ && message_.isRequest()) {
    out.append(message_.methodText());
    out.push_back(' ');
    out.append(requestUri_);
    out.push_back(' ');
    out.append(message_.version());
  } else {
    out.append(message_.startLine());
  }
  out.append("\r\n");

  for (const Added& a : added_) {
    if (a.position == Position::kTop) appendField(out, a.name, a.value);
  }
  const auto& fields = message_.headers();
  const std::string_view body = bodyEdited_ ? std::string_view(body_) : message_.body();
  bool wroteLength = false;
  for (size_t i = 0; i < fields.size(); ++i) {
    const HeaderField& f = fields[i];
    if (actions_[i] == FieldAction::kRemove) continue;
    if (bodyEdited_ && f.id == HeaderId::kContentType) continue;
    if (bodyEdited_ && f.id == HeaderId::kContentLength) {
      if (!wroteLength) {
        out.append("Content-Length: ");
        appendNumber(out, body.size());
        out.append("\r\n");
        wroteLength = true;
      }
      continue;
    }
    if (actions_[i] == FieldAction::kReplace) {
      appendField(out, f.name.size() == 1 ? headerName(f.id) : f.name, replacements_[i]);
    } else {
      out.append(f.raw);
      out.append("\r\n");
    }
    if (f.id == HeaderId::kContentLength) wroteLength = true;
  }
  for (const Added& a : added_) {
    if (a.position == Position::kEnd) appendField(out, a.name, a.value);
  }
  if (bodyEdited_ && !contentType_.empty()) appendField(out, "Content-Type", contentType_);
  if (!wroteLength && (bodyEdited_ || !body.empty())) {
    out.append("Content-Length: ");
    appendNumber(out, body.size());
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(body);
  return out;
}

}  // namespace tg::sip
