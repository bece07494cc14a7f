#include "sip/method.h"

#include <array>

namespace tg::sip {
namespace {

constexpr std::array<std::string_view, 14> kNames = {
    "INVITE", "ACK",  "BYE",   "CANCEL",    "OPTIONS", "REGISTER", "PRACK",
    "UPDATE", "INFO", "REFER", "SUBSCRIBE", "NOTIFY",  "PUBLISH",  "MESSAGE",
};

}  // namespace

Method methodFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Method>(i);
  }
  return Method::kUnknown;
}

std::string_view methodName(Method m) {
  const auto i = static_cast<size_t>(m);
  return i < kNames.size() ? kNames[i] : std::string_view{};
}

}  // namespace tg::sip
