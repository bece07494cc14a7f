#include "app/admin_api/admin_api.h"

#include <nlohmann/json.hpp>

#include "app/admin_api/metrics_text.h"
#include "auth/lockout.h"

namespace tg::app::admin_api {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxCodeLength = 16;

ApiResponse json(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  // Names and call data come from the network: bytes that are not UTF-8 never make dump throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse error(int status, std::string_view message) {
  return json(status, {{"error", message}});
}

std::string_view callStateName(b2bua::CallState s) {
  switch (s) {
    case b2bua::CallState::kRouting:
      return "routing";
    case b2bua::CallState::kEarly:
      return "early";
    case b2bua::CallState::kConfirmed:
      return "confirmed";
    case b2bua::CallState::kEnded:
      return "ended";
  }
  return "unknown";
}

bool isJson(std::string_view contentType) {
  return contentType.substr(0, contentType.find(';')) == "application/json";
}

}  // namespace

std::string cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

AdminApi::AdminApi(ApiBackend& backend, SessionTable& sessions, std::function<int64_t()> nowMs,
                   bool secureCookie)
    : backend_(backend),
      sessions_(sessions),
      nowMs_(std::move(nowMs)),
      secureCookie_(secureCookie) {}

std::string AdminApi::sessionCookie(const std::string& value, int64_t maxAgeSeconds) const {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/; Max-Age=" + std::to_string(maxAgeSeconds) + "; HttpOnly; SameSite=Strict" +
         (secureCookie_ ? "; Secure" : "");
}

ApiResponse AdminApi::handle(const ApiRequest& r) {
  if (r.path == "/metrics") {
    if (r.method != "GET") return error(405, "GET only");
    if (!r.loopback) return error(403, "/metrics answers loopback clients only");
    ApiResponse m;
    m.contentType = kMetricsContentType;
    m.body = metricsText(backend_.status());
    return m;
  }
  if (!r.path.starts_with(kApiPrefix)) return error(404, "no such route");
  const std::string_view route = std::string_view(r.path).substr(kApiPrefix.size());
  const bool post = r.method == "POST";
  if (!post && r.method != "GET") return error(405, "GET or POST only");

  if (route == "login") return post ? login(r) : error(405, "POST only");

  const std::optional<Session> s = sessions_.use(cookieValue(r.cookie, kSessionCookie), nowMs_());
  if (!s) return error(401, "log in first (POST /api/v1/login); the session is missing or expired");
  if (post && !sameSecret(r.csrfToken, s->csrf)) {
    backend_.audit(s->admin, "api " + auth::printableName(route),
                   "refused: missing or wrong CSRF token", r.source);
    return error(403, "missing or wrong X-CSRF-Token (GET /api/v1/session gives it)");
  }

  if (route == "logout") return post ? logout(r, *s) : error(405, "POST only");
  if (route == "session") {
    if (post) return error(405, "GET only");
    return json(200, {{"admin", s->admin}, {"csrf_token", s->csrf}});
  }
  if (route == "status") {
    if (post) return error(405, "GET only");
    return json(200, statusJson(backend_.status()));
  }
  if (route == "calls") return post ? error(405, "GET only") : calls();
  constexpr std::string_view kCalls = "calls/";
  constexpr std::string_view kEnd = "/end";
  if (route.starts_with(kCalls) && route.ends_with(kEnd) &&
      route.size() > kCalls.size() + kEnd.size()) {
    if (!post) return error(405, "POST only");
    return endCall(r, *s, route.substr(kCalls.size(), route.size() - kCalls.size() - kEnd.size()));
  }
  return error(404, "no such route");
}

ApiResponse AdminApi::login(const ApiRequest& r) {
  if (!isJson(r.contentType)) return error(415, "send JSON: Content-Type: application/json");
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return error(400, "the body is not a JSON object");
  const auto user = body.find("user");
  const auto code = body.find("code");
  if (user == body.end() || !user->is_string() || code == body.end() || !code->is_string()) {
    return error(400, "give \"user\" and \"code\" (the admin's current TOTP code) as strings");
  }
  const std::string name = user->get<std::string>();
  const std::string totp = code->get<std::string>();
  if (name.empty() || name.size() > kMaxNameLength || totp.size() > kMaxCodeLength) {
    backend_.audit(auth::printableName(name), "api login", "refused: malformed user or code",
                   r.source);
    return error(401, "login refused: wrong admin or code, or too many failures");
  }
  const AdminCodeCheck check = backend_.checkCode(name, totp);
  if (!check.accepted) {
    backend_.audit(name, "api login", "refused: " + check.why, r.source);
    // One answer for an unknown admin, a wrong or reused code and a locked admin.
    return error(401, "login refused: wrong admin or code, or too many failures");
  }
  const Session s = sessions_.create(name, nowMs_());
  backend_.audit(name, "api login", "ok", r.source);
  ApiResponse ok = json(200, {{"admin", name},
                              {"csrf_token", s.csrf},
                              {"idle_timeout_s", sessions_.idleTimeout().count()},
                              {"expires_in_s", sessions_.maxAge().count()}});
  ok.headers.emplace_back("Set-Cookie", sessionCookie(s.id, sessions_.maxAge().count()));
  return ok;
}

ApiResponse AdminApi::logout(const ApiRequest& r, const Session& s) {
  sessions_.remove(s.id);
  backend_.audit(s.admin, "api logout", "ok", r.source);
  ApiResponse out = json(200, {{"logged_out", true}});
  out.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return out;
}

ApiResponse AdminApi::calls() {
  nlohmann::json list = nlohmann::json::array();
  for (const CallEntry& e : backend_.calls()) {
    nlohmann::json media = nullptr;  // null: the call's media is not relayed
    if (e.media) {
      const auto& m = *e.media;
      media = {{"packets_a_to_b", m.packetsAtoB},
               {"packets_b_to_a", m.packetsBtoA},
               {"bytes_a_to_b", m.bytesAtoB},
               {"bytes_b_to_a", m.bytesBtoA},
               {"foreign_dropped", m.foreignDropped},
               {"unauthenticated_dropped", m.unauthenticatedDropped},
               {"over_rate_dropped", m.overRateDropped},
               {"srtp_a", m.srtpA},
               {"srtp_b", m.srtpB}};
    }
    list.push_back({{"uuid", e.call.uuid},
                    {"worker", e.worker},
                    {"direction", b2bua::directionName(e.call.direction)},
                    {"state", callStateName(e.call.state)},
                    {"provider", e.call.provider},
                    {"dialled", e.call.dialled},
                    {"media", media}});
  }
  return json(200, {{"calls", list}});
}

ApiResponse AdminApi::endCall(const ApiRequest& r, const Session& s, std::string_view uuid) {
  const std::string action = "api end call " + auth::printableName(uuid);
  if (!backend_.endCall(uuid, "ended by admin " + s.admin)) {
    backend_.audit(s.admin, action, "failed: no such call", r.source);
    return error(404, "no live call with that uuid");
  }
  backend_.audit(s.admin, action, "ok", r.source);
  return json(200, {{"ended", uuid}});
}

}  // namespace tg::app::admin_api
