#pragma once

// A map with a hard cap for state keyed by what attackers choose (sources, user names): at
// capacity the least recently used entry is forgotten and its node reused, so a flood or a
// credential-stuffing run from many sources grows memory only up to the cap.

#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>

namespace tg::guard {

template <typename Key, typename T, typename Hash>
class BoundedTable {
 public:
  explicit BoundedTable(size_t capacity, Hash hash = {})
      : capacity_(capacity == 0 ? 1 : capacity), index_(16, std::move(hash)) {
    index_.reserve(capacity_);  // no rehash once full: a flood then allocates nothing
  }
  BoundedTable(const BoundedTable&) = delete;
  BoundedTable& operator=(const BoundedTable&) = delete;

  // The entry, or nullptr; a hit counts as use.
  T* find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }
  // Without counting as use.
  const T* peek(const Key& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }

  // The entry, value-initialized when new; at capacity the least recently used one's slot is
  // reused for it.
  T& findOrInsert(const Key& key, bool* inserted = nullptr) {
    if (T* found = find(key)) {
      if (inserted != nullptr) *inserted = false;
      return *found;
    }
    if (inserted != nullptr) *inserted = true;
    if (index_.size() >= capacity_) {
      ++evictions_;
      auto victim = std::prev(order_.end());
      auto node = index_.extract(victim->key);
      order_.splice(order_.begin(), order_, victim);
      victim->key = key;
      victim->value = T{};
      node.key() = key;
      index_.insert(std::move(node));
      return victim->value;
    }
    order_.push_front(Node{key, T{}});
    index_.emplace(key, order_.begin());
    return order_.front().value;
  }

  bool erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Erases every entry for which pred(key, value) holds; returns how many.
  template <typename Pred>
  size_t eraseIf(Pred&& pred) {
    size_t erased = 0;
    for (auto it = order_.begin(); it != order_.end();) {
      if (pred(it->key, it->value)) {
        index_.erase(it->key);
        it = order_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  // Drops entries from the least recently used end while `stale(value)` holds: aged entries
  // sit there, so this costs what it removes.
  template <typename Pred>
  size_t dropStale(Pred&& stale) {
    size_t dropped = 0;
    while (!order_.empty() && stale(order_.back().value)) {
      index_.erase(order_.back().key);
      order_.pop_back();
      ++dropped;
    }
    return dropped;
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Node {
    Key key;
    T value;
  };
  size_t capacity_;
  uint64_t evictions_ = 0;
  std::list<Node> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Node>::iterator, Hash> index_;
};

}  // namespace tg::guard
