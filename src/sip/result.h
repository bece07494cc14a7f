#pragma once

#include <string_view>
#include <utility>
#include <variant>

namespace tg::sip {

// A parse or validation failure: a short human-readable reason. Reasons are static strings so
// that producing an error never allocates on the message path.
struct Error {
  std::string_view reason;
};

// Value-or-error, in the spirit of std::expected (C++23). No exceptions on the message path.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(error) {}         // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  std::string_view error() const { return ok() ? std::string_view{} : std::get<1>(state_).reason; }

 private:
  std::variant<T, Error> state_;
};

}  // namespace tg::sip
