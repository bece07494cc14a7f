#pragma once

// Small helpers shared by the unit tests that play SIP peers (transaction, b2bua).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/address.h"
#include "base/clock.h"
#include "sip/message.h"

namespace tg::testing {

// Milliseconds of simulated time since the ManualClock's epoch.
inline int64_t toMs(base::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - base::TimePoint{}).count();
}

inline base::Address addr(std::string_view ip, uint16_t port) {
  auto a = base::Address::parse(ip, port);
  EXPECT_TRUE(a.has_value()) << ip;
  return a.value_or(base::Address{});
}

// Parses text that the test expects to be a valid message (a failure names the text).
inline std::unique_ptr<sip::Message> parse(std::string text) {
  auto m = std::make_unique<sip::Message>();
  const std::string copy = text;
  auto status = m->parse(std::move(text));
  EXPECT_TRUE(status.ok()) << status.reason << "\n" << copy;
  return m;
}

}  // namespace tg::testing
