#include "trunk/ares_dns_client.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <asio/post.hpp>
#include <limits>
#include <mutex>

namespace tg::trunk {
namespace {

int aresType(DnsType t) {
  switch (t) {
    case DnsType::kNaptr:
      return 35;  // ns_t_naptr
    case DnsType::kSrv:
      return 33;  // ns_t_srv
    case DnsType::kA:
      return 1;
    case DnsType::kAaaa:
      return 28;
  }
  return 1;
}

uint16_t read16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// The smallest TTL of the answer records of `type`. c-ares 1.18's SRV and NAPTR parsers do not
// report TTLs, so this walks the answer section with c-ares's own name expansion and reads
// only the fixed fields; anything malformed was already refused by the parser that ran first.
std::chrono::seconds minAnswerTtl(const unsigned char* abuf, int alen, int type) {
  constexpr int kHeader = 12;
  if (alen < kHeader) return std::chrono::seconds(0);
  const int questions = read16(abuf + 4);
  const int answers = read16(abuf + 6);
  const unsigned char* p = abuf + kHeader;
  const unsigned char* end = abuf + alen;
  auto skipName = [&]() {
    char* name = nullptr;
    long len = 0;  // NOLINT(runtime/int): c-ares's type
    if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS) return false;
    ares_free_string(name);
    p += len;
    return p <= end;
  };
  for (int i = 0; i < questions; ++i) {
    if (!skipName() || end - p < 4) return std::chrono::seconds(0);
    p += 4;
  }
  uint32_t best = std::numeric_limits<uint32_t>::max();
  for (int i = 0; i < answers; ++i) {
    if (!skipName() || end - p < 10) break;
    const int rrType = read16(p);
    const uint32_t ttl =
        (uint32_t{p[4]} << 24) | (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | uint32_t{p[7]};
    const int rdLength = read16(p + 8);
    p += 10;
    if (end - p < rdLength) break;
    p += rdLength;
    if (rrType == type) best = std::min(best, ttl);
  }
  if (best == std::numeric_limits<uint32_t>::max()) return std::chrono::seconds(0);
  return std::chrono::seconds(best);
}

DnsAnswer parse(DnsType type, const unsigned char* abuf, int alen) {
  DnsAnswer a;
  a.answered = true;
  switch (type) {
    case DnsType::kSrv: {
      ares_srv_reply* srv = nullptr;
      if (const int rc = ares_parse_srv_reply(abuf, alen, &srv); rc != ARES_SUCCESS) {
        if (rc != ARES_ENODATA) a.error = ares_strerror(rc);
        return a;
      }
      for (ares_srv_reply* r = srv; r != nullptr; r = r->next) {
        a.srv.push_back({r->priority, r->weight, r->port, r->host});
      }
      ares_free_data(srv);
      a.ttl = minAnswerTtl(abuf, alen, aresType(type));
      return a;
    }
    case DnsType::kNaptr: {
      ares_naptr_reply* naptr = nullptr;
      if (const int rc = ares_parse_naptr_reply(abuf, alen, &naptr); rc != ARES_SUCCESS) {
        if (rc != ARES_ENODATA) a.error = ares_strerror(rc);
        return a;
      }
      for (ares_naptr_reply* r = naptr; r != nullptr; r = r->next) {
        NaptrRecord n;
        n.order = r->order;
        n.preference = r->preference;
        n.flags = reinterpret_cast<const char*>(r->flags);
        n.service = reinterpret_cast<const char*>(r->service);
        n.replacement = r->replacement;
        a.naptr.push_back(std::move(n));
      }
      ares_free_data(naptr);
      a.ttl = minAnswerTtl(abuf, alen, aresType(type));
      return a;
    }
    case DnsType::kA: {
      ares_addrttl ttls[32];
      int count = 32;
      if (const int rc = ares_parse_a_reply(abuf, alen, nullptr, ttls, &count);
          rc != ARES_SUCCESS) {
        if (rc != ARES_ENODATA) a.error = ares_strerror(rc);
        return a;
      }
      uint32_t best = std::numeric_limits<uint32_t>::max();
      for (int i = 0; i < count; ++i) {
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof(text));
        a.ips.emplace_back(text);
        best = std::min(best, static_cast<uint32_t>(std::max(0, ttls[i].ttl)));
      }
      if (count > 0) a.ttl = std::chrono::seconds(best);
      return a;
    }
    case DnsType::kAaaa: {
      ares_addr6ttl ttls[32];
      int count = 32;
      if (const int rc = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &count);
          rc != ARES_SUCCESS) {
        if (rc != ARES_ENODATA) a.error = ares_strerror(rc);
        return a;
      }
      uint32_t best = std::numeric_limits<uint32_t>::max();
      for (int i = 0; i < count; ++i) {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof(text));
        a.ips.emplace_back(text);
        best = std::min(best, static_cast<uint32_t>(std::max(0, ttls[i].ttl)));
      }
      if (count > 0) a.ttl = std::chrono::seconds(best);
      return a;
    }
  }
  return a;
}

}  // namespace

struct AresDnsClient::Pending {
  AresDnsClient* client;
  std::weak_ptr<bool> alive;
  DnsType type;
  Callback done;
};

AresDnsClient::AresDnsClient(asio::io_context& io) : io_(io), timer_(io) {}

