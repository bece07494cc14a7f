#include "store/redis_scripts.h"

#include <openssl/sha.h>

#include <utility>

namespace tg::store::redis {
namespace {

// Shared by every script. Numbers go back to Redis through fmt() (whole numbers, no exponent:
// Lua 5.1 would write 1.7e+15 for a time in microseconds).
constexpr std::string_view kPrelude = R"lua(
local SAFETY = 86400000
local function fmt(n) return string.format('%.0f', n) end
local function now_us() local t = redis.call('TIME'); return tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local function now_ms() return math.floor(now_us() / 1000) end
local function kind(k) return redis.call('TYPE', k)['ok'] end
local function own(k, want) local t = kind(k); if t ~= want and t ~= 'none' then redis.call('DEL', k) end end
local function safety(k) if redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, SAFETY) end end
local function set_counter(k, v, ttl)
  if v <= 0 then redis.call('DEL', k); return end
  if ttl > 0 then redis.call('SET', k, fmt(v), 'PX', fmt(ttl))
  else redis.call('SET', k, fmt(v), 'KEEPTTL'); safety(k) end
end
local function read_counter(k)
  if kind(k) ~= 'string' then return 0 end
  return tonumber(redis.call('GET', k)) or 0
end
local function trim_window(k, now, span_ms)
  if kind(k) ~= 'zset' then return 0 end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', fmt(now - span_ms * 1000))
  return redis.call('ZCARD', k)
end
local function add_event(k, now, span_ms, member, n)
  own(k, 'zset')
  if n >= 65536 then redis.call('ZREMRANGEBYRANK', k, 0, 0); n = n - 1 end
  redis.call('ZADD', k, fmt(now), fmt(now) .. ':' .. member)
  redis.call('PEXPIRE', k, fmt(span_ms))
  return n + 1
end
)lua";

constexpr std::string_view kCounterAdd = R"lua(
local k = KEYS[1]
local d, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
own(k, 'string')
local v = read_counter(k)
if d > 0 and limit > 0 and v + d > limit then return {0, v} end
v = v + d
if v < 0 then v = 0 end
set_counter(k, v, ttl)
return {1, v}
)lua";

constexpr std::string_view kCounterGet = R"lua(
return read_counter(KEYS[1])
)lua";

constexpr std::string_view kWindowAdd = R"lua(
local k = KEYS[1]
local span, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_us()
local n = trim_window(k, now, span)
if limit > 0 and n >= limit then return {0, n} end
return {1, add_event(k, now, span, ARGV[3], n)}
)lua";

constexpr std::string_view kWindowCount = R"lua(
return trim_window(KEYS[1], now_us(), tonumber(ARGV[1]))
)lua";

// Reads every step first, decides, then counts: one script, so nothing can come between.
constexpr std::string_view kCountAll = R"lua(
local mode = tonumber(ARGV[1])
local now = now_us()
local function arg(i, j) return ARGV[1 + (i - 1) * 5 + j] end
local vals = {}
for i = 1, #KEYS do
  if tonumber(arg(i, 1)) == 0 then vals[i] = read_counter(KEYS[i])
  else vals[i] = trim_window(KEYS[i], now, tonumber(arg(i, 3))) end
end
local refused = -1
for i = 1, #KEYS do
  local limit = tonumber(arg(i, 2))
  if limit > 0 then
    local over
    if tonumber(arg(i, 1)) == 0 then over = vals[i] + tonumber(arg(i, 4)) > limit
    else over = vals[i] >= limit end
    if over then refused = i - 1; break end
  end
end
local counted = mode == 2 or (mode == 0 and refused < 0)
if counted then
  for i = 1, #KEYS do
    local k, span = KEYS[i], tonumber(arg(i, 3))
    if tonumber(arg(i, 1)) == 0 then
      own(k, 'string')
      local v = vals[i] + tonumber(arg(i, 4))
      if v < 0 then v = 0 end
      set_counter(k, v, span)
      vals[i] = v
    else
      vals[i] = add_event(k, now, span, arg(i, 5), vals[i])
    end
  end
end
local out = {counted and 1 or 0, refused}
for i = 1, #KEYS do out[#out + 1] = vals[i] end
return out
)lua";

// A hash: field "w" is the bucket width (ms), every other field a bucket's start (Redis time,
// ms) holding its sum.
constexpr std::string_view kSumAdd = R"lua(
local k = KEYS[1]
local ago, bucket, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
own(k, 'hash')
local now = now_ms()
local at = now - ago
local start = at - (at % bucket)
if tonumber(redis.call('HGET', k, 'w') or '0') ~= bucket then
  redis.call('DEL', k)
  redis.call('HSET', k, 'w', fmt(bucket))
end
redis.call('HINCRBY', k, fmt(start), ARGV[1])
local all = redis.call('HGETALL', k)
local total, newest = 0, 0
for i = 1, #all, 2 do
  if all[i] ~= 'w' then
    local s = tonumber(all[i])
    if now - (s + bucket) >= keep then redis.call('HDEL', k, all[i])
    else
      total = total + tonumber(all[i + 1])
      if s + bucket > newest then newest = s + bucket end
    end
  end
