#include "store/redis_link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/log.h"
#include "store/redis_scripts.h"

namespace tg::store::redis {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string_view linkStateName(LinkState s) {
  switch (s) {
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kUp:
      return "up";
    case LinkState::kSlow:
      return "slow";
    case LinkState::kDown:
      return "down";
  }
  return "unknown";
}

// One connection and what its hiredis context asked of the loop.
struct Link::Conn {
  Link* link = nullptr;
  bool subscriber = false;
  redisAsyncContext* ac = nullptr;
  bool wantRead = false;
  bool wantWrite = false;
  bool up = false;        // the handshake is done
  bool dropping = false;  // freed, waiting for hiredis to let go
  base::TimePoint startedAt{};
  base::TimePoint retryAt{};
  base::Duration backoff{};
  std::set<std::string, std::less<>> subscribed;
};

struct Link::Pending {
  Command command;
  Conn* conn = nullptr;
  base::TimePoint sent{};
  base::TimePoint deadline{};
  bool expired = false;  // onFail already ran
  bool retried = false;  // resent as EVAL after NOSCRIPT
  bool inList = false;
  std::list<Pending*>::iterator at;
  std::function<void(redisReply*)> internal;  // handshake and probes: every reply, or null
};

namespace {

Link::Conn* connOf(void* data) { return static_cast<Link::Conn*>(data); }

}  // namespace

Link::Link(LinkOptions options, Message onMessage, StateChange onState)
    : options_(std::move(options)), onMessage_(std::move(onMessage)), onState_(std::move(onState)) {
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  commands_ = std::make_unique<Conn>();
  subscriber_ = std::make_unique<Conn>();
  for (Conn* c : {commands_.get(), subscriber_.get()}) {
    c->link = this;
    c->backoff = options_.backoffMin;
  }
  subscriber_->subscriber = true;
  thread_ = std::thread([this] { run(); });
}

Link::~Link() {
  stop();
  ::close(wakeFd_);
}

void Link::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void Link::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void Link::submit(Command command) {
  if (!healthy() || stopping_) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    if (command.onFail) command.onFail();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(command));
  }
  wake();
}

void Link::subscribe(std::string_view channel) {
  {
    std::lock_guard lock(mutex_);
    if (!channels_.emplace(channel).second) return;
    channelsChanged_ = true;
  }
  wake();
}

LinkStats Link::stats() const {
  LinkStats s;
  s.state = state_.load(std::memory_order_relaxed);
  s.sent = sent_.load(std::memory_order_relaxed);
  s.answered = answered_.load(std::memory_order_relaxed);
  s.timedOut = timedOut_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.messages = messages_.load(std::memory_order_relaxed);
  return s;
}

void Link::setState(LinkState s, const std::string& why) {
  if (state_.exchange(s) == s) return;
  TG_LOG(kDb, info, "redis store {}: {}", linkStateName(s), why);
  if (onState_) onState_(s, why);
}

