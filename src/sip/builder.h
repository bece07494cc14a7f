#pragma once

// Writing SIP: MessageBuilder composes a new request or response; MessageEditor records edits
// to a parsed message and applies them once, at serialization (Envoy's SIP proxy records
// operations the same way). Fields nobody edited are copied byte for byte, so unknown headers
// survive a round trip exactly.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header.h"
#include "sip/message.h"

namespace tg::sip {

// The RFC 3261 §21 reason phrase for a code ("Unknown" for codes without one).
std::string_view defaultReasonPhrase(int code);

class MessageBuilder {
 public:
  static MessageBuilder request(std::string_view method, std::string_view requestUri);
  // An empty reason uses defaultReasonPhrase(code).
  static MessageBuilder response(int code, std::string_view reason = {});

  MessageBuilder& header(HeaderId id, std::string_view value);
  MessageBuilder& header(std::string_view name, std::string_view value);
  // Sets the body; Content-Type is written when contentType is not empty.
  MessageBuilder& body(std::string_view contentType, std::string_view body);

  // The message, with Content-Length always written (required on streams, harmless on UDP).
  std::string build() const;

 private:
  std::string head_;
  std::string contentType_;
  std::string body_;
};

// A response to `request` per RFC 3261 §8.2.6.2: Via (all, in order), From, To (with toTag
// added when the request's To has no tag and the code is above 100), Call-ID and CSeq copied.
MessageBuilder responseTo(const Message& request, int code, std::string_view reason = {},
                          std::string_view toTag = {});

class MessageEditor {
 public:
  explicit MessageEditor(const Message& message);

  void setRequestUri(std::string uri);
  // Removes every field with this id / with this name (case-insensitive, any id).
  void removeHeader(HeaderId id);
  void removeHeaderNamed(std::string_view name);
  // Replaces all fields with this id by one field holding `value`, at the first one's place
  // (appended when the message has none).
  void replaceHeader(HeaderId id, std::string value);
  // Adds a field: at the top of the header block (for Via and Record-Route, which are
  // prepended), or at the end.
  enum class Position { kTop, kEnd };
  void addHeader(HeaderId id, std::string value, Position position = Position::kEnd);
  void addHeader(std::string name, std::string value, Position position = Position::kEnd);
  // Replaces the body and Content-Type; Content-Length is rewritten to match.
  void setBody(std::string contentType, std::string body);

  std::string serialize() const;

 private:
  struct Added {
    std::string name;
    std::string value;
    Position position;
  };
  enum class FieldAction : uint8_t { kKeep, kRemove, kReplace };

  const Message& message_;
  std::vector<FieldAction> actions_;
  std::vector<std::string> replacements_;  // parallel to actions_, used for kReplace
  std::vector<Added> added_;
  std::string requestUri_;
  bool uriEdited_ = false;
  std::string contentType_;
  std::string body_;
  bool bodyEdited_ = false;
};

}  // namespace tg::sip