end
local ttl = math.max(now, newest) + keep - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', k, fmt(ttl))
return total
)lua";

constexpr std::string_view kSumGet = R"lua(
local k = KEYS[1]
if kind(k) ~= 'hash' then return 0 end
local win = tonumber(ARGV[1])
local now = now_ms()
local w = tonumber(redis.call('HGET', k, 'w') or '0')
local all = redis.call('HGETALL', k)
local total = 0
for i = 1, #all, 2 do
  if all[i] ~= 'w' and now - (tonumber(all[i]) + w) < win then total = total + tonumber(all[i + 1]) end
end
return total
)lua";

// A sorted set: each member's score is its expiry (Redis time, ms; +inf: until removed).
constexpr std::string_view kSetAdd = R"lua(
local k = KEYS[1]
local ttl, max = tonumber(ARGV[2]), tonumber(ARGV[3])
own(k, 'zset')
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', k, '-inf', fmt(now))
local had = redis.call('ZSCORE', k, ARGV[1])
if not had and redis.call('ZCARD', k) >= max then return 0 end
local exp = '+inf'
if ttl > 0 then exp = fmt(now + ttl) end
redis.call('ZADD', k, exp, ARGV[1])
local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
if top[2] == 'inf' then redis.call('PEXPIRE', k, SAFETY)
else redis.call('PEXPIRE', k, fmt(math.max(1, tonumber(top[2]) - now))) end
if had then return 0 end
return 1
)lua";

constexpr std::string_view kSetContains = R"lua(
local k = KEYS[1]
if kind(k) ~= 'zset' then return 0 end
local s = redis.call('ZSCORE', k, ARGV[1])
if not s then return 0 end
if s == 'inf' or tonumber(s) > now_ms() then return 1 end
return 0
)lua";

constexpr std::string_view kSetMembers = R"lua(
local k = KEYS[1]
if kind(k) ~= 'zset' then return {} end
return redis.call('ZRANGEBYSCORE', k, '(' .. fmt(now_ms()), '+inf')
)lua";

constexpr std::string_view kSetRemove = R"lua(
local k = KEYS[1]
if kind(k) ~= 'zset' then return 0 end
local s = redis.call('ZSCORE', k, ARGV[1])
redis.call('ZREM', k, ARGV[1])
if s and (s == 'inf' or tonumber(s) > now_ms()) then return 1 end
return 0
)lua";

constexpr std::string_view kGet = R"lua(
if kind(KEYS[1]) ~= 'string' then return false end
return redis.call('GET', KEYS[1])
)lua";

constexpr std::string_view kPut = R"lua(
local k, ttl = KEYS[1], tonumber(ARGV[2])
own(k, 'string')
if ttl > 0 then redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
else redis.call('SET', k, ARGV[1]); redis.call('PEXPIRE', k, SAFETY) end
return 'OK'
)lua";

constexpr std::string_view kCompareAndSet = R"lua(
local k = KEYS[1]
local cur = false
if kind(k) == 'string' then cur = redis.call('GET', k) end
local ok
if ARGV[1] == '0' then ok = cur == false else ok = cur == ARGV[2] end
if not ok then
  if cur then return {0, cur} end
  return {0}
end
own(k, 'string')
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('SET', k, ARGV[3], 'PX', ARGV[4])
else redis.call('SET', k, ARGV[3]); redis.call('PEXPIRE', k, SAFETY) end
return {1, ARGV[3]}
)lua";

std::string sha1Hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  hex.reserve(2 * SHA_DIGEST_LENGTH);
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 15]);
  }
  return hex;
}

Script make(std::string_view name, std::string_view body) {
  std::string text = std::string(kPrelude) + std::string(body);
  std::string sha = sha1Hex(text);
  return Script{name, std::move(text), std::move(sha)};
}

}  // namespace

#define TG_REDIS_SCRIPT(fn, body)            \
  const Script& fn() {                       \
    static const Script s = make(#fn, body); \
    return s;                                \
  }

TG_REDIS_SCRIPT(counterAdd, kCounterAdd)
TG_REDIS_SCRIPT(counterGet, kCounterGet)
TG_REDIS_SCRIPT(windowAdd, kWindowAdd)
TG_REDIS_SCRIPT(windowCount, kWindowCount)
TG_REDIS_SCRIPT(countAll, kCountAll)
TG_REDIS_SCRIPT(sumAdd, kSumAdd)
TG_REDIS_SCRIPT(sumGet, kSumGet)
TG_REDIS_SCRIPT(setAdd, kSetAdd)
TG_REDIS_SCRIPT(setContains, kSetContains)
TG_REDIS_SCRIPT(setMembers, kSetMembers)
TG_REDIS_SCRIPT(setRemove, kSetRemove)
TG_REDIS_SCRIPT(get, kGet)
TG_REDIS_SCRIPT(put, kPut)
TG_REDIS_SCRIPT(compareAndSet, kCompareAndSet)

#undef TG_REDIS_SCRIPT

}  // namespace tg::store::redis
