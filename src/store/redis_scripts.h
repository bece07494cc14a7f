#pragma once

// The Lua scripts RedisStore runs (docs/cluster.md): each check-and-count is one script, so
// Redis runs it as one step and two gateways can never both take the last place. Every script
// reads Redis TIME, so windows and expiries follow one clock whatever the gateways' clocks say,
// and every key it writes gets an expiry.
//
// A key of another kind than the script expects is treated as absent and replaced (writes) or
// reported absent (reads), as MemoryStore does.

#include <cstdint>
#include <string>
#include <string_view>

namespace tg::store::redis {

struct Script {
  std::string_view name;
  std::string text;
  std::string sha;  // SHA-1 of text, in hex: what EVALSHA names
};

// The expiry of a key written with kForever (a counter whose writer never ends it, e.g. a
// gateway that died with calls up): nothing stays in Redis for ever.
inline constexpr int64_t kSafetyTtlMs = 24LL * 3600 * 1000;

// KEYS[1]; ARGV: delta, limit, ttl_ms -> {counted 0|1, value}
const Script& counterAdd();
// KEYS[1] -> value (0 when absent or not a counter)
const Script& counterGet();
// KEYS[1]; ARGV: window_ms, limit, member -> {counted 0|1, events}
const Script& windowAdd();
// KEYS[1]; ARGV: window_ms -> events
const Script& windowCount();
// KEYS: one per step; ARGV: mode (0 all-or-nothing, 1 check only, 2 always), then per step:
// kind (0 counter, 1 window), limit, span_ms, delta, member -> {counted, refused (-1), values...}
const Script& countAll();
// KEYS[1]; ARGV: amount, ago_ms, bucket_ms, keep_ms -> total of the kept buckets
const Script& sumAdd();
// KEYS[1]; ARGV: window_ms -> the sum of the buckets that ended less than window_ms ago
const Script& sumGet();
// KEYS[1]; ARGV: member, ttl_ms (0: until removed), max members -> 1 added, 0 not
const Script& setAdd();
// KEYS[1]; ARGV: member -> 1 present, 0 not
const Script& setContains();
// KEYS[1] -> the live members
const Script& setMembers();
// KEYS[1]; ARGV: member -> 1 removed, 0 not there
const Script& setRemove();
// KEYS[1] -> the value, or false when absent or not a value
const Script& get();
// KEYS[1]; ARGV: value, ttl_ms -> "OK"
const Script& put();
// KEYS[1]; ARGV: has expected (0|1), expected, value, ttl_ms -> {swapped 0|1, current|false}
const Script& compareAndSet();

}  // namespace tg::store::redis