std::unique_ptr<AresDnsClient> AresDnsClient::create(asio::io_context& io,
                                                     const config::DnsSettings& settings,
                                                     std::string* error) {
  static std::once_flag once;
  static int libraryStatus = ARES_SUCCESS;
  std::call_once(once, [] { libraryStatus = ares_library_init(ARES_LIB_INIT_ALL); });
  if (libraryStatus != ARES_SUCCESS) {
    *error = std::string("c-ares: ") + ares_strerror(libraryStatus);
    return nullptr;
  }
  std::unique_ptr<AresDnsClient> client(new AresDnsClient(io));
  ares_options options{};
  options.sock_state_cb = &AresDnsClient::onSocketState;
  options.sock_state_cb_data = client.get();
  options.timeout = static_cast<int>(settings.timeout.count());
  options.tries = settings.attempts;
  // Names in the config are absolute: no search domains.
  options.flags = ARES_FLAG_NOSEARCH;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  if (const int rc = ares_init_options(&client->channel_, &options, mask); rc != ARES_SUCCESS) {
    *error = std::string("c-ares: ") + ares_strerror(rc);
    return nullptr;
  }
  if (!settings.servers.empty()) {
    std::string csv;
    for (const std::string& s : settings.servers) csv += (csv.empty() ? "" : ",") + s;
    if (const int rc = ares_set_servers_ports_csv(client->channel_, csv.c_str());
        rc != ARES_SUCCESS) {
      *error = "c-ares refused the DNS servers '" + csv + "': " + ares_strerror(rc);
      return nullptr;
    }
  }
  return client;
}

AresDnsClient::~AresDnsClient() {
  *alive_ = false;
  timer_.cancel();
  if (channel_ != nullptr) ares_destroy(channel_);  // pending queries end with EDESTRUCTION
  for (auto& [fd, w] : watches_) {
    w->closed = true;
    if (w->descriptor) {
      std::error_code ec;
      w->descriptor->cancel(ec);
      w->descriptor->release();  // c-ares owns (and has closed) the socket
    }
  }
}

void AresDnsClient::query(const std::string& name, DnsType type, Callback done) {
  auto* pending = new Pending{this, alive_, type, std::move(done)};
  ares_query(channel_, name.c_str(), 1 /* C_IN */, aresType(type), &AresDnsClient::onAnswer,
             pending);
  armTimer();
}

void AresDnsClient::onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                             int alen) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  if (status == ARES_EDESTRUCTION || pending->alive.expired() || !*pending->alive.lock()) return;
  DnsAnswer answer;
  if (status == ARES_SUCCESS) {
    answer = parse(pending->type, abuf, alen);
  } else if (status == ARES_ENODATA || status == ARES_ENOTFOUND) {
    answer.answered = true;  // the name or the record type does not exist
  } else {
    answer.error = ares_strerror(status);
  }
  // Never inside query() or inside ares_process_fd(): the caller may start new queries.
  asio::post(pending->client->io_, [alive = pending->alive, done = std::move(pending->done),
                                    answer = std::move(answer)]() mutable {
    if (auto a = alive.lock(); a && *a) done(std::move(answer));
  });
}

void AresDnsClient::onSocketState(void* self, ares_socket_t fd, int readable, int writable) {
  static_cast<AresDnsClient*>(self)->socketState(fd, readable != 0, writable != 0);
}

void AresDnsClient::socketState(ares_socket_t fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close the socket: stop watching it without closing it ourselves.
    if (it == watches_.end()) return;
    std::shared_ptr<Watch> w = it->second;
    watches_.erase(it);
    w->closed = true;
    std::error_code ec;
    w->descriptor->cancel(ec);
    w->descriptor->release();
    return;
  }
  if (it == watches_.end()) {
    auto w = std::make_shared<Watch>();
    w->fd = fd;
    w->descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    it = watches_.emplace(fd, std::move(w)).first;
  }
  std::shared_ptr<Watch> w = it->second;
  w->wantRead = readable;
  w->wantWrite = writable;
  if (readable) armRead(w);
  if (writable) armWrite(w);
}

void AresDnsClient::armRead(const std::shared_ptr<Watch>& w) {
  if (w->reading || w->closed) return;
  w->reading = true;
  w->descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                            [this, w, alive = std::weak_ptr<bool>(alive_)](std::error_code ec) {
                              w->reading = false;
                              if (ec || w->closed || alive.expired()) return;
                              ares_process_fd(channel_, w->fd, ARES_SOCKET_BAD);
                              if (!w->closed && w->wantRead) armRead(w);
                              armTimer();
                            });
}

void AresDnsClient::armWrite(const std::shared_ptr<Watch>& w) {
  if (w->writing || w->closed) return;
  w->writing = true;
  w->descriptor->async_wait(asio::posix::stream_descriptor::wait_write,
                            [this, w, alive = std::weak_ptr<bool>(alive_)](std::error_code ec) {
                              w->writing = false;
                              if (ec || w->closed || alive.expired()) return;
                              ares_process_fd(channel_, ARES_SOCKET_BAD, w->fd);
                              if (!w->closed && w->wantWrite) armWrite(w);
                              armTimer();
                            });
}

void AresDnsClient::armTimer() {
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](std::error_code ec) {
    if (ec || alive.expired()) return;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retries and timeouts
    armTimer();
  });
}

}  // namespace tg::trunk
