#pragma once

// A path-compressed binary trie from IP networks (IPv4 and IPv6) to small values: the per-zone
// ACLs and the ban list look every packet's source up in one before parsing it, so lookups
// neither allocate nor format. IPv4 networks live in their own 32-bit tree; an IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports) is looked up as IPv4 first, then
// as IPv6 (the same rule as config::Cidr::contains). Not thread-safe: wrap it (BanList) or
// build it once and share it read-only (ACL snapshots).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/address.h"

namespace tg::guard {

// An IP network with its host bits cleared. IPv4 keys use the low 32 bits of `lo`.
struct IpPrefix {
  uint64_t hi = 0;
  uint64_t lo = 0;
  uint8_t length = 0;  // prefix length: 0-32 (IPv4) or 0-128 (IPv6)
  bool v4 = true;

  // `length` is clamped to the family's width; host bits are cleared. IPv4-mapped IPv6
  // networks of /96 or longer become the IPv4 network they map. nullopt for an invalid address.
  static std::optional<IpPrefix> of(const base::Address& network, unsigned length);
  // The /32 or /128 holding `address` (mapped IPv4 becomes IPv4).
  static std::optional<IpPrefix> host(const base::Address& address);
  // "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" (a host). Host bits set are cleared, as
  // blocklist feeds write them. On failure sets *error (if given) and returns nullopt.
  static std::optional<IpPrefix> parse(std::string_view text, std::string* error = nullptr);

  unsigned width() const { return v4 ? 32 : 128; }
  // The first `length` bits of this network (length no longer than this one's).
  IpPrefix truncated(unsigned length) const;
  bool isHost() const { return length == width(); }
  // Bit `i` (0 = most significant) of the key.
  bool bit(unsigned i) const;
  // Whether this network holds `other` (a network of the same family, no shorter).
  bool covers(const IpPrefix& other) const;
  // Whether this network holds the address (mapped IPv4 matches IPv4 networks).
  bool contains(const base::Address& address) const;
  base::Address address() const;  // the network address, port 0
  std::string toString() const;   // "192.0.2.0/24", "::1/128"

  bool operator==(const IpPrefix& o) const {
    return hi == o.hi && lo == o.lo && length == o.length && v4 == o.v4;
  }
};

namespace detail {

// The key of an address without allocating: IPv4 (mapped IPv6 included) in the low 32 bits.
struct AddressKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool valid = false;
  bool v4 = false;
  bool mapped = false;  // an IPv6 address of ::ffff:0:0/96: also try it as IPv6
  uint64_t hi6 = 0;     // the full IPv6 key when mapped
  uint64_t lo6 = 0;
};
AddressKey addressKey(const base::Address& address);
// Whether the first `length` bits of the two keys are equal (width 32 or 128).
bool prefixEqual(uint64_t aHi, uint64_t aLo, uint64_t bHi, uint64_t bLo, unsigned length, bool v4);
bool keyBit(uint64_t hi, uint64_t lo, unsigned i, bool v4);
// The length of the common prefix of two keys, at most `limit`.
unsigned commonPrefix(uint64_t aHi, uint64_t aLo, uint64_t bHi, uint64_t bLo, unsigned limit,
                      bool v4);

}  // namespace detail

template <typename T>
class CidrTrie {
 public:
  // Adds or replaces the value of a network. False when the address is invalid.
  bool insert(const base::Address& network, unsigned length, T value) {
    auto p = IpPrefix::of(network, length);
    return p && insert(*p, std::move(value));
  }
  // Returns true when the network was new, false when its value was replaced.
  bool insert(const IpPrefix& prefix, T value);
  bool erase(const base::Address& network, unsigned length) {
    auto p = IpPrefix::of(network, length);
    return p && erase(*p);
  }
  bool erase(const IpPrefix& prefix);

  // The value of the longest network holding `address`, or nullptr. Allocation-free.
  const T* lookup(const base::Address& address) const;
  T* lookup(const base::Address& address) {
    return const_cast<T*>(std::as_const(*this).lookup(address));
  }
  // The longest match with the network that matched.
  std::optional<std::pair<IpPrefix, const T*>> lookupPrefix(const base::Address& address) const;
  bool contains(const base::Address& address) const { return lookup(address) != nullptr; }
  // The value stored for exactly this network.
  const T* find(const IpPrefix& prefix) const;
  T* find(const IpPrefix& prefix) { return const_cast<T*>(std::as_const(*this).find(prefix)); }