void Link::run() {
  while (!stopping_) {
    const base::TimePoint now = Clock::now();
    for (Conn* c : {commands_.get(), subscriber_.get()}) {
      if (c->ac == nullptr && now >= c->retryAt) connect(*c);
    }
    drainQueue();
    bool resubscribe = false;
    {
      std::lock_guard lock(mutex_);
      resubscribe = channelsChanged_;
      channelsChanged_ = false;
    }
    if (resubscribe && subscriber_->up) subscribeAll(*subscriber_);
    checkDeadlines(Clock::now());

    // Sleep until the next deadline (commands in flight: a millisecond's precision), the next
    // reconnect, or at most 100 ms.
    base::TimePoint until = Clock::now() + milliseconds(100);
    for (const Pending* p : inflight_) {
      if (!p->expired) until = std::min(until, p->deadline);
    }
    for (const Conn* c : {commands_.get(), subscriber_.get()}) {
      if (c->ac == nullptr) until = std::min(until, c->retryAt);
    }
    const auto waitMs = std::max<int64_t>(
        0,
        duration_cast<milliseconds>(until - Clock::now() + std::chrono::microseconds(999)).count());

    pollfd fds[3];
    Conn* owners[3] = {nullptr, nullptr, nullptr};
    nfds_t n = 0;
    fds[n++] = {wakeFd_, POLLIN, 0};
    for (Conn* c : {commands_.get(), subscriber_.get()}) {
      if (c->ac == nullptr) continue;
      owners[n] = c;
      fds[n++] = {c->ac->c.fd,
                  static_cast<short>((c->wantRead ? POLLIN : 0) | (c->wantWrite ? POLLOUT : 0)), 0};
    }
    const int ready = ::poll(fds, n, static_cast<int>(waitMs));
    if (ready <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t r = ::read(wakeFd_, &count, sizeof count);
    }
    for (nfds_t i = 1; i < n; ++i) {
      Conn* c = owners[i];
      const short ev = fds[i].revents;
      if (ev == 0 || c->ac == nullptr) continue;
      if ((ev & (POLLIN | POLLERR | POLLHUP)) != 0) redisAsyncHandleRead(c->ac);
      if (c->ac != nullptr && (ev & POLLOUT) != 0) redisAsyncHandleWrite(c->ac);
    }
  }
  // Stopping: in-flight callbacks see stopping_ and only free their state.
  for (Conn* c : {commands_.get(), subscriber_.get()}) {
    if (c->ac != nullptr) redisAsyncFree(c->ac);
  }
  std::deque<Command> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
}

void Link::drainQueue() {
  std::deque<Command> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  for (Command& command : batch) {
    if (!commands_->up || state_.load() != LinkState::kUp) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      if (command.onFail) command.onFail();
      continue;
    }
    auto* p = new Pending{};
    p->command = std::move(command);
    p->conn = commands_.get();
    p->sent = Clock::now();
    p->deadline = p->sent + options_.timeout;
    send(p);
  }
}

void Link::send(Pending* p) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  const std::string keys = std::to_string(p->command.keys);
  if (p->command.script != nullptr) {
    const Script& s = *p->command.script;
    argv = {p->retried ? "EVAL" : "EVALSHA", p->retried ? s.text.c_str() : s.sha.c_str(),
            keys.c_str()};
    lens = {p->retried ? 4u : 7u, p->retried ? s.text.size() : s.sha.size(), keys.size()};
  }
  for (const std::string& a : p->command.args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Conn& c = *p->conn;
  const int rc = c.ac == nullptr
                     ? REDIS_ERR
                     : redisAsyncCommandArgv(c.ac, replyThunk, p, static_cast<int>(argv.size()),
                                             argv.data(), lens.data());
  if (rc != REDIS_OK) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    if (!p->expired && p->command.onFail) p->command.onFail();
    delete p;
    return;
  }
  if (!p->retried) sent_.fetch_add(1, std::memory_order_relaxed);
  if (!p->internal) {
    p->at = inflight_.insert(inflight_.end(), p);
    p->inList = true;
  }
}

void Link::sendInternal(Conn& c, std::vector<std::string> args,
                        std::function<void(redisReply*)> handle) {
  auto* p = new Pending{};
  p->command.args = std::move(args);
  p->conn = &c;
  p->sent = Clock::now();
  p->internal = std::move(handle);
  send(p);
}

void Link::replyThunk(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* p = static_cast<Pending*>(privdata);
  connOf(ac->ev.data)->link->answered(p, static_cast<redisReply*>(reply));
}

