// guard/ban/feed_download.h: URL redaction for logs, and bounded downloads against a local
// cpp-httplib server (status codes, body-size cap, redirects).

#include "guard/ban/feed_download.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>
#include <thread>

namespace tg::guard {
namespace {

TEST(FeedUrlTest, RedactionKeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(redactUrl("https://apiban.org/api/SECRETKEY123/banned"), "https://apiban.org");
  EXPECT_EQ(redactUrl("https://apiban.org/api/SECRETKEY123/banned/100"), "https://apiban.org");
  EXPECT_EQ(redactUrl("http://user:pass@feeds.example:8080/list.txt?key=abc#x"),
            "http://feeds.example:8080");
  EXPECT_EQ(redactUrl("http://feeds.example?key=abc"), "http://feeds.example");
  EXPECT_EQ(redactUrl("https://feeds.example:443/x"), "https://feeds.example");
  EXPECT_EQ(redactUrl("HTTPS://Feeds.Example/x"), "https://Feeds.Example");
  EXPECT_EQ(redactUrl("https://[2001:db8::1]:8443/k/list"), "https://[2001:db8::1]:8443");
  // Nothing of a malformed URL is shown either.
  EXPECT_EQ(redactUrl("ftp://feeds.example/SECRET"), "(not an http(s) URL)");
  EXPECT_EQ(redactUrl("https://feeds.example:99999/SECRET"), "(not an http(s) URL)");
  EXPECT_EQ(redactUrl("https:///SECRET"), "(not an http(s) URL)");
}

TEST(FeedUrlTest, PartsAndRedirects) {
  const FeedUrl url = parseFeedUrl("https://apiban.org/api/KEY/banned?x=1#frag");
  ASSERT_TRUE(url.valid());
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.host, "apiban.org");
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.target, "/api/KEY/banned?x=1");
  EXPECT_EQ(parseFeedUrl("http://h").target, "/");
  EXPECT_EQ(parseFeedUrl("http://h?k=1").target, "/?k=1");
  EXPECT_EQ(parseFeedUrl("http://[::1]:81/").host, "::1");

  EXPECT_EQ(resolveRedirect(url, "/other?y").origin(), "https://apiban.org");
  EXPECT_EQ(resolveRedirect(url, "/other?y").target, "/other?y");
  EXPECT_EQ(resolveRedirect(url, "http://mirror.example:8080/l").origin(),
            "http://mirror.example:8080");
  EXPECT_EQ(resolveRedirect(url, "//cdn.example/l").origin(), "https://cdn.example");
  EXPECT_FALSE(resolveRedirect(url, "relative/path").valid());
  EXPECT_FALSE(resolveRedirect(url, "file:///etc/passwd").valid());
}

// A feed server on 127.0.0.1, an ephemeral port, for the life of one test.
class FeedServer {
 public:
  FeedServer() {
    server_.Get("/list.txt", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("# feed\n192.0.2.7\n198.51.100.0/24\n", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, '#'), "text/plain");
    });
    server_.Get("/big-chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 100000) {
          sink.done();
          return true;
        }
        const std::string chunk(1000, '#');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    server_.Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    server_.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/list.txt");
    });
    server_.Get("/loop",
                [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
    server_.Get("/elsewhere", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("gopher://example.com/");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FeedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(FeedDownloadTest, ReturnsTheBodyOfA200) {
  FeedServer server;
  const FeedDownload d = downloadFeed(server.url("/list.txt"), FeedLimits{});
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.body, "# feed\n192.0.2.7\n198.51.100.0/24\n");
}

TEST(FeedDownloadTest, AnHttpErrorIsAFailure) {
  FeedServer server;
  const FeedDownload d = downloadFeed(server.url("/error"), FeedLimits{});
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.status, 500);
  EXPECT_EQ(d.error, "HTTP 500");
  EXPECT_TRUE(d.body.empty());
}

TEST(FeedDownloadTest, BodyOverTheCapIsRefused) {
  FeedServer server;
  FeedLimits limits;
  limits.maxBodyBytes = 1000;
  FeedDownload d = downloadFeed(server.url("/big"), limits);  // Content-Length says so
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error.find("larger than 1000 bytes"), std::string::npos) << d.error;
  EXPECT_TRUE(d.body.empty());
  d = downloadFeed(server.url("/big-chunked"), limits);  // no length: counted while read
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error.find("larger than 1000 bytes"), std::string::npos) << d.error;
  limits.maxBodyBytes = 5000;  // exactly the size: fine
  EXPECT_TRUE(downloadFeed(server.url("/big"), limits).ok());
}

TEST(FeedDownloadTest, RedirectsAreFollowedAFewTimes) {
  FeedServer server;
  FeedDownload d = downloadFeed(server.url("/moved"), FeedLimits{});
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_NE(d.body.find("192.0.2.7"), std::string::npos);
  d = downloadFeed(server.url("/loop"), FeedLimits{});
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.error, "more than 3 redirects");
  d = downloadFeed(server.url("/elsewhere"), FeedLimits{});
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error.find("not an http:// or https:// URL"), std::string::npos) << d.error;
}

TEST(FeedDownloadTest, ConnectionAndTlsFailuresAreReported) {
  int port = 0;
  {
    FeedServer gone;  // a port that was just free
    port = std::stoi(gone.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  FeedLimits limits;
  limits.connectTimeout = std::chrono::seconds(2);
  FeedDownload d = downloadFeed("http://127.0.0.1:" + std::to_string(port) + "/x", limits);
  EXPECT_FALSE(d.ok());
  EXPECT_FALSE(d.error.empty());
  // https to a plain-HTTP server: the handshake fails, nothing is read.
  FeedServer plain;
  std::string url = plain.url("/list.txt");
  url.replace(0, 4, "https");
  d = downloadFeed(url, limits);
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error.find("TLS"), std::string::npos) << d.error;
  EXPECT_EQ(downloadFeed("ftp://127.0.0.1/x", limits).error, "not an http:// or https:// URL");
}

}  // namespace
}  // namespace tg::guard