  // Calls fn(const IpPrefix&, const T&) for every network holding `address`, shortest first,
  // until fn returns true; returns whether one did. Allocation-free: lets a caller skip
  // entries it considers stale (an expired ban under a live one).
  template <typename Fn>
  bool anyMatch(const base::Address& address, Fn&& fn) const;

  // fn(const IpPrefix&, const T&) for every network, IPv4 first, in key order.
  template <typename Fn>
  void forEach(Fn&& fn) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    nodes_.clear();
    free_.clear();
    roots_[0] = roots_[1] = kNone;
    size_ = 0;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    IpPrefix prefix;
    uint32_t child[2] = {kNone, kNone};
    bool hasValue = false;
    T value{};
  };

  uint32_t newNode(const IpPrefix& prefix);
  void freeNode(uint32_t i);
  uint32_t& link(uint32_t parent, int side, bool v4);
  void collapse(uint32_t parent, int side, bool v4);
  template <typename Fn>
  bool walk(uint32_t root, uint64_t hi, uint64_t lo, bool v4, Fn&& fn) const;
  template <typename Fn>
  void visit(uint32_t i, Fn& fn) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> free_;
  uint32_t roots_[2] = {kNone, kNone};  // [0] IPv4, [1] IPv6
  size_t size_ = 0;
};

// ---- implementation ------------------------------------------------------------------------

template <typename T>
uint32_t CidrTrie<T>::newNode(const IpPrefix& prefix) {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
    nodes_[i] = Node{};
  } else {
    i = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[i].prefix = prefix;
  return i;
}

template <typename T>
void CidrTrie<T>::freeNode(uint32_t i) {
  nodes_[i] = Node{};
  free_.push_back(i);
}

template <typename T>
uint32_t& CidrTrie<T>::link(uint32_t parent, int side, bool v4) {
  return parent == kNone ? roots_[v4 ? 0 : 1] : nodes_[parent].child[side];
}

template <typename T>
bool CidrTrie<T>::insert(const IpPrefix& prefix, T value) {
  // Links are re-read after every newNode(): it may move nodes_.
  uint32_t parent = kNone;
  int side = 0;
  while (true) {
    const uint32_t cur = link(parent, side, prefix.v4);
    if (cur == kNone) {
      const uint32_t n = newNode(prefix);
      nodes_[n].hasValue = true;
      nodes_[n].value = std::move(value);
      link(parent, side, prefix.v4) = n;
      ++size_;
      return true;
    }
    const IpPrefix curPrefix = nodes_[cur].prefix;
    const unsigned common =
        detail::commonPrefix(curPrefix.hi, curPrefix.lo, prefix.hi, prefix.lo,
                             std::min<unsigned>(curPrefix.length, prefix.length), prefix.v4);
    if (common == curPrefix.length && common == prefix.length) {  // this very network
      const bool added = !nodes_[cur].hasValue;
      nodes_[cur].hasValue = true;
      nodes_[cur].value = std::move(value);
      if (added) ++size_;
      return added;
    }
    if (common == curPrefix.length) {  // below the current node
      parent = cur;
      side = prefix.bit(common) ? 1 : 0;
      continue;
    }
    if (common == prefix.length) {  // the new network holds the current node
      const uint32_t n = newNode(prefix);
      nodes_[n].hasValue = true;
      nodes_[n].value = std::move(value);
      nodes_[n].child[curPrefix.bit(common) ? 1 : 0] = cur;
      link(parent, side, prefix.v4) = n;
      ++size_;
      return true;
    }
    // They diverge at bit `common`: a valueless fork holds both.
    const uint32_t fork = newNode(prefix.truncated(common));
    const uint32_t leaf = newNode(prefix);
    nodes_[leaf].hasValue = true;
    nodes_[leaf].value = std::move(value);
    const bool newBit = prefix.bit(common);
    nodes_[fork].child[newBit ? 1 : 0] = leaf;
    nodes_[fork].child[newBit ? 0 : 1] = cur;
    link(parent, side, prefix.v4) = fork;
    ++size_;
    return true;
  }
}

template <typename T>
void CidrTrie<T>::collapse(uint32_t parent, int side, bool v4) {
  // A node without value and with at most one child is dropped: the tree stays compressed.
  const uint32_t cur = link(parent, side, v4);
  if (cur == kNone || nodes_[cur].hasValue) return;
  const uint32_t c0 = nodes_[cur].child[0];
  const uint32_t c1 = nodes_[cur].child[1];
  if (c0 != kNone && c1 != kNone) return;
  link(parent, side, v4) = c0 != kNone ? c0 : c1;
  freeNode(cur);
}