void Link::answered(Pending* p, redisReply* reply) {
  if (p->inList) {
    inflight_.erase(p->at);
    p->inList = false;
  }
  if (stopping_) {
    delete p;
    return;
  }
  if (p->internal) {
    p->internal(reply);
    delete p;
    return;
  }
  const bool error = reply == nullptr || reply->type == REDIS_REPLY_ERROR;
  if (reply != nullptr && error && p->command.script != nullptr && !p->retried &&
      std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
    // First use of the script since Redis started: send its text once, Redis keeps it.
    p->retried = true;
    send(p);
    return;
  }
  if (error) {
    if (reply != nullptr) {
      TG_LOG(kDb, warn, "redis store: {} failed: {}",
             p->command.script != nullptr ? p->command.script->name : std::string_view("command"),
             std::string_view(reply->str, reply->len));
    }
    failed_.fetch_add(1, std::memory_order_relaxed);
    if (!p->expired && p->command.onFail) p->command.onFail();
  } else {
    answered_.fetch_add(1, std::memory_order_relaxed);
    if (!p->expired && p->command.onReply) p->command.onReply(*reply);
    if (state_.load() == LinkState::kSlow) setState(LinkState::kUp, "Redis answers in time again");
  }
  delete p;
}

void Link::checkDeadlines(base::TimePoint now) {
  std::vector<Pending*> late;
  for (Pending* p : inflight_) {
    if (p->expired || now < p->deadline) continue;
    p->expired = true;
    late.push_back(p);
  }
  // The state changes before the local answers go out: a caller that got one sees the store as
  // not shared.
  if (!late.empty() && state_.load() == LinkState::kUp) {
    setState(LinkState::kSlow,
             "a command had no answer within " +
                 std::to_string(duration_cast<milliseconds>(options_.timeout).count()) + " ms");
  }
  for (Pending* p : late) {
    timedOut_.fetch_add(1, std::memory_order_relaxed);
    if (p->command.onFail) p->command.onFail();
  }
  if (!inflight_.empty() && now - inflight_.front()->sent >= options_.stall) {
    dropConnection(
        *commands_,
        "no answer for " +
            std::to_string(duration_cast<milliseconds>(now - inflight_.front()->sent).count()) +
            " ms");
  }
  for (Conn* c : {commands_.get(), subscriber_.get()}) {
    if (c->ac != nullptr && !c->up && !c->dropping && now - c->startedAt >= options_.stall) {
      dropConnection(*c, "no answer to the connection's handshake");
    }
  }
  // Slow with nothing in flight: ask whether Redis answers again.
  if (state_.load() == LinkState::kSlow && inflight_.empty() && commands_->up &&
      now - lastProbe_ >= milliseconds(100)) {
    lastProbe_ = now;
    auto* p = new Pending{};
    p->command.args = {"PING"};
    p->conn = commands_.get();
    p->sent = now;
    p->deadline = now + options_.timeout;
    send(p);
  }
}

void Link::connect(Conn& c) {
  c.dropping = false;
  c.up = false;
  c.subscribed.clear();
  c.startedAt = Clock::now();
  redisAsyncContext* ac = redisAsyncConnect(options_.endpoint.host.c_str(), options_.endpoint.port);
  if (ac == nullptr || ac->err != 0) {
    const std::string why = ac != nullptr ? ac->errstr : "out of memory";
    if (ac != nullptr) redisAsyncFree(ac);
    c.ac = nullptr;
    lost(c);
    TG_LOG(kDb, warn, "redis store: cannot connect to {}:{}: {}", options_.endpoint.host,
           options_.endpoint.port, why);
    return;
  }
  c.ac = ac;
  ac->ev.data = &c;
  ac->ev.addRead = [](void* d) { connOf(d)->wantRead = true; };
  ac->ev.delRead = [](void* d) { connOf(d)->wantRead = false; };
  ac->ev.addWrite = [](void* d) { connOf(d)->wantWrite = true; };
  ac->ev.delWrite = [](void* d) { connOf(d)->wantWrite = false; };
  // hiredis is about to free the context (error, drop or stop).
  ac->ev.cleanup = [](void* d) {
    Conn* conn = connOf(d);
    conn->ac = nullptr;
    conn->link->lost(*conn);
  };
  redisAsyncSetConnectCallback(ac, connectThunk);
  redisAsyncSetDisconnectCallback(ac, disconnectThunk);
}

