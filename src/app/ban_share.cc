#include "app/ban_share.h"

#include <charconv>
#include <vector>

#include "base/log.h"

namespace tg::app {

namespace {

// A field of a tab-separated message: no tabs or line breaks inside.
std::string field(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t tab = text.find('\t');
    out.push_back(text.substr(0, tab));
    if (tab == std::string_view::npos) return out;
    text.remove_prefix(tab + 1);
  }
}

}  // namespace

BanShare::BanShare(guard::BanList& bans, store::Store& store, std::string nodeId,
                   const base::Clock& clock)
    : bans_(bans), store_(store), node_(std::move(nodeId)), clock_(clock) {
  subscription_ = store_.subscribe(
      kChannel, [this](std::string_view /*channel*/, std::string_view m) { onMessage(m); });
}

BanShare::~BanShare() {
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = true;
  }
  stopCv_.notify_all();
  if (thread_.joinable()) thread_.join();
  store_.unsubscribe(subscription_);
}

void BanShare::start() {
  thread_ = std::thread([this] { run(); });
}

void BanShare::run() {
  std::unique_lock lock(stopMutex_);
  while (!stopCv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
    lock.unlock();
    publishChanges();
    lock.lock();
  }
}

void BanShare::publishChanges() {
  const uint64_t version = bans_.version();
  std::vector<std::string> out;
  {
    std::lock_guard lock(mutex_);
    if (!first_ && version == seenVersion_) return;
    first_ = false;
    seenVersion_ = version;
    const base::TimePoint now = clock_.now();
    const base::SystemTime wall = clock_.wallNow();
    std::map<std::string, std::optional<base::SystemTime>> current;
    for (const guard::Ban& b : bans_.list(now)) {
      std::string net = b.network.toString();
      current.emplace(net, b.expiresWall);
      if (known_.contains(net) || heard_.contains(net) ||
          b.origin == guard::BanOrigin::kBlocklist) {
        continue;
      }
      int64_t left = 0;  // until removed
      if (b.expiresWall) {
        left = std::chrono::ceil<std::chrono::seconds>(*b.expiresWall - wall).count();
        if (left <= 0) continue;
      }
      out.push_back("add\t" + node_ + "\t" + net + "\t" + std::to_string(left) + "\t" +
                    std::string(guard::originName(b.origin)) + "\t" + field(b.rule) + "\t" +
                    field(b.reason));
    }
    // Lifted before its end (not expired, not heard from another gateway): lift it everywhere.
    for (const auto& [net, ends] : known_) {
      if (current.contains(net) || heard_.contains(net)) continue;
      if (ends && *ends <= wall + std::chrono::seconds(1)) continue;
      out.push_back("del\t" + node_ + "\t" + net);
    }
    for (auto it = heard_.begin(); it != heard_.end();) {
      it = current.contains(*it) ? std::next(it) : heard_.erase(it);
    }
    known_ = std::move(current);
  }
  for (const std::string& m : out) store_.publish(kChannel, m);
}

void BanShare::onMessage(std::string_view message) {
  const std::vector<std::string_view> f = split(message);
  if (f.size() < 3 || f[1] == node_) return;  // malformed, or our own
  const auto network = guard::IpPrefix::parse(f[2]);
  if (!network) return;
  const std::string net = network->toString();
  if (f[0] == "del") {
    {
      std::lock_guard lock(mutex_);
      known_.erase(net);
      heard_.erase(net);
    }
    if (bans_.unban(*network)) {
      TG_LOG(kGuard, info, "ban of {} lifted on gateway {}: lifted here too", net, field(f[1]));
    }
    return;
  }
  if (f[0] != "add" || f.size() < 7) return;
  int64_t seconds = -1;
  std::from_chars(f[3].data(), f[3].data() + f[3].size(), seconds);
  if (seconds < 0) return;
  const guard::BanOrigin origin = guard::parseOrigin(f[4]).value_or(guard::BanOrigin::kManual);
  {
    std::lock_guard lock(mutex_);
    if (known_.contains(net) && !heard_.contains(net)) return;  // banned here already
    heard_.insert(net);
  }
  const guard::BanResult r =
      bans_.ban(*network, field(f[5]), "from gateway " + field(f[1]) + ": " + field(f[6]), origin,
                clock_.now(), std::chrono::seconds(seconds));
  if (r.banned()) {
    TG_LOG(kGuard, info, "{} banned on gateway {} ({}): banned here too", net, field(f[1]),
           field(f[5]));
  }
}

}  // namespace tg::app
