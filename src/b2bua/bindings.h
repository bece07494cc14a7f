#pragma once

// Where registered remote phones are: one Binding per phone contact, shared by every worker (a
// call from the PBX to a phone may land on any worker). trunkguard registers each binding at the
// PBX under a Contact of its own, <sip:KEY@gateway>, so the PBX reaches the phone through the
// gateway; an INVITE for KEY (or for the account) goes to the phone's source address (rport,
// RFC 3581), never to the private Contact a phone behind NAT writes.
//
// A binding is pending until the PBX accepts it (2xx), then active until it expires. Pending
// ones are capped and forgotten after a transaction's lifetime, so REGISTERs that never get an
// answer cost nothing lasting. Thread-safe (one mutex; lookups are rare next to packets).

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "transport/transport.h"

namespace tg::b2bua {

struct Binding {
  std::string key;              // the Contact user trunkguard registers at the PBX
  std::string account;          // who registered it
  std::string phoneCallId;      // the phone's REGISTER Call-ID (its refreshes reuse it)
  std::string phoneContact;     // the phone's own Contact URI (Request-URI toward it)
  transport::SendTarget phone;  // its source address, transport and connection
  std::string pbxCallId;        // Call-ID of our REGISTERs to the PBX for it (kept while the
                                // phone keeps its own, as a registrar expects, RFC 3261 §10.2.4)
  uint32_t pbxCseq = 0;         // the last CSeq used toward the PBX
  base::TimePoint expires{};    // active until then; zero while pending
  base::TimePoint touched{};    // last REGISTER for it

  bool active(base::TimePoint now) const { return expires > now; }
};

class Bindings {
 public:
  explicit Bindings(const base::Clock& clock, size_t maxPending = 10000,
                    std::chrono::seconds pendingLifetime = std::chrono::seconds(64));

  enum class Prepared : uint8_t {
    kOk,
    kTooMany,  // the account has maxRegistrations other active bindings
    kFull,     // too many REGISTERs wait for the PBX
  };
  // The binding this REGISTER creates or refreshes (same phone Call-ID, or the same account
  // and contact), with its PBX CSeq advanced; copied to *out. A new one is pending.
  Prepared prepare(std::string_view account, std::string_view phoneCallId,
                   std::string_view phoneContact, const transport::SendTarget& phone,
                   int maxRegistrations, const std::function<std::string()>& newCallId,
                   Binding* out);
  // The PBX accepted it for `expires` (0: it is gone).
  void commit(std::string_view key, std::chrono::seconds expires);
  void remove(std::string_view key);

  // Active bindings only.
  std::optional<Binding> byKey(std::string_view key) const;
  std::optional<Binding> latestFor(std::string_view account) const;  // the last refreshed
  std::vector<Binding> activeFor(std::string_view account) const;
  // Whether `account` holds an active binding registered from that address (pbx auth mode:
  // the PBX accepted its credentials from there).
  bool registeredFrom(std::string_view account, const base::Address& source) const;

  // Drops expired and stale pending bindings (also done now and then by prepare()).
  void expire();
  size_t size() const;
  size_t activeCount() const;

 private:
  void expireLocked(base::TimePoint now);
  void eraseLocked(const std::string& key);

  const base::Clock& clock_;
  size_t maxPending_;
  std::chrono::seconds pendingLifetime_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Binding> byKey_;
  std::unordered_map<std::string, std::string> byPhoneCallId_;           // -> key
  std::unordered_map<std::string, std::vector<std::string>> byAccount_;  // -> keys
  size_t pending_ = 0;
  base::TimePoint lastExpiry_{};
};

}  // namespace tg::b2bua
