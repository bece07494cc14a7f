#include "app/admin_api/dashboard_routes.h"

#include <httplib.h>

#include <charconv>
#include <chrono>

#include "app/admin_api/live_feed.h"
#include "app/admin_api/static_assets.h"

namespace tg::app::admin_api {
namespace {

// A quiet stream still sends a comment this often, so proxies and the browser keep it open
// and a client that went away is noticed.
constexpr auto kKeepAlive = std::chrono::seconds(15);
// A stream checks its session again this often: logging out or expiring ends it.
constexpr auto kReauthorize = std::chrono::seconds(30);

void send(httplib::Response& res, const ApiResponse& out) {
  res.status = out.status;
  res.set_content(out.body, out.contentType.c_str());
  for (const auto& [name, value] : out.headers) res.set_header(name.c_str(), value);
  res.set_header("X-Content-Type-Options", "nosniff");
}

ApiResponse jsonError(int status, std::string_view message) {
  ApiResponse r;
  r.status = status;
  r.body = nlohmann::json({{"error", message}}).dump();
  return r;
}

bool parseInt(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

ApiResponse seriesResponse(const LiveFeed& feed, std::string_view step, std::string_view since) {
  SeriesRing::Step resolution = SeriesRing::Step::kSecond;
  if (step == "60") {
    resolution = SeriesRing::Step::kMinute;
  } else if (!step.empty() && step != "1") {
    return jsonError(400, "step is 1 (the last hour, per second) or 60 (the last day, per minute)");
  }
  int64_t from = 0;
  if (!since.empty() && !parseInt(since, &from)) {
    return jsonError(400, "since is a time in unix seconds");
  }
  ApiResponse r;
  r.body = feed.series().json(resolution, from).dump();
  return r;
}

void addDashboardRoutes(httplib::Server& http, LiveFeed& feed, Authorize authorize) {
  http.Get(
      "/api/v1/series", [&feed, authorize](const httplib::Request& req, httplib::Response& res) {
        ApiResponse out = authorize(req);
        if (out.status == 200) {
          out = seriesResponse(feed, req.get_param_value("step"), req.get_param_value("since"));
        }
        send(res, out);
        res.set_header("Cache-Control", "no-store");
      });

  http.Get(
      "/api/v1/stream", [&feed, authorize](const httplib::Request& req, httplib::Response& res) {
        const ApiResponse allowed = authorize(req);
        if (allowed.status != 200) {
          send(res, allowed);
          return;
        }
        std::shared_ptr<LiveFeed::Subscription> subscription = feed.subscribe();
        if (!subscription) {
          send(res, jsonError(503, "too many live dashboards connected; close one and retry"));
          res.set_header("Retry-After", "10");
          return;
        }
        res.set_header("Cache-Control", "no-store");
        res.set_header("X-Content-Type-Options", "nosniff");
        auto checked = std::chrono::steady_clock::now();
        // What authorize reads of the request, kept: the provider runs after this handler returns.
        auto request = std::make_shared<httplib::Request>();
        request->method = req.method;
        request->path = req.path;
        request->headers = req.headers;
        request->remote_addr = req.remote_addr;
        request->remote_port = req.remote_port;
        res.set_chunked_content_provider(
            "text/event-stream", [&feed, authorize, subscription, checked, request](
                                     size_t, httplib::DataSink& sink) mutable {
              const std::optional<std::string> message = feed.next(
                  *subscription, std::chrono::duration_cast<std::chrono::milliseconds>(kKeepAlive));
              if (!message) return false;  // the gateway is stopping
              if (std::chrono::steady_clock::now() - checked > kReauthorize) {
                if (authorize(*request).status != 200) return false;  // logged out or expired
                checked = std::chrono::steady_clock::now();
              }
              const std::string out = message->empty() ? std::string(": keep-alive\n\n") : *message;
              return sink.write(out.data(), out.size());  // false: the client went away
            });
      });

  // Everything else that is not the API is the dashboard. (ECMAScript lookahead: /api/... and
  // /metrics stay with the API's catch-all.)
  http.Get(R"(/(?!api/|metrics$).*)", [](const httplib::Request& req, httplib::Response& res) {
    send(res, serveAsset(req.method, req.path));
  });
}

}  // namespace tg::app::admin_api
