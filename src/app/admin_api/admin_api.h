#pragma once

// The admin API's routes, independent of the HTTP server that carries them (admin_server.h), so
// each handler is tested without sockets. docs/api.md describes every route.
//
//   POST /api/v1/login            {"user", "code"} -> session cookie + CSRF token
//   POST /api/v1/logout           ends the session
//   GET  /api/v1/session          who is logged in, and the session's CSRF token
//   GET  /api/v1/status           what `trunkguard status --json` shows
//   GET  /api/v1/calls            the live calls
//   POST /api/v1/calls/{uuid}/end ends a live call
//   GET  /metrics                 Prometheus exposition, to loopback clients only
//
// Every /api/v1 route but login needs a session (cookie tg_session); every POST but login also
// needs the session's token in X-CSRF-Token, and login itself needs a JSON body, which a
// cross-site form cannot send. Logins (accepted or refused), mutations and CSRF refusals are
// written to the admin audit log; reads are not.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/admin_api/sessions.h"
#include "app/admin_code_check.h"
#include "app/server.h"
#include "app/status_report.h"

namespace tg::app::admin_api {

inline constexpr const char* kSessionCookie = "tg_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query
  std::string cookie;  // the Cookie header as sent
  std::string csrfToken;
  std::string contentType;
  std::string body;
  std::string source;     // the client's IP address, for the audit
  bool loopback = false;  // the client connected from a loopback address
};

struct ApiResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the API reads and acts on: the running gateway, or a fake in tests. Called on the API's
// threads, never on a SIP worker.
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;
  virtual StatusFacts status() = 0;
  virtual std::vector<CallEntry> calls() = 0;
  virtual bool endCall(std::string_view uuid, std::string_view reason) = 0;
  virtual AdminCodeCheck checkCode(const std::string& admin, std::string_view code) = 0;
  virtual void audit(const std::string& actor, const std::string& action, const std::string& result,
                     const std::string& source) = 0;
};

class AdminApi {
 public:
  // nowMs: a monotonic clock in ms (session expiry). secureCookie: the Secure attribute (false
  // only in tests that read Set-Cookie back over plain HTTP; the gateway always sets it).
  AdminApi(ApiBackend& backend, SessionTable& sessions, std::function<int64_t()> nowMs,
           bool secureCookie = true);

  ApiResponse handle(const ApiRequest& request);

 private:
  ApiResponse login(const ApiRequest& r);
  ApiResponse logout(const ApiRequest& r, const Session& s);
  ApiResponse endCall(const ApiRequest& r, const Session& s, std::string_view uuid);
  ApiResponse calls();
  std::string sessionCookie(const std::string& value, int64_t maxAgeSeconds) const;

  ApiBackend& backend_;
  SessionTable& sessions_;
  std::function<int64_t()> nowMs_;
  bool secureCookie_;
};

// The value of cookie `name` in a Cookie header; "" when absent.
std::string cookieValue(std::string_view header, std::string_view name);

}  // namespace tg::app::admin_api
