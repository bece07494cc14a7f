#include "store/memory_store.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "base/random.h"

namespace tg::store {
namespace {

base::TimePoint expiryAt(base::TimePoint now, base::Duration ttl) {
  return ttl > base::Duration::zero() ? now + ttl : base::TimePoint::max();
}

// A new, empty value of kind T as an entry holds it (the large kinds boxed).
template <typename T>
auto fresh() {
  if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, std::string>) {
    return T{};
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
void answer(const Done<T>& done, T value) {
  if (done) done(std::move(value));
}

}  // namespace

size_t SeededHash::operator()(std::string_view s) const {
  // FNV-1a from the seed, then a 64-bit finalizer so that every bit reaches the bucket index.
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

MemoryStore::MemoryStore(const base::Clock& clock, MemoryStoreOptions options,
                         std::vector<KeyFamily> families)
    : clock_(clock), hash_{base::randomU64()} {
  const size_t most = std::max<size_t>(1, options.shards);
  std::vector<size_t> caps{options.maxKeys};
  groups_.push_back({"", 0, most});
  for (const KeyFamily& f : families) {
    const size_t count = std::clamp<size_t>(f.maxKeys / 1024, 1, most);
    groups_.push_back({f.prefix, groups_.back().first + groups_.back().count, count});
    caps.push_back(f.maxKeys);
  }
  shardCount_ = groups_.back().first + groups_.back().count;
  shards_ = std::make_unique<Shard[]>(shardCount_);
  evictions_ = std::make_unique<std::atomic<uint64_t>[]>(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    evictions_[g].store(0);
    for (size_t i = 0; i < groups_[g].count; ++i) {
      Shard& shard = shards_[groups_[g].first + i];
      shard.entries = Map(16, hash_);
      shard.capacity = std::max<size_t>(1, caps[g] / groups_[g].count);
      shard.group = g;
    }
  }
}

MemoryStore::~MemoryStore() = default;

const MemoryStore::Group& MemoryStore::groupOf(std::string_view key) const {
  for (size_t g = 1; g < groups_.size(); ++g) {
    if (key.starts_with(groups_[g].prefix)) return groups_[g];
  }
  return groups_[0];
}

MemoryStore::Shard& MemoryStore::shardOf(std::string_view key) const {
  // The high bits pick the shard; the map's bucket index uses the low ones.
  const Group& g = groupOf(key);
  return shards_[g.first + (hash_(key) >> 40) % g.count];
}

uint64_t MemoryStore::evictions() const {
  uint64_t total = 0;
  for (size_t g = 0; g < groups_.size(); ++g)
    total += evictions_[g].load(std::memory_order_acquire);
  return total;
}

uint64_t MemoryStore::evictions(std::string_view key) const {
  return evictions_[static_cast<size_t>(&groupOf(key) - groups_.data())].load(
      std::memory_order_acquire);
}

template <typename T>
T* MemoryStore::valueIf(const Entry& e) {
  auto& value = const_cast<Entry&>(e).value;
  if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, std::string>) {
    return std::get_if<T>(&value);
  } else {
    auto* box = std::get_if<std::unique_ptr<T>>(&value);
    return box != nullptr ? box->get() : nullptr;
  }
}

MemoryStore::Entry* MemoryStore::live(Shard& shard, std::string_view key,
                                      base::TimePoint now) const {
  const auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return nullptr;
  if (now >= it->second.expires) {
    drop(shard, it);
    return nullptr;
  }
  return &it->second;
}

template <typename T>
MemoryStore::Entry& MemoryStore::obtain(Shard& shard, std::string_view key, base::TimePoint now) {
  if (Entry* e = live(shard, key, now)) {
    if (valueIf<T>(*e) == nullptr) {
      e->value = fresh<T>();
      e->expires = base::TimePoint::max();
    }
    return *e;
  }
  if (shard.entries.size() >= shard.capacity) makeRoom(shard, now);
  Node& node = *shard.entries.try_emplace(std::string(key)).first;
  Entry& e = node.second;
  e.value = fresh<T>();
  e.older = shard.newest;
  if (shard.newest != nullptr) shard.newest->second.newer = &node;
  shard.newest = &node;
  if (shard.oldest == nullptr) shard.oldest = &node;
  return e;
}

MemoryStore::Map::iterator MemoryStore::drop(Shard& shard, Map::iterator it) {
  Entry& e = it->second;
  (e.older != nullptr ? e.older->second.newer : shard.oldest) = e.newer;
  (e.newer != nullptr ? e.newer->second.older : shard.newest) = e.older;
  return shard.entries.erase(it);
}

void MemoryStore::makeRoom(Shard& shard, base::TimePoint now) {
  // Expired keys go first: the oldest written are the likeliest to have expired, so a few of
  // them are looked at, at most once a second (a full pass is sweep()'s job, not a writer's).
  size_t looked = 0;
  if (shard.scanned && now - shard.lastScan < std::chrono::seconds(1)) looked = kEvictionScan;
  shard.scanned = true;
  shard.lastScan = now;
  for (Node* n = shard.oldest; n != nullptr && looked < kEvictionScan;) {
    Node* next = n->second.newer;
    ++looked;
    if (now >= n->second.expires) {
      drop(shard, shard.entries.find(n->first));
      if (shard.entries.size() < shard.capacity) return;
    }
    n = next;
  }
  // None expired: evict the least useful of the kEvictionScan oldest, the one due to expire
  // first (oldest among equals). A lockout's lock is kept far longer than a mere failure count,
  // so a flood of fresh failures forgets other failure counts, never the lock under attack.
  while (shard.entries.size() >= shard.capacity && shard.oldest != nullptr) {
    Node* victim = nullptr;
    size_t seen = 0;
    for (Node* n = shard.oldest; n != nullptr && seen < kEvictionScan; n = n->second.newer) {
      ++seen;
      if (victim == nullptr || n->second.expires < victim->second.expires) victim = n;
    }
    drop(shard, shard.entries.find(victim->first));
    evictions_[shard.group].fetch_add(1, std::memory_order_release);
  }
}

size_t MemoryStore::pruneExpired(Shard& shard, base::TimePoint now) {
  size_t dropped = 0;
  for (auto it = shard.entries.begin(); it != shard.entries.end();) {
    if (auto* members = valueIf<Members>(it->second)) {
      std::erase_if(*members, [now](const auto& m) { return now >= m.second; });
      if (members->empty()) it->second.expires = now;  // an empty set is no key
    }
    if (now >= it->second.expires) {
      it = drop(shard, it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

void MemoryStore::trimWindow(Events& events, base::TimePoint now, base::Duration window) {
  while (!events.empty() && now - events.front() >= window) events.pop_front();
}

void MemoryStore::counterAdd(std::string_view key, int64_t delta, int64_t limit, base::Duration ttl,
                             Done<Count> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  Count out;
  {
    std::lock_guard lock(shard.mutex);
    Entry& e = obtain<int64_t>(shard, key, now);
    int64_t& value = valueOf<int64_t>(e);
    if (delta > 0 && limit > 0 && value + delta > limit) {
      out.value = value;
    } else {
      value = std::max<int64_t>(0, value + delta);
      if (ttl > base::Duration::zero()) e.expires = now + ttl;
      out = {true, value};
      if (value == 0) drop(shard, shard.entries.find(key));  // zero is no key
    }
  }
  answer(done, out);
}

void MemoryStore::counterGet(std::string_view key, Done<int64_t> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  int64_t value = 0;
  {
    std::lock_guard lock(shard.mutex);
    if (const Entry* e = live(shard, key, now)) {
      if (const auto* v = valueIf<int64_t>(*e)) value = *v;
    }
  }
  answer(done, value);
}

void MemoryStore::windowAdd(std::string_view key, base::Duration window, int64_t limit,
                            Done<Count> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  Count out;
  {
    std::lock_guard lock(shard.mutex);
    Entry& e = obtain<Events>(shard, key, now);
    Events& events = valueOf<Events>(e);
    trimWindow(events, now, window);
    if (limit > 0 && static_cast<int64_t>(events.size()) >= limit) {
      out.value = static_cast<int64_t>(events.size());
    } else {
      if (events.size() >= kMaxWindowEvents) events.pop_front();
      events.push_back(now);
      e.expires = expiryAt(now, window);
      out = {true, static_cast<int64_t>(events.size())};
    }
  }
  answer(done, out);
}

void MemoryStore::windowCount(std::string_view key, base::Duration window, Done<int64_t> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  int64_t count = 0;
  {
    std::lock_guard lock(shard.mutex);
    if (Entry* e = live(shard, key, now)) {
      if (auto* events = valueIf<Events>(*e)) {
        trimWindow(*events, now, window);
        count = static_cast<int64_t>(events->size());
      }
    }
  }
  answer(done, count);
}

bool MemoryStore::over(Shard& shard, const CountStep& step, base::TimePoint now) const {
  if (step.limit <= 0) return false;
  Entry* e = live(shard, step.key, now);
  if (step.kind == CountStep::Kind::kCounter) {
    const int64_t* value = e != nullptr ? valueIf<int64_t>(*e) : nullptr;
    return (value != nullptr ? *value : 0) + step.delta > step.limit;
  }
  auto* events = e != nullptr ? valueIf<Events>(*e) : nullptr;
  if (events == nullptr) return false;
  trimWindow(*events, now, step.span);
  return static_cast<int64_t>(events->size()) >= step.limit;
}

int64_t MemoryStore::count(Shard& shard, const CountStep& step, base::TimePoint now) {
  if (step.kind == CountStep::Kind::kCounter) {
    Entry& e = obtain<int64_t>(shard, step.key, now);
    int64_t& value = valueOf<int64_t>(e);
    value = std::max<int64_t>(0, value + step.delta);
    if (step.span > base::Duration::zero()) e.expires = now + step.span;
    return value;
  }
  Entry& e = obtain<Events>(shard, step.key, now);
  Events& events = valueOf<Events>(e);
  trimWindow(events, now, step.span);
  if (events.size() >= kMaxWindowEvents) events.pop_front();
  events.push_back(now);
  e.expires = expiryAt(now, step.span);
  return static_cast<int64_t>(events.size());
}

void MemoryStore::countAll(std::vector<CountStep> steps, CountMode mode,
                           Done<CountAllResult> done) {
  const base::TimePoint now = clock_.now();
  // Every shard the steps touch is locked, in address order (no two callers deadlock), so the
  // check and the count are one step for all of them.
  std::vector<Shard*> touched;
  for (const CountStep& step : steps) touched.push_back(&shardOf(step.key));
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  CountAllResult out;
  {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(touched.size());
    for (Shard* shard : touched) locks.emplace_back(shard->mutex);
    for (size_t i = 0; i < steps.size() && out.refused < 0; ++i) {
      if (over(shardOf(steps[i].key), steps[i], now)) out.refused = static_cast<int>(i);
    }
    out.counted =
        mode == CountMode::kAlways || (mode == CountMode::kAllOrNothing && out.refused < 0);
    out.values.reserve(steps.size());
    for (const CountStep& step : steps) {
      Shard& shard = shardOf(step.key);
      if (out.counted) {
        out.values.push_back(count(shard, step, now));
        continue;
      }
      int64_t value = 0;
      if (Entry* e = live(shard, step.key, now)) {
        if (const auto* v = valueIf<int64_t>(*e)) value = *v;
        if (const auto* events = valueIf<Events>(*e)) {
          value = static_cast<int64_t>(events->size());
        }
      }
      out.values.push_back(value);
    }
  }
  answer(done, std::move(out));
}

void MemoryStore::sumAdd(std::string_view key, int64_t amount, base::Duration ago,
                         base::Duration bucket, base::Duration keep, Done<int64_t> total) {
  const base::TimePoint now = clock_.now();
  if (bucket <= base::Duration::zero()) bucket = std::chrono::seconds(1);
  const base::Duration at = (now - ago).time_since_epoch();
  base::Duration offset = at % bucket;
  if (offset < base::Duration::zero()) offset += bucket;  // floor, also before the epoch
  const base::TimePoint start{at - offset};
  Shard& shard = shardOf(key);
  int64_t sum = 0;
  {
    std::lock_guard lock(shard.mutex);
    Entry& e = obtain<Sums>(shard, key, now);
    Sums& sums = valueOf<Sums>(e);
    if (sums.width != bucket) sums = Sums{bucket, {}};  // another width: another series
    auto& buckets = sums.buckets;
    // Buckets stay in time order; a restored amount may land before the newest.
    auto it = std::lower_bound(buckets.begin(), buckets.end(), start,
                               [](const auto& b, base::TimePoint t) { return b.first < t; });
    if (it == buckets.end() || it->first != start) it = buckets.insert(it, {start, 0});
    it->second += amount;
    while (!buckets.empty() && now - (buckets.front().first + bucket) >= keep) {
      buckets.pop_front();
    }
    while (buckets.size() > kMaxWindowEvents) buckets.pop_front();
    for (const auto& b : buckets) sum += b.second;
    e.expires = buckets.empty() ? now : std::max(now, buckets.back().first + bucket) + keep;
  }
  answer(total, sum);
}

void MemoryStore::sumGet(std::string_view key, base::Duration window, Done<int64_t> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  int64_t sum = 0;
  {
    std::lock_guard lock(shard.mutex);
    if (const Entry* e = live(shard, key, now)) {
      if (const auto* sums = valueIf<Sums>(*e)) {
        for (auto it = sums->buckets.rbegin(); it != sums->buckets.rend(); ++it) {
          if (now - (it->first + sums->width) >= window) break;  // this one and older: out
          sum += it->second;
        }
      }
    }
  }
  answer(done, sum);
}

void MemoryStore::setAdd(std::string_view key, std::string_view member, base::Duration ttl,
                         Done<bool> added) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  bool isNew = false;
  {
    std::lock_guard lock(shard.mutex);
    Entry& e = obtain<Members>(shard, key, now);
    Members& members = valueOf<Members>(e);
    const base::TimePoint until = expiryAt(now, ttl);
    // The set lasts as long as its longest-lived member: what makeRoom weighs it by (a set
    // that never expired would crowd everything else out of the eviction scan).
    if (members.empty()) e.expires = until;
    const auto it = members.find(std::string(member));
    if (it != members.end()) {
      isNew = now >= it->second;  // an expired member comes back as new
      it->second = until;
      e.expires = std::max(e.expires, until);
    } else if (members.size() < kMaxSetMembers) {
      members.emplace(std::string(member), until);
      e.expires = std::max(e.expires, until);
      isNew = true;
    }
  }
  answer(added, isNew);
}

void MemoryStore::setRemove(std::string_view key, std::string_view member, Done<bool> removed) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  bool was = false;
  {
    std::lock_guard lock(shard.mutex);
    if (Entry* e = live(shard, key, now)) {
      if (auto* members = valueIf<Members>(*e)) {
        const auto it = members->find(std::string(member));
        if (it != members->end()) {
          was = now < it->second;
          members->erase(it);
        }
      }
    }
  }
  answer(removed, was);
}

void MemoryStore::setContains(std::string_view key, std::string_view member, Done<bool> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  bool found = false;
  {
    std::lock_guard lock(shard.mutex);
    if (Entry* e = live(shard, key, now)) {
      if (auto* members = valueIf<Members>(*e)) {
        const auto it = members->find(std::string(member));
        if (it != members->end()) {
          found = now < it->second;
          if (!found) members->erase(it);
        }
      }
    }
  }
  answer(done, found);
}

void MemoryStore::setMembers(std::string_view key, Done<std::vector<std::string>> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  std::vector<std::string> out;
  {
    std::lock_guard lock(shard.mutex);
    if (Entry* e = live(shard, key, now)) {
      if (auto* members = valueIf<Members>(*e)) {
        std::erase_if(*members, [now](const auto& m) { return now >= m.second; });
        out.reserve(members->size());
        for (const auto& m : *members) out.push_back(m.first);
      }
    }
  }
  std::sort(out.begin(), out.end());
  answer(done, std::move(out));
}

void MemoryStore::put(std::string_view key, std::string_view value, base::Duration ttl) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  std::lock_guard lock(shard.mutex);
  Entry& e = obtain<std::string>(shard, key, now);
  valueOf<std::string>(e).assign(value);
  e.expires = expiryAt(now, ttl);
}

void MemoryStore::get(std::string_view key, Done<std::optional<std::string>> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  std::optional<std::string> out;
  {
    std::lock_guard lock(shard.mutex);
    if (const Entry* e = live(shard, key, now)) {
      if (const auto* v = valueIf<std::string>(*e)) out = *v;
    }
  }
  answer(done, std::move(out));
}

void MemoryStore::compareAndSet(std::string_view key, std::optional<std::string_view> expected,
                                std::string_view value, base::Duration ttl, Done<CasResult> done) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  CasResult out;
  {
    std::lock_guard lock(shard.mutex);
    const Entry* current = live(shard, key, now);
    const std::string* held = current != nullptr ? valueIf<std::string>(*current) : nullptr;
    const bool matches = expected ? (held != nullptr && *held == *expected) : held == nullptr;
    if (matches) {
      Entry& e = obtain<std::string>(shard, key, now);
      valueOf<std::string>(e).assign(value);
      e.expires = expiryAt(now, ttl);
      out.outcome = CasOutcome::kSwapped;
      out.current = std::string(value);
    } else if (held != nullptr) {
      out.current = *held;
    }
  }
  answer(done, std::move(out));
}

void MemoryStore::erase(std::string_view key, Done<bool> erased) {
  const base::TimePoint now = clock_.now();
  Shard& shard = shardOf(key);
  bool was = false;
  {
    std::lock_guard lock(shard.mutex);
    if (live(shard, key, now) != nullptr) {
      drop(shard, shard.entries.find(key));
      was = true;
    }
  }
  answer(erased, was);
}

SubscriptionId MemoryStore::subscribe(std::string_view channel, Subscriber subscriber) {
  std::lock_guard lock(subscribersMutex_);
  const SubscriptionId id = nextSubscription_++;
  subscribers_.emplace(id, Subscription{std::string(channel),
                                        std::make_shared<const Subscriber>(std::move(subscriber))});
  return id;
}

void MemoryStore::unsubscribe(SubscriptionId id) {
  std::lock_guard lock(subscribersMutex_);
  subscribers_.erase(id);
}

void MemoryStore::publish(std::string_view channel, std::string_view message) {
  std::vector<std::shared_ptr<const Subscriber>> targets;
  {
    std::lock_guard lock(subscribersMutex_);
    for (const auto& [id, s] : subscribers_) {
      if (s.channel == channel) targets.push_back(s.subscriber);
    }
  }
  // Outside the lock: a subscriber may subscribe, unsubscribe or publish itself.
  for (const auto& s : targets) (*s)(channel, message);
}

size_t MemoryStore::sweep() {
  const base::TimePoint now = clock_.now();
  size_t dropped = 0;
  for (size_t i = 0; i < shardCount_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    dropped += pruneExpired(shards_[i], now);
  }
  return dropped;
}

size_t MemoryStore::size() const {
  size_t total = 0;
  for (size_t i = 0; i < shardCount_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].entries.size();
  }
  return total;
}

}  // namespace tg::store
