// The dashboard's routes on a real cpp-httplib server on a loopback port: the SPA, the series
// and the Server-Sent Events stream (authorisation, the bound on clients, the tick a client
// receives), and that /api/ and /metrics are never answered as dashboard files.

#include "app/admin_api/dashboard_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "app/admin_api/live_feed.h"

namespace tg::app::admin_api {
namespace {

class DashboardRoutesTest : public ::testing::Test {
 protected:
  DashboardRoutesTest() : feed_([this] { return facts_; }, 1) {
    addDashboardRoutes(http_, feed_, [](const httplib::Request& req) {
      ApiResponse r;
      if (req.get_header_value("Cookie") != "tg_session=good") {
        r.status = 401;
        r.body = R"({"error":"log in first"})";
      }
      return r;
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    // Bound already: a connection made before the thread accepts waits in the backlog.
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~DashboardRoutesTest() override {
    feed_.stop();
    http_.stop();
    thread_.join();
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::seconds(10));
    return c;
  }

  StatusFacts facts_;
  LiveFeed feed_;
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
};

const httplib::Headers kLoggedIn = {{"Cookie", "tg_session=good"}};

TEST_F(DashboardRoutesTest, ServesTheAppWithTheCsp) {
  auto c = client();
  const auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  const auto traversal = c.Get("/../../etc/passwd");
  ASSERT_TRUE(traversal);
  EXPECT_EQ(traversal->status, 400);
}

TEST_F(DashboardRoutesTest, ApiAndMetricsPathsAreNotDashboardFiles) {
  auto c = client();
  for (const char* path : {"/api/v1/nothing", "/metrics"}) {
    const auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->body.find("dashboard"), std::string::npos) << path << ": " << r->body;
  }
}

TEST_F(DashboardRoutesTest, SeriesNeedsASessionAndValidParameters) {
  auto c = client();
  EXPECT_EQ(c.Get("/api/v1/series")->status, 401);
  facts_.snapshot.activeCalls = 3;
  feed_.sampleOnce();
  const auto r = c.Get("/api/v1/series?step=1&since=0", kLoggedIn);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const nlohmann::json j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["series"]["calls_now"], nlohmann::json({3.0}));
  EXPECT_EQ(c.Get("/api/v1/series?step=5", kLoggedIn)->status, 400);
  EXPECT_EQ(c.Get("/api/v1/series?since=yesterday", kLoggedIn)->status, 400);
}

TEST_F(DashboardRoutesTest, TheStreamNeedsASessionAndAFreePlace) {
  auto c = client();
  EXPECT_EQ(c.Get("/api/v1/stream")->status, 401);
  auto taken = feed_.subscribe();  // the only place (the bound here is 1)
  ASSERT_NE(taken, nullptr);
  const auto r = c.Get("/api/v1/stream", kLoggedIn);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "10");
}

TEST_F(DashboardRoutesTest, TheStreamSendsTicks) {
  std::atomic<bool> done{false};
  std::string contentType;
  std::string received;
  std::thread reader([&] {
    auto c = client();
    c.Get(
        "/api/v1/stream", kLoggedIn,
        [&](const httplib::Response& res) {
          contentType = res.get_header_value("Content-Type");
          return true;
        },
        [&](const char* data, size_t size) {
          received.append(data, size);
          return received.find("\n\n") == std::string::npos;  // one event, then hang up
        });
    done = true;
  });
  // Publish while the client is connected, until it has had an event (or gave up).
  for (int i = 0; i < 250 && !done; ++i) {
    if (feed_.clients() == 1) feed_.sampleOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reader.join();
  EXPECT_EQ(contentType, "text/event-stream");
  EXPECT_TRUE(received.starts_with("id: ")) << received;
  EXPECT_NE(received.find("\nevent: tick\ndata: {"), std::string::npos) << received;
}

}  // namespace
}  // namespace tg::app::admin_api
