#pragma once

// The admin API's routes, independent of the HTTP server that carries them (admin_server.h), so
// each handler is tested without sockets. docs/api.md describes every route; the table of
// routes is in admin_api.cc.
//
// Who may ask: a session (POST /api/v1/login with name, password and TOTP code gives the
// tg_session cookie; always the admin role) or a bearer token (Authorization: Bearer tg_...,
// role viewer or admin, made with `trunkguard admin token add` or POST /api/v1/tokens). A
// session's mutating requests carry its CSRF token in X-CSRF-Token; a token's need none (a
// browser never adds an Authorization header across sites). A viewer may only read.
// Logins (accepted or refused), every action and every refusal of one go to the admin audit
// log; reads do not.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "app/admin_api/api_backend.h"
#include "app/admin_api/sessions.h"

namespace tg::app::admin_api {

inline constexpr const char* kSessionCookie = "tg_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

struct ApiRequest {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string path;    // without the query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string cookie;                                      // the Cookie header as sent
  std::string authorization;                               // the Authorization header
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

// Who a request comes from, once authenticated.
struct Principal {
  std::string actor;  // the admin's name, or "token:<name>"
  auth::ApiRole role = auth::ApiRole::kViewer;
  std::optional<Session> session;  // set for a cookie login
};

class AdminApi {
 public:
  // nowMs: a monotonic clock in ms (session expiry). secureCookie: the Secure attribute (false
  // only in tests that read Set-Cookie back over plain HTTP; the gateway always sets it).
  AdminApi(ApiBackend& backend, SessionTable& sessions, std::function<int64_t()> nowMs,
           bool secureCookie = true);

  ApiResponse handle(const ApiRequest& request);

  // One matched request: who, and the path's {parameters}.
  struct Call {
    const ApiRequest& request;
    const Principal& who;
    std::vector<std::string> args;
  };

 private:
  ApiResponse metrics(const ApiRequest& r);
  ApiResponse login(const ApiRequest& r);
  // The principal, or the 401 to answer.
  std::variant<Principal, ApiResponse> authenticate(const ApiRequest& r);

  // Access (admin_api.cc).
  ApiResponse logout(const Call& c);
  ApiResponse session(const Call& c);
  ApiResponse listTokens(const Call& c);
  ApiResponse createToken(const Call& c);
  ApiResponse revokeToken(const Call& c);
  // The gateway (api_routes.cc).
  ApiResponse status(const Call& c);
  ApiResponse calls(const Call& c);
  ApiResponse endCall(const Call& c);
  ApiResponse events(const Call& c);
  ApiResponse bans(const Call& c);
  ApiResponse addBan(const Call& c);
  ApiResponse removeBan(const Call& c);
  ApiResponse cdrs(const Call& c);
  ApiResponse accounts(const Call& c);
  ApiResponse accountAction(const Call& c);
  ApiResponse registrations(const Call& c);
  ApiResponse reload(const Call& c);
  ApiResponse explain(const Call& c);

  // Audits the action's outcome and answers it.
  ApiResponse acted(const Call& c, const std::string& action, const ActionResult& result,
                    nlohmann::json body);
  std::string sessionCookie(const std::string& value, int64_t maxAgeSeconds) const;

  struct Route {
    const char* method;
    const char* pattern;  // under /api/v1/; "{}" matches one path segment
    ApiResponse (AdminApi::*handler)(const Call&);
    bool acts = true;  // false: a POST that only reads (explain), open to viewers
  };
  static const std::vector<Route>& routes();

  ApiBackend& backend_;
  SessionTable& sessions_;
  std::function<int64_t()> nowMs_;
  bool secureCookie_;
};

// The value of cookie `name` in a Cookie header; "" when absent.
std::string cookieValue(std::string_view header, std::string_view name);
// The first value of query parameter `name`; nullopt when absent.
std::optional<std::string> queryValue(const ApiRequest& r, std::string_view name);
// %XX decoding of one path segment (split before decoding, so "%2F" is a '/' inside it, as in
// a CIDR); nullopt when malformed or when it holds a NUL.
std::optional<std::string> decodeSegment(std::string_view segment);

// JSON answers shared by the route files.
ApiResponse jsonResponse(int status, const nlohmann::json& body);
ApiResponse errorResponse(int status, std::string_view message);
// The request's body as a JSON object, or the 4xx to answer.
std::variant<nlohmann::json, ApiResponse> jsonBody(const ApiRequest& r);

}  // namespace tg::app::admin_api
