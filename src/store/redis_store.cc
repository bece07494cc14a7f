#include "store/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "store/redis_scripts.h"

namespace tg::store {

namespace {

thread_local RedisStore::Post threadPost;

// Whole milliseconds, rounded up (a window is never shorter than asked); 0 stays 0 (forever).
int64_t millis(base::Duration d) {
  if (d <= base::Duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(d).count();
}

int64_t integerOf(const redisReply& r) {
  if (r.type == REDIS_REPLY_INTEGER) return r.integer;
  if (r.type == REDIS_REPLY_STRING) {
    int64_t v = 0;
    std::from_chars(r.str, r.str + r.len, v);
    return v;
  }
  return 0;
}

const redisReply* elementOf(const redisReply& r, size_t i) {
  return r.type == REDIS_REPLY_ARRAY && i < r.elements ? r.element[i] : nullptr;
}

int64_t integerAt(const redisReply& r, size_t i) {
  const redisReply* e = elementOf(r, i);
  return e != nullptr ? integerOf(*e) : 0;
}

std::optional<std::string> stringOf(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(r->str, r->len);
}

Count countOf(const redisReply& r) { return Count{integerAt(r, 0) == 1, integerAt(r, 1)}; }

// Wraps `done` so that it runs where the caller asked (setThreadPost), or unchanged.
template <typename T>
Done<T> routed(Done<T> done) {
  if (!done || !threadPost) return done;
  return [post = threadPost, done = std::move(done)](T value) mutable {
    post([done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
  };
}

}  // namespace

void RedisStore::setThreadPost(Post post) { threadPost = std::move(post); }

RedisStore::RedisStore(RedisStoreOptions options, const base::Clock& clock, StateChange onState)
    : options_(std::move(options)), local_(clock) {
  link_ = std::make_unique<redis::Link>(
      options_.link,
      [this](std::string_view channel, std::string_view message) { onMessage(channel, message); },
      std::move(onState));
}

RedisStore::~RedisStore() { link_.reset(); }

std::string RedisStore::member() {
  return options_.nodeId + ":" + std::to_string(sequence_.fetch_add(1, std::memory_order_relaxed));
}

int64_t RedisStore::localLimit(int64_t limit) const {
  if (limit <= 0 || options_.nodes <= 1) return limit;
  return std::max<int64_t>(1, limit / options_.nodes);
}

template <typename T, typename Parse, typename Fallback>
void RedisStore::call(const redis::Script& script, std::vector<std::string> args, size_t keys,
                      Done<T> done, Parse parse, Fallback fallback) {
  // One of onReply and onFail runs, once: they share the answer's destination.
  auto answer = std::make_shared<Done<T>>(routed(std::move(done)));
  redis::Command c;
  c.script = &script;
  c.keys = keys;
  c.args = std::move(args);
  c.onReply = [answer, parse](const redisReply& r) {
    if (*answer) (*answer)(parse(r));
  };
  c.onFail = [this, answer, fallback]() mutable {
    localAnswers_.fetch_add(1, std::memory_order_relaxed);
    fallback(std::move(*answer));
  };
  link_->submit(std::move(c));
}

void RedisStore::counterAdd(std::string_view k, int64_t delta, int64_t limit, base::Duration ttl,
                            Done<Count> done) {
  call<Count>(redis::counterAdd(),
              {key(k), std::to_string(delta), std::to_string(limit), std::to_string(millis(ttl))},
              1, std::move(done), countOf,
              [this, k = std::string(k), delta, limit, ttl](Done<Count> d) {
                if (options_.refuseOnFailure && delta > 0 && limit > 0) {
                  if (d) d(Count{false, 0});
                  return;
                }
                local_.counterAdd(k, delta, localLimit(limit), ttl, std::move(d));
              });
}

void RedisStore::counterGet(std::string_view k, Done<int64_t> done) {
  call<int64_t>(
      redis::counterGet(), {key(k)}, 1, std::move(done), integerOf,
      [this, k = std::string(k)](Done<int64_t> d) { local_.counterGet(k, std::move(d)); });
}

void RedisStore::windowAdd(std::string_view k, base::Duration window, int64_t limit,
                           Done<Count> done) {
  const int64_t span = std::max<int64_t>(1, millis(window));
  call<Count>(redis::windowAdd(), {key(k), std::to_string(span), std::to_string(limit), member()},
              1, std::move(done), countOf,
              [this, k = std::string(k), window, limit](Done<Count> d) {
                if (options_.refuseOnFailure && limit > 0) {
                  if (d) d(Count{false, 0});
                  return;
                }
                local_.windowAdd(k, window, localLimit(limit), std::move(d));
              });
}

void RedisStore::windowCount(std::string_view k, base::Duration window, Done<int64_t> done) {
  const int64_t span = std::max<int64_t>(1, millis(window));
  call<int64_t>(redis::windowCount(), {key(k), std::to_string(span)}, 1, std::move(done), integerOf,
                [this, k = std::string(k), window](Done<int64_t> d) {
                  local_.windowCount(k, window, std::move(d));
                });
}

void RedisStore::countAll(std::vector<CountStep> steps, CountMode mode, Done<CountAllResult> done) {
  std::vector<std::string> args;
  args.reserve(steps.size() * 6 + 1);
  for (const CountStep& s : steps) args.push_back(key(s.key));
  args.push_back(std::to_string(static_cast<int>(mode == CountMode::kAllOrNothing ? 0
                                                 : mode == CountMode::kCheckOnly  ? 1
                                                                                  : 2)));
  for (const CountStep& s : steps) {
    const bool window = s.kind == CountStep::Kind::kWindow;
    args.push_back(window ? "1" : "0");
    args.push_back(std::to_string(s.limit));
    args.push_back(std::to_string(window ? std::max<int64_t>(1, millis(s.span)) : millis(s.span)));
    args.push_back(std::to_string(s.delta));
    args.push_back(member());
  }
  const size_t keys = steps.size();
  auto parse = [keys](const redisReply& r) {
    CountAllResult out;
    out.counted = integerAt(r, 0) == 1;
    out.refused = static_cast<int>(integerAt(r, 1));
    out.values.reserve(keys);
    for (size_t i = 0; i < keys; ++i) out.values.push_back(integerAt(r, 2 + i));
    return out;
  };
  call<CountAllResult>(redis::countAll(), std::move(args), keys, std::move(done), parse,
                       [this, steps = std::move(steps), mode](Done<CountAllResult> d) mutable {
                         const bool limited =
                             std::any_of(steps.begin(), steps.end(),
                                         [](const CountStep& s) { return s.limit > 0; });
                         if (options_.refuseOnFailure && limited && mode != CountMode::kAlways) {
                           CountAllResult refused;
                           refused.refused = 0;
                           refused.values.assign(steps.size(), 0);
                           if (d) d(std::move(refused));
                           return;
                         }
                         for (CountStep& s : steps) s.limit = localLimit(s.limit);
                         local_.countAll(std::move(steps), mode, std::move(d));
                       });
}

void RedisStore::sumAdd(std::string_view k, int64_t amount, base::Duration ago,
                        base::Duration bucket, base::Duration keep, Done<int64_t> total) {
  const int64_t width = std::max<int64_t>(1, millis(bucket));
  call<int64_t>(redis::sumAdd(),
                {key(k), std::to_string(amount), std::to_string(millis(ago)), std::to_string(width),
                 std::to_string(std::max<int64_t>(1, millis(keep)))},
                1, std::move(total), integerOf,
                [this, k = std::string(k), amount, ago, bucket, keep](Done<int64_t> d) {
                  local_.sumAdd(k, amount, ago, bucket, keep, std::move(d));
                });
}

void RedisStore::sumGet(std::string_view k, base::Duration window, Done<int64_t> done) {
  call<int64_t>(redis::sumGet(), {key(k), std::to_string(millis(window))}, 1, std::move(done),
                integerOf, [this, k = std::string(k), window](Done<int64_t> d) {
                  local_.sumGet(k, window, std::move(d));
                });
}

void RedisStore::setAdd(std::string_view k, std::string_view m, base::Duration ttl,
                        Done<bool> added) {
  call<bool>(
      redis::setAdd(),
      {key(k), std::string(m), std::to_string(millis(ttl)),
       std::to_string(MemoryStore::kMaxSetMembers)},
      1, std::move(added), [](const redisReply& r) { return integerOf(r) == 1; },
      [this, k = std::string(k), m = std::string(m), ttl](Done<bool> d) {
        local_.setAdd(k, m, ttl, std::move(d));
      });
}

void RedisStore::setRemove(std::string_view k, std::string_view m, Done<bool> removed) {
  call<bool>(
      redis::setRemove(), {key(k), std::string(m)}, 1, std::move(removed),
      [](const redisReply& r) { return integerOf(r) == 1; },
      [this, k = std::string(k), m = std::string(m)](Done<bool> d) {
        local_.setRemove(k, m, std::move(d));
      });
}

void RedisStore::setContains(std::string_view k, std::string_view m, Done<bool> done) {
  call<bool>(
      redis::setContains(), {key(k), std::string(m)}, 1, std::move(done),
      [](const redisReply& r) { return integerOf(r) == 1; },
      [this, k = std::string(k), m = std::string(m)](Done<bool> d) {
        local_.setContains(k, m, std::move(d));
      });
}

void RedisStore::setMembers(std::string_view k, Done<std::vector<std::string>> done) {
  call<std::vector<std::string>>(
      redis::setMembers(), {key(k)}, 1, std::move(done),
      [](const redisReply& r) {
        std::vector<std::string> out;
        for (size_t i = 0; r.type == REDIS_REPLY_ARRAY && i < r.elements; ++i) {
          if (auto s = stringOf(r.element[i])) out.push_back(std::move(*s));
        }
        return out;
      },
      [this, k = std::string(k)](Done<std::vector<std::string>> d) {
        local_.setMembers(k, std::move(d));
      });
}

void RedisStore::put(std::string_view k, std::string_view value, base::Duration ttl) {
  call<bool>(
      redis::put(), {key(k), std::string(value), std::to_string(millis(ttl))}, 1, nullptr,
      [](const redisReply&) { return true; },
      [this, k = std::string(k), v = std::string(value), ttl](Done<bool>) {
        local_.put(k, v, ttl);
      });
}

void RedisStore::get(std::string_view k, Done<std::optional<std::string>> done) {
  call<std::optional<std::string>>(
      redis::get(), {key(k)}, 1, std::move(done), [](const redisReply& r) { return stringOf(&r); },
      [this, k = std::string(k)](Done<std::optional<std::string>> d) {
        local_.get(k, std::move(d));
      });
}

void RedisStore::compareAndSet(std::string_view k, std::optional<std::string_view> expected,
                               std::string_view value, base::Duration ttl, Done<CasResult> done) {
  call<CasResult>(
      redis::compareAndSet(),
      {key(k), expected ? "1" : "0", std::string(expected.value_or("")), std::string(value),
       std::to_string(millis(ttl))},
      1, std::move(done),
      [](const redisReply& r) {
        CasResult out;
        out.outcome = integerAt(r, 0) == 1 ? CasOutcome::kSwapped : CasOutcome::kMismatch;
        out.current = stringOf(elementOf(r, 1));
        return out;
      },
      [this, k = std::string(k),
       e = expected ? std::optional<std::string>(*expected) : std::nullopt, v = std::string(value),
       ttl](Done<CasResult> d) {
        local_.compareAndSet(k, e ? std::optional<std::string_view>(*e) : std::nullopt, v, ttl,
                             std::move(d));
      });
}

void RedisStore::erase(std::string_view k, Done<bool> erased) {
  // Plain DEL: any kind, one key.
  auto answer = std::make_shared<Done<bool>>(routed(std::move(erased)));
  redis::Command c;
  c.args = {"DEL", key(k)};
  c.onReply = [answer](const redisReply& r) {
    if (*answer) (*answer)(integerOf(r) > 0);
  };
  c.onFail = [this, answer, k = std::string(k)]() {
    localAnswers_.fetch_add(1, std::memory_order_relaxed);
    local_.erase(k, std::move(*answer));
  };
  link_->submit(std::move(c));
}

SubscriptionId RedisStore::subscribe(std::string_view channel, Subscriber subscriber) {
  // The local store hears what is published while Redis is away; Redis the rest.
  const SubscriptionId id = local_.subscribe(channel, subscriber);
  {
    std::lock_guard lock(subscribersMutex_);
    subscribers_.emplace(
        id, std::make_pair(std::string(channel), std::make_shared<const Subscriber>(subscriber)));
  }
  link_->subscribe(key(channel));
  return id;
}

void RedisStore::unsubscribe(SubscriptionId id) {
  local_.unsubscribe(id);
  std::lock_guard lock(subscribersMutex_);
  subscribers_.erase(id);
}

void RedisStore::publish(std::string_view channel, std::string_view message) {
  redis::Command c;
  c.args = {"PUBLISH", key(channel), std::string(message)};
  c.onFail = [this, ch = std::string(channel), m = std::string(message)]() {
    localAnswers_.fetch_add(1, std::memory_order_relaxed);
    local_.publish(ch, m);
  };
  link_->submit(std::move(c));
}

void RedisStore::onMessage(std::string_view channel, std::string_view message) {
  if (!channel.starts_with(options_.keyPrefix)) return;
  channel.remove_prefix(options_.keyPrefix.size());
  std::vector<std::shared_ptr<const Subscriber>> targets;
  {
    std::lock_guard lock(subscribersMutex_);
    for (const auto& [id, sub] : subscribers_) {
      if (sub.first == channel) targets.push_back(sub.second);
    }
  }
  for (const auto& s : targets) (*s)(channel, message);
}

}  // namespace tg::store
