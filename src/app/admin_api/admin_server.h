#pragma once

// The admin API's HTTP(S) listener: cpp-httplib on a thread of its own with its own pool of
// `admin.threads` request threads (plus one for each of at most 8 dashboard streams), never a
// SIP worker. Plain HTTP only on loopback (the config
// refuses anything else); TLS 1.2 or later with admin.certificate and admin.private_key.
// Each request goes to AdminApi::handle whatever its path and method, but for the dashboard and
// its series and stream (dashboard_routes.h).

#include <memory>
#include <string>
#include <thread>

#include "config/admin_config.h"

namespace httplib {
class Server;
}

namespace tg::app::admin_api {

class AdminApi;
class ApiBackend;
class LiveFeed;
class SessionTable;

class AdminServer {
 public:
  AdminServer();
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Loads the TLS files and binds admin.listen; "" or why not. backend must outlive this.
  std::string open(const config::AdminSettings& settings, ApiBackend& backend);
  // Serves on its own thread.
  void start();
  // Stops accepting, finishes the requests in progress and joins the threads.
  void stop();

 private:
  std::unique_ptr<SessionTable> sessions_;
  std::unique_ptr<AdminApi> api_;
  std::unique_ptr<LiveFeed> feed_;  // the dashboard's series and stream (dashboard_routes.h)
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace tg::app::admin_api