template <typename T>
bool CidrTrie<T>::erase(const IpPrefix& prefix) {
  uint32_t grand = kNone, parent = kNone;
  int grandSide = 0, side = 0;
  while (true) {
    const uint32_t cur = link(parent, side, prefix.v4);
    if (cur == kNone) return false;
    const IpPrefix& p = nodes_[cur].prefix;
    if (p.length > prefix.length ||
        !detail::prefixEqual(p.hi, p.lo, prefix.hi, prefix.lo, p.length, prefix.v4)) {
      return false;
    }
    if (p.length < prefix.length) {
      grand = parent;
      grandSide = side;
      parent = cur;
      side = prefix.bit(p.length) ? 1 : 0;
      continue;
    }
    if (!nodes_[cur].hasValue) return false;
    nodes_[cur].hasValue = false;
    nodes_[cur].value = T{};
    --size_;
    collapse(parent, side, prefix.v4);
    // The parent fork may now hold a single child.
    if (parent != kNone) collapse(grand, grandSide, prefix.v4);
    return true;
  }
}

template <typename T>
template <typename Fn>
bool CidrTrie<T>::walk(uint32_t i, uint64_t hi, uint64_t lo, bool v4, Fn&& fn) const {
  while (i != kNone) {
    const Node& n = nodes_[i];
    if (!detail::prefixEqual(n.prefix.hi, n.prefix.lo, hi, lo, n.prefix.length, v4)) break;
    if (n.hasValue && fn(n)) return true;
    if (n.prefix.length == n.prefix.width()) break;
    i = n.child[detail::keyBit(hi, lo, n.prefix.length, v4) ? 1 : 0];
  }
  return false;
}

template <typename T>
std::optional<std::pair<IpPrefix, const T*>> CidrTrie<T>::lookupPrefix(
    const base::Address& address) const {
  const detail::AddressKey k = detail::addressKey(address);
  if (!k.valid) return std::nullopt;
  const Node* best = nullptr;
  auto keep = [&best](const Node& n) {
    best = &n;
    return false;
  };
  walk(roots_[k.v4 ? 0 : 1], k.hi, k.lo, k.v4, keep);
  if (best == nullptr && k.mapped) walk(roots_[1], k.hi6, k.lo6, false, keep);
  if (best == nullptr) return std::nullopt;
  return std::make_pair(best->prefix, &best->value);
}

template <typename T>
const T* CidrTrie<T>::lookup(const base::Address& address) const {
  const auto found = lookupPrefix(address);
  return found ? found->second : nullptr;
}

template <typename T>
template <typename Fn>
bool CidrTrie<T>::anyMatch(const base::Address& address, Fn&& fn) const {
  const detail::AddressKey k = detail::addressKey(address);
  if (!k.valid) return false;
  auto call = [&fn](const Node& n) { return static_cast<bool>(fn(n.prefix, n.value)); };
  if (walk(roots_[k.v4 ? 0 : 1], k.hi, k.lo, k.v4, call)) return true;
  return k.mapped && walk(roots_[1], k.hi6, k.lo6, false, call);
}

template <typename T>
const T* CidrTrie<T>::find(const IpPrefix& prefix) const {
  uint32_t i = roots_[prefix.v4 ? 0 : 1];
  while (i != kNone) {
    const Node& n = nodes_[i];
    if (n.prefix.length > prefix.length ||
        !detail::prefixEqual(n.prefix.hi, n.prefix.lo, prefix.hi, prefix.lo, n.prefix.length,
                             prefix.v4)) {
      return nullptr;
    }
    if (n.prefix.length == prefix.length) return n.hasValue ? &n.value : nullptr;
    i = n.child[prefix.bit(n.prefix.length) ? 1 : 0];
  }
  return nullptr;
}

template <typename T>
template <typename Fn>
void CidrTrie<T>::visit(uint32_t i, Fn& fn) const {
  if (i == kNone) return;
  const Node& n = nodes_[i];
  if (n.hasValue) fn(n.prefix, n.value);
  visit(n.child[0], fn);
  visit(n.child[1], fn);
}

template <typename T>
template <typename Fn>
void CidrTrie<T>::forEach(Fn&& fn) const {
  visit(roots_[0], fn);
  visit(roots_[1], fn);
}

}  // namespace tg::guard
