#pragma once

// A DnsClient that answers from a table, later (when deliver() is called), as c-ares would.

#include <deque>
#include <map>
#include <string>
#include <utility>

#include "trunk/dns_types.h"

namespace tg::trunk::testing {

class FakeDns final : public DnsClient {
 public:
  void set(const std::string& name, DnsType type, DnsAnswer answer) {
    answer.answered = answer.answered || answer.error.empty();
    table_[{name, type}] = std::move(answer);
  }
  void addSrv(const std::string& name, SrvRecord r, int ttl = 300) {
    auto& a = table_[{name, DnsType::kSrv}];
    a.answered = true;
    a.ttl = std::chrono::seconds(ttl);
    a.srv.push_back(std::move(r));
  }
  void addIp(const std::string& name, const std::string& ip, int ttl = 300) {
    const DnsType type = ip.find(':') == std::string::npos ? DnsType::kA : DnsType::kAaaa;
    auto& a = table_[{name, type}];
    a.answered = true;
    a.ttl = std::chrono::seconds(ttl);
    a.ips.push_back(ip);
  }
  void fail(const std::string& name, DnsType type) {
    DnsAnswer a;
    a.error = "Timeout while contacting DNS servers";
    table_[{name, type}] = a;
  }

  void query(const std::string& name, DnsType type, Callback done) override {
    ++queries_;
    asked_.push_back(std::string(dnsTypeName(type)) + " " + name);
    queue_.emplace_back(std::make_pair(name, type), std::move(done));
  }
  // Answers everything queued, including queries made by the callbacks.
  void deliver() {
    while (!queue_.empty()) {
      auto [key, done] = std::move(queue_.front());
      queue_.pop_front();
      auto it = table_.find(key);
      DnsAnswer a;
      if (it != table_.end()) {
        a = it->second;
      } else {
        a.answered = true;  // NXDOMAIN
      }
      done(a);
    }
  }
  int queries() const { return queries_; }
  const std::vector<std::string>& asked() const { return asked_; }

 private:
  std::map<std::pair<std::string, DnsType>, DnsAnswer> table_;
  std::deque<std::pair<std::pair<std::string, DnsType>, Callback>> queue_;
  std::vector<std::string> asked_;
  int queries_ = 0;
};

}  // namespace tg::trunk::testing
