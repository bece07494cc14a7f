#include "trunk/ares_dns_client.h"

#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>
#include <functional>
#include <string>
#include <vector>

namespace tg::trunk {
namespace {

using asio::ip::udp;

std::string encodeName(const std::string& name) {
  std::string out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - start));
    out.append(name, start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  return out;
}

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v >> 16));
  put16(s, static_cast<uint16_t>(v & 0xffff));
}

// A DNS server on loopback that answers from a function of (name, type): each answer record is
// (type, ttl, rdata). No answer at all (`drop`) lets the client time out.
class TestDnsServer {
 public:
  struct Record {
    uint16_t type;
    uint32_t ttl;
    std::string rdata;
  };
  using Answers = std::function<std::vector<Record>(const std::string&, uint16_t, bool& drop)>;

  TestDnsServer(asio::io_context& io, Answers answers)
      : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        answers_(std::move(answers)) {
    receive();
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  int queries = 0;

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), from_, [this](std::error_code ec, size_t n) {
      if (ec) return;
      answer(std::string(buffer_.data(), n));
      receive();
    });
  }
  void answer(const std::string& q) {
    ++queries;
    size_t p = 12;
    std::string name;
    while (p < q.size() && q[p] != 0) {
      const size_t len = static_cast<unsigned char>(q[p]);
      if (!name.empty()) name.push_back('.');
      name.append(q, p + 1, len);
      p += len + 1;
    }
    const size_t questionEnd = p + 5;
    const uint16_t type = static_cast<uint16_t>((static_cast<unsigned char>(q[p + 1]) << 8) |
                                                static_cast<unsigned char>(q[p + 2]));
    bool drop = false;
    const std::vector<Record> records = answers_(name, type, drop);
    if (drop) return;
    std::string r = q.substr(0, 2);
    put16(r, records.empty() ? 0x8183 : 0x8180);  // NXDOMAIN when empty
    put16(r, 1);
    put16(r, static_cast<uint16_t>(records.size()));
    put16(r, 0);
    put16(r, 0);
    r.append(q, 12, questionEnd - 12);
    for (const Record& rec : records) {
      put16(r, 0xc00c);  // the question's name
      put16(r, rec.type);
      put16(r, 1);
      put32(r, rec.ttl);
      put16(r, static_cast<uint16_t>(rec.rdata.size()));
      r += rec.rdata;
    }
    socket_.send_to(asio::buffer(r), from_);
  }

  udp::socket socket_;
  udp::endpoint from_;
  std::array<char, 1500> buffer_{};
  Answers answers_;
};

std::string srvData(uint16_t priority, uint16_t weight, uint16_t port, const std::string& target) {
  std::string s;
  put16(s, priority);
  put16(s, weight);
  put16(s, port);
  return s + encodeName(target);
}

class AresDnsClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<AresDnsClient> client(uint16_t port) {
    config::DnsSettings settings;
    settings.servers = {"127.0.0.1:" + std::to_string(port)};
    settings.timeout = std::chrono::milliseconds(200);
    settings.attempts = 1;
    std::string why;
    auto c = AresDnsClient::create(io_, settings, &why);
    EXPECT_NE(c, nullptr) << why;
    return c;
  }
  // Runs the loop until `done` or two seconds pass.
  void runUntil(const bool& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(10));
      io_.restart();
    }
  }
  asio::io_context io_;
};

TEST_F(AresDnsClientTest, SrvRecordsWithTheirTtl) {
  TestDnsServer server(io_, [](const std::string& name, uint16_t type, bool&) {
    std::vector<TestDnsServer::Record> out;
    if (name == "_sip._udp.carrier.test" && type == 33) {
      out.push_back({33, 120, srvData(10, 60, 5070, "a.carrier.test")});
      out.push_back({33, 90, srvData(20, 0, 5080, "b.carrier.test")});
    }
    return out;
  });
  auto dns = client(server.port());
  DnsAnswer answer;
  bool done = false;
  bool inside = true;
  dns->query("_sip._udp.carrier.test", DnsType::kSrv, [&](DnsAnswer a) {
    EXPECT_FALSE(inside) << "the callback ran inside query()";
    answer = std::move(a);
    done = true;
  });
  inside = false;
  runUntil(done);
  ASSERT_TRUE(done);
  EXPECT_TRUE(answer.answered) << answer.error;
  ASSERT_EQ(answer.srv.size(), 2u);
  EXPECT_EQ(answer.srv[0].target, "a.carrier.test");
  EXPECT_EQ(answer.srv[0].port, 5070);
  EXPECT_EQ(answer.srv[0].weight, 60);
  EXPECT_EQ(answer.srv[1].priority, 20);
  EXPECT_EQ(answer.ttl, std::chrono::seconds(90));  // the smaller of the two
}

TEST_F(AresDnsClientTest, AddressRecords) {
  TestDnsServer server(io_, [](const std::string& name, uint16_t type, bool&) {
    std::vector<TestDnsServer::Record> out;
    if (name == "a.carrier.test" && type == 1) {
      out.push_back({1, 300, std::string("\xc0\x00\x02\x07", 4)});
    }
    return out;
  });
  auto dns = client(server.port());
  DnsAnswer a4;
  DnsAnswer nx;
  int done = 0;
  dns->query("a.carrier.test", DnsType::kA, [&](DnsAnswer a) { a4 = std::move(a), ++done; });
  dns->query("missing.carrier.test", DnsType::kA, [&](DnsAnswer a) { nx = std::move(a), ++done; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (done < 2 && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(std::chrono::milliseconds(10));
    io_.restart();
  }
  ASSERT_EQ(done, 2);
  EXPECT_EQ(a4.ips, std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(a4.ttl, std::chrono::seconds(300));
  EXPECT_TRUE(nx.answered);  // NXDOMAIN is an answer: nothing there
  EXPECT_TRUE(nx.empty());
}

TEST_F(AresDnsClientTest, SilentServerTimesOut) {
  TestDnsServer server(io_, [](const std::string&, uint16_t, bool& drop) {
    drop = true;
    return std::vector<TestDnsServer::Record>{};
  });
  auto dns = client(server.port());
  DnsAnswer answer;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  dns->query("x.carrier.test", DnsType::kA, [&](DnsAnswer a) {
    answer = std::move(a);
    done = true;
  });
  runUntil(done);
  ASSERT_TRUE(done);
  EXPECT_FALSE(answer.answered);
  EXPECT_FALSE(answer.error.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_GE(server.queries, 1);
}

TEST_F(AresDnsClientTest, DestroyedClientNeverCallsBack) {
  TestDnsServer server(io_, [](const std::string&, uint16_t, bool& drop) {
    drop = true;
    return std::vector<TestDnsServer::Record>{};
  });
  bool called = false;
  {
    auto dns = client(server.port());
    dns->query("x.carrier.test", DnsType::kA, [&](DnsAnswer) { called = true; });
    io_.run_for(std::chrono::milliseconds(20));
    io_.restart();
  }
  io_.run_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace tg::trunk
