#include "app/admin_api/admin_server.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "app/admin_api/admin_api.h"
#include "app/admin_api/dashboard_routes.h"
#include "app/admin_api/live_feed.h"
#include "app/admin_api/sessions.h"
#include "base/openssl_error.h"

namespace tg::app::admin_api {
namespace {

constexpr size_t kMaxBody = 64 * 1024;
// Live dashboards at once: each holds a request thread of its own, added to admin.threads.
constexpr size_t kMaxStreamClients = 8;

int64_t monotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<httplib::Server> tlsServer(const config::AdminSettings& s, std::string* error) {
  auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, s.certificate.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(&ctx, s.privateKey.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(&ctx) != 1) {
      *error = "admin API: cannot load " + s.certificate + " and " + s.privateKey + ": " +
               base::lastOpensslError();
      return false;
    }
    return true;
  });
  if (!server->is_valid()) {
    if (error->empty()) *error = "admin API: cannot set up TLS: " + base::lastOpensslError();
    return nullptr;
  }
  return server;
}

ApiRequest toApiRequest(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  // The target as sent: the path still percent-encoded, so "bans/10.0.0.0%2F8" stays one
  // segment (req.path is already decoded).
  r.path = req.target.substr(0, req.target.find('?'));
  for (const auto& [name, value] : req.params) r.query.emplace_back(name, value);
  r.authorization = req.get_header_value("Authorization");
  r.cookie = req.get_header_value("Cookie");
  r.csrfToken = req.get_header_value(kCsrfHeader);
  r.contentType = req.get_header_value("Content-Type");
  r.body = req.body;
  r.source = req.remote_addr;
  const auto address = base::Address::parse(req.remote_addr, 0);
  r.loopback = address && address->isLoopback();
  return r;
}

}  // namespace

AdminServer::AdminServer() = default;

AdminServer::~AdminServer() { stop(); }

std::string AdminServer::open(const config::AdminSettings& settings, ApiBackend& backend) {
  std::string error;
  if (settings.tls()) {
    http_ = tlsServer(settings, &error);
    if (!http_) return error;
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  sessions_ = std::make_unique<SessionTable>(settings.sessionIdle, settings.sessionMax);
  api_ = std::make_unique<AdminApi>(backend, *sessions_, monotonicMs);
  const size_t threads = static_cast<size_t>(settings.threads) + kMaxStreamClients;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(kMaxBody);
  http_->set_read_timeout(std::chrono::seconds(5));
  http_->set_write_timeout(std::chrono::seconds(5));
  http_->set_keep_alive_timeout(2);
  // Every path and method goes to the API, which answers 404 and 405 itself. (Routes rather
  // than a pre-routing handler: the body is read only once a route matched.)
  const auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    const ApiResponse out = api_->handle(toApiRequest(req));
    res.status = out.status;
    res.set_content(out.body, out.contentType.c_str());
    for (const auto& [name, value] : out.headers) res.set_header(name.c_str(), value);
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
  };
  feed_ = std::make_unique<LiveFeed>([&backend] { return backend.status(); }, kMaxStreamClients);
  addDashboardRoutes(*http_, *feed_, [this](const httplib::Request& req) {
    ApiRequest session = toApiRequest(req);  // a read needs what GET /api/v1/session needs
    session.path = "/api/v1/session";
    return api_->handle(session);
  });
  constexpr const char* kAnyPath = ".*";
  http_->Get(kAnyPath, serve);
  http_->Post(kAnyPath, serve);
  http_->Put(kAnyPath, serve);
  http_->Patch(kAnyPath, serve);
  http_->Delete(kAnyPath, serve);
  http_->Options(kAnyPath, serve);
  if (!http_->bind_to_port(settings.listen.ip(), settings.listen.port())) {
    return "admin API: cannot listen on " + settings.listen.toString() + ": " +
           std::strerror(errno);
  }
  return {};
}

void AdminServer::start() {
  if (!http_) return;
  feed_->start();
  thread_ = std::thread([http = http_.get()] { http->listen_after_bind(); });
}

void AdminServer::stop() {
  if (!http_) return;
  if (feed_) feed_->stop();  // first: it wakes the streams, which the server's stop waits for
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tg::app::admin_api