void Link::connectThunk(const redisAsyncContext* ac, int status) {
  Conn* c = connOf(ac->ev.data);
  if (status != REDIS_OK) {
    TG_LOG(kDb, warn, "redis store: cannot connect to {}:{}: {}", c->link->options_.endpoint.host,
           c->link->options_.endpoint.port, ac->errstr);
    return;  // hiredis frees the context: cleanup -> lost()
  }
  c->link->handshake(*c);
}

void Link::disconnectThunk(const redisAsyncContext* ac, int status) {
  if (status != REDIS_OK && ac->errstr[0] != '\0') {
    TG_LOG(kDb, warn, "redis store: connection lost: {}", ac->errstr);
  }
}

void Link::handshake(Conn& c) {
  const Endpoint& e = options_.endpoint;
  auto refuse = [this, &c](const char* step) {
    return [this, &c, step](redisReply* reply) {
      if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return;
      // Redis's own error text ("WRONGPASS ...") never repeats the password.
      dropConnection(
          c, std::string("Redis refused ") + step + ": " + std::string(reply->str, reply->len));
    };
  };
  if (!e.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!e.username.empty()) auth.push_back(e.username);
    auth.push_back(e.password);
    sendInternal(c, std::move(auth), refuse("AUTH"));
  }
  if (e.database != 0) sendInternal(c, {"SELECT", std::to_string(e.database)}, refuse("SELECT"));
  sendInternal(c, {"PING"}, [this, &c](redisReply* reply) {
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR || c.dropping) return;
    c.up = true;
    c.backoff = options_.backoffMin;
    if (c.subscriber) {
      subscribeAll(c);
      return;
    }
    connects_.fetch_add(1, std::memory_order_relaxed);
    setState(LinkState::kUp, "connected to " + options_.endpoint.host + ":" +
                                 std::to_string(options_.endpoint.port));
  });
}

void Link::dropConnection(Conn& c, const std::string& why) {
  if (c.ac == nullptr || c.dropping) return;
  TG_LOG(kDb, warn, "redis store: dropping the {} connection: {}",
         c.subscriber ? "subscriber" : "command", why);
  c.dropping = true;
  if (!c.subscriber) setState(LinkState::kDown, why);
  redisAsyncFree(c.ac);  // inside a callback hiredis frees it when the callback returns
}

void Link::lost(Conn& c) {
  const bool wasUp = c.up;
  c.ac = nullptr;
  c.wantRead = c.wantWrite = false;
  c.up = false;
  c.subscribed.clear();
  c.retryAt = Clock::now() + c.backoff;
  c.backoff = std::min(c.backoff * 2, options_.backoffMax);
  if (stopping_ || c.subscriber) return;
  setState(LinkState::kDown, wasUp ? "connection to Redis lost" : "cannot connect to Redis");
}

void Link::subscribeAll(Conn& c) {
  std::vector<std::string> fresh;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& ch : channels_) {
      if (!c.subscribed.contains(ch)) fresh.push_back(ch);
    }
  }
  for (const std::string& ch : fresh) {
    const char* argv[] = {"SUBSCRIBE", ch.c_str()};
    const size_t lens[] = {9, ch.size()};
    if (redisAsyncCommandArgv(c.ac, subscribeThunk, this, 2, argv, lens) == REDIS_OK) {
      c.subscribed.insert(ch);
    }
  }
}

void Link::subscribeThunk(redisAsyncContext* /*ac*/, void* r, void* privdata) {
  auto* link = static_cast<Link*>(privdata);
  const auto* reply = static_cast<redisReply*>(r);
  if (reply == nullptr || link->stopping_ || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements != 3) {
    return;
  }
  const redisReply* kind = reply->element[0];
  if (kind->type != REDIS_REPLY_STRING || std::string_view(kind->str, kind->len) != "message") {
    return;  // the subscription's confirmation
  }
  link->messages_.fetch_add(1, std::memory_order_relaxed);
  if (link->onMessage_) {
    link->onMessage_(std::string_view(reply->element[1]->str, reply->element[1]->len),
                     std::string_view(reply->element[2]->str, reply->element[2]->len));
  }
}

}  // namespace tg::store::redis
