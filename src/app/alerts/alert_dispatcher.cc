#include "app/alerts/alert_dispatcher.h"

#include <unistd.h>

#include <array>

#include "app/alerts/alert_format.h"
#include "app/alerts/alert_mail.h"
#include "base/log.h"
#include "base/random.h"

namespace tg::app::alerts {
namespace {

constexpr auto kTick = std::chrono::milliseconds(200);
// Deliveries waiting for a retry beyond this many: the oldest is given up.
constexpr size_t kMaxRetries = 1000;
// The spend thresholds look at the last hour's CDRs this often.
constexpr int64_t kSpendEveryMs = 60'000;
constexpr int64_t kSpendSpanMs = 3'600'000;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hostName(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "-";
  return host.data();
}

}  // namespace

// '*' stands for any run of characters (none included); everything else for itself.
bool globMatches(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool matchesAlertRule(const std::vector<std::string>& patterns, std::string_view rule,
                      std::string_view action) {
  for (const std::string& p : patterns) {
    if (p == "ban" && (rule == "ban" || action.starts_with("ban"))) return true;
    if (globMatches(p, rule)) return true;
  }
  return false;
}

AlertDispatcher::AlertDispatcher(config::AlertSettings settings)
    : settings_(std::make_shared<const config::AlertSettings>(std::move(settings))) {
  adopt(settings_);
}

// On the alert thread (or before it starts).
void AlertDispatcher::adopt(std::shared_ptr<const config::AlertSettings> settings) {
  active_ = std::move(settings);
  host_ = hostName(active_->hostname);
  spendDueMs_ = 0;  // changed spend thresholds are checked at once, not a minute later
  folding_.emplace(
      std::chrono::duration_cast<std::chrono::milliseconds>(active_->dedupWindow).count(),
      active_->maxPerMinute);
  syslog_.clear();
  for (const config::SyslogTarget& t : active_->syslog) {
    syslog_.push_back(std::make_unique<SyslogSender>(t));
  }
  if (!active_->mail.empty()) initMail();
  if (!retries_.empty()) {
    TG_LOG(kMain, warn, "alerts: new settings; {} deliveries waiting for a retry given up",
           retries_.size());
    std::lock_guard lock(mutex_);
    stats_.failed += retries_.size();
    retries_.clear();
  }
}

void AlertDispatcher::reconfigure(config::AlertSettings settings) {
  {
    std::lock_guard lock(mutex_);
    settings_ = std::make_shared<const config::AlertSettings>(std::move(settings));
    fresh_ = settings_;
  }
  wake_.notify_one();
}

AlertDispatcher::~AlertDispatcher() { stop(); }

void AlertDispatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AlertDispatcher::record(guard::SecurityEvent event) {
  queue(AlertEvent{
      std::move(event.rule), std::string(transport::zoneName(event.zone)), event.source.ip(),
      std::move(event.reason), std::move(event.action),
      std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch())
          .count()});
}

void AlertDispatcher::watchPeers(const std::vector<b2bua::PeerHealth>& peers) {
  for (AlertEvent& e : peerWatch_.update(peers, wallMs())) queue(std::move(e));
}

void AlertDispatcher::queue(AlertEvent e) {
  {
    std::lock_guard lock(mutex_);
    if (!matchesAlertRule(settings_->events, e.rule, e.action)) return;
    if (queue_.size() >= static_cast<size_t>(settings_->queue)) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(e));
    ++stats_.events;
  }
  wake_.notify_one();
}

AlertStats AlertDispatcher::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void AlertDispatcher::run() {
  for (;;) {
    std::deque<AlertEvent> batch;
    std::shared_ptr<const config::AlertSettings> fresh;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kTick,
                     [this] { return stopping_ || !queue_.empty() || fresh_ != nullptr; });
      if (stopping_) return;
      batch.swap(queue_);
      fresh.swap(fresh_);
    }
    if (fresh) adopt(std::move(fresh));
    const int64_t now = wallMs();
    for (const AlertEvent& e : batch) {
      for (const Alert& a : folding_->offer(e, now)) send(a);
    }
    checkSpend(now);
    for (const Alert& a : folding_->tick(now)) send(a);
    retryDue();
  }
}

