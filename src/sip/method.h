#pragma once

#include <cstdint>
#include <string_view>

namespace tg::sip {

enum class Method : uint8_t {
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kUpdate,
  kInfo,
  kRefer,
  kSubscribe,
  kNotify,
  kPublish,
  kMessage,
  kUnknown,  // an extension method: a valid token we do not know
};

// Methods are case-sensitive (RFC 3261 §7.1): "invite" is an unknown extension method.
Method methodFromName(std::string_view name);
std::string_view methodName(Method m);

}  // namespace tg::sip
