#pragma once

// The dashboard's routes on the admin API's HTTP server (admin_server.cc registers them before
// its catch-all): the embedded single-page app, GET /api/v1/series (the charts' rings) and
// GET /api/v1/stream (Server-Sent Events, one `tick` a second). The two API routes need what
// every /api/v1 read needs; `authorize` decides that with AdminApi's own checks.

#include <functional>

#include "app/admin_api/admin_api.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace tg::app::admin_api {

class LiveFeed;

// 200: the request may read; anything else is the answer to send instead.
using Authorize = std::function<ApiResponse(const httplib::Request&)>;

void addDashboardRoutes(httplib::Server& http, LiveFeed& feed, Authorize authorize);

// GET /api/v1/series?step=1|60&since=<unix s>: the rings as JSON; 400 for a bad parameter.
ApiResponse seriesResponse(const LiveFeed& feed, std::string_view step, std::string_view since);

}  // namespace tg::app::admin_api