// Once a minute, when a spend threshold is set: the last hour's cost from the CDRs. A read
// failure is logged and tried again at the next minute.
void AlertDispatcher::checkSpend(int64_t nowMs) {
  if (nowMs < spendDueMs_) return;
  spendDueMs_ = nowMs + kSpendEveryMs;
  const SpendThresholds limits{active_->spendPerHour, active_->accountSpendPerHour};
  if ((!limits.site && !limits.account) || cdrPath_.empty()) return;
  std::vector<AlertEvent> events;
  try {
    if (!spendDb_) spendDb_ = std::make_unique<db::SpendReader>(cdrPath_);
    events = spendWatch_.update(spendDb_->since(nowMs - kSpendSpanMs), limits, nowMs);
  } catch (const std::exception& e) {
    spendDb_.reset();
    TG_LOG(kMain, warn, "alerts: spend thresholds: {}", e.what());
    return;
  }
  for (const AlertEvent& e : events) {
    if (!matchesAlertRule(active_->events, e.rule, e.action)) continue;
    {
      std::lock_guard lock(mutex_);
      ++stats_.events;
    }
    for (const Alert& a : folding_->offer(e, nowMs)) send(a);
  }
}

void AlertDispatcher::send(const Alert& alert) {
  const int64_t ms = wallMs();
  const std::string id =
      std::to_string(ms) + "-" + std::to_string(nextId_++) + "-" + base::randomHex(4);
  if (!active_->webhooks.empty()) {
    const std::string body = alertJson(alert, host_);
    for (size_t i = 0; i < active_->webhooks.size(); ++i) {
      attempt(Delivery{false, i, body, id, 0, std::chrono::steady_clock::now()});
    }
  }
  for (size_t i = 0; i < active_->mail.size(); ++i) {
    std::string message = mailMessage(alert, host_, active_->mail[i], ms / 1000, id);
    attempt(Delivery{true, i, std::move(message), id, 0, std::chrono::steady_clock::now()});
  }
  if (!syslog_.empty()) {
    const std::string line = syslogLine(alert, host_, static_cast<int>(::getpid()));
    for (auto& s : syslog_) {
      const std::string why = s->send(line);
      std::lock_guard lock(mutex_);
      ++(why.empty() ? stats_.sent : stats_.failed);
      if (!why.empty()) TG_LOG(kMain, warn, "alerts: syslog: {}", why);
    }
  }
}

void AlertDispatcher::attempt(Delivery d) {
  const std::string& where = d.mail ? active_->mail[d.target].url : active_->webhooks[d.target].url;
  const std::string why =
      d.mail ? sendMail(active_->mail[d.target], d.body, active_->timeout)
             : postWebhook(active_->webhooks[d.target], d.body, d.id, active_->timeout);
  std::lock_guard lock(mutex_);
  if (d.attempts > 0) ++stats_.retried;
  if (why.empty()) {
    ++stats_.sent;
    return;
  }
  if (d.attempts >= active_->retries) {
    ++stats_.failed;
    TG_LOG(kMain, warn, "alerts: {} {} failed {} times, giving up: {}", d.mail ? "mail" : "webhook",
           where, d.attempts + 1, why);
    return;
  }
  TG_LOG(kMain, info, "alerts: {} {} failed, will retry: {}", d.mail ? "mail" : "webhook", where,
         why);
  // Exponential backoff: base, 2 base, 4 base, ...
  d.due = std::chrono::steady_clock::now() + active_->retryBase * (1 << std::min(d.attempts, 16));
  ++d.attempts;
  if (retries_.size() >= kMaxRetries) {
    ++stats_.failed;
    retries_.pop_front();
  }
  retries_.push_back(std::move(d));
}

void AlertDispatcher::retryDue() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Delivery> due;
  {
    std::lock_guard lock(mutex_);
    for (auto it = retries_.begin(); it != retries_.end();) {
      if (it->due <= now) {
        due.push_back(std::move(*it));
        it = retries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Delivery& d : due) attempt(std::move(d));
}

}  // namespace tg::app::alerts
