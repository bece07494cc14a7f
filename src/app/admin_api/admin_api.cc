#include "app/admin_api/admin_api.h"

#include "app/admin_api/metrics_text.h"
#include "auth/lockout.h"

namespace tg::app::admin_api {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr std::string_view kBearer = "Bearer ";
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxCodeLength = 16;
constexpr size_t kMaxPasswordLength = 1024;
constexpr size_t kMaxSegments = 8;

bool isJson(std::string_view contentType) {
  return contentType.substr(0, contentType.find(';')) == "application/json";
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path under /api/v1/ split at '/'; nullopt when it has too many segments.
std::optional<std::vector<std::string_view>> segmentsOf(std::string_view route) {
  std::vector<std::string_view> out;
  while (true) {
    if (out.size() == kMaxSegments) return std::nullopt;
    const size_t slash = route.find('/');
    out.push_back(route.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    route.remove_prefix(slash + 1);
  }
}

bool matches(std::string_view pattern, const std::vector<std::string_view>& segments,
             std::vector<std::string>* args) {
  const auto want = segmentsOf(pattern);
  if (!want || want->size() != segments.size()) return false;
  args->clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    if ((*want)[i] == "{}") {
      auto decoded = decodeSegment(segments[i]);
      if (!decoded || decoded->empty()) return false;
      args->push_back(std::move(*decoded));
    } else if ((*want)[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

bool validTokenName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

ApiResponse jsonResponse(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  // Names and call data come from the network: bytes that are not UTF-8 never make dump throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse errorResponse(int status, std::string_view message) {
  return jsonResponse(status, {{"error", message}});
}

std::variant<nlohmann::json, ApiResponse> jsonBody(const ApiRequest& r) {
  if (!isJson(r.contentType))
    return errorResponse(415, "send JSON: Content-Type: application/json");
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return errorResponse(400, "the body is not a JSON object");
  }
  return body;
}

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

std::optional<std::string> queryValue(const ApiRequest& r, std::string_view name) {
  for (const auto& [key, value] : r.query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> decodeSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '%') {
      if (i + 2 >= segment.size()) return std::nullopt;
      const int hi = hexValue(segment[i + 1]);
      const int lo = hexValue(segment[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

AdminApi::AdminApi(ApiBackend& backend, SessionTable& sessions, std::function<int64_t()> nowMs,
                   bool secureCookie)
    : backend_(backend),
      sessions_(sessions),
      nowMs_(std::move(nowMs)),
      secureCookie_(secureCookie) {}

const std::vector<AdminApi::Route>& AdminApi::routes() {
  static const std::vector<Route> kRoutes = {
      {"POST", "logout", &AdminApi::logout},
      {"GET", "session", &AdminApi::session},
      {"GET", "tokens", &AdminApi::listTokens},
      {"POST", "tokens", &AdminApi::createToken},
      {"DELETE", "tokens/{}", &AdminApi::revokeToken},
      {"GET", "status", &AdminApi::status},
      {"GET", "calls", &AdminApi::calls},
      {"POST", "calls/{}/end", &AdminApi::endCall},
      {"GET", "events", &AdminApi::events},
      {"GET", "bans", &AdminApi::bans},
      {"POST", "bans", &AdminApi::addBan},
      {"DELETE", "bans/{}", &AdminApi::removeBan},
      {"GET", "cdrs", &AdminApi::cdrs},
      {"GET", "accounts", &AdminApi::accounts},
      {"POST", "accounts/{}/lock", &AdminApi::accountAction},
      {"POST", "accounts/{}/unlock", &AdminApi::accountAction},
      {"POST", "accounts/{}/disable", &AdminApi::accountAction},
      {"GET", "registrations", &AdminApi::registrations},
      {"POST", "reload", &AdminApi::reload},
      {"POST", "explain", &AdminApi::explain, false},
  };
  return kRoutes;
}

std::string AdminApi::sessionCookie(const std::string& value, int64_t maxAgeSeconds) const {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/; Max-Age=" + std::to_string(maxAgeSeconds) + "; HttpOnly; SameSite=Strict" +
         (secureCookie_ ? "; Secure" : "");
}

ApiResponse AdminApi::metrics(const ApiRequest& r) {
  if (r.method != "GET") return errorResponse(405, "GET only");
  if (!r.loopback) return errorResponse(403, "/metrics answers loopback clients only");
  ApiResponse m;
  m.contentType = kMetricsContentType;
  m.body = metricsText(backend_.status());
  return m;
}

ApiResponse AdminApi::handle(const ApiRequest& r) {
  if (r.path == "/metrics") return metrics(r);
  if (!r.path.starts_with(kApiPrefix)) return errorResponse(404, "no such route");
  const std::string_view route = std::string_view(r.path).substr(kApiPrefix.size());
  if (route == "login") return r.method == "POST" ? login(r) : errorResponse(405, "POST only");

  const auto segments = segmentsOf(route);
  if (!segments) return errorResponse(404, "no such route");
  const Route* found = nullptr;
  bool pathKnown = false;
  std::vector<std::string> args;
  for (const Route& candidate : routes()) {
    if (!matches(candidate.pattern, *segments, &args)) continue;
    pathKnown = true;
    if (r.method == candidate.method) {
      found = &candidate;
      break;
    }
  }
  if (!pathKnown) return errorResponse(404, "no such route");
  if (found == nullptr) return errorResponse(405, "this route does not take " + r.method);

  auto who = authenticate(r);
  if (auto* refusal = std::get_if<ApiResponse>(&who)) return *refusal;
  const Principal& principal = std::get<Principal>(who);
  if (r.method != "GET") {
    const std::string action = "api " + r.method + " " + auth::printableName(route);
    if (principal.session && !sameSecret(r.csrfToken, principal.session->csrf)) {
      backend_.audit(principal.actor, action, "refused: missing or wrong CSRF token", r.source);
      return errorResponse(403, "missing or wrong X-CSRF-Token (GET /api/v1/session gives it)");
    }
    if (found->acts && principal.role != auth::ApiRole::kAdmin) {
      backend_.audit(principal.actor, action, "refused: read-only token", r.source);
      return errorResponse(403, "this token is read-only (role viewer); acting needs an admin");
    }
  }
  return (this->*(found->handler))(Call{r, principal, std::move(args)});
}

std::variant<Principal, ApiResponse> AdminApi::authenticate(const ApiRequest& r) {
  if (!r.authorization.empty()) {
    if (!r.authorization.starts_with(kBearer)) {
      return errorResponse(401, "Authorization must be \"Bearer <token>\"");
    }
    const auto identity =
        backend_.checkToken(std::string_view(r.authorization).substr(kBearer.size()));
    if (!identity) return errorResponse(401, "unknown or revoked token");
    return Principal{"token:" + identity->name, identity->role, std::nullopt};
  }
  std::optional<Session> s = sessions_.use(cookieValue(r.cookie, kSessionCookie), nowMs_());
  if (!s) {
    return errorResponse(401,
                         "log in first (POST /api/v1/login) or send a token; the session is "
                         "missing or expired");
  }
  return Principal{s->admin, auth::ApiRole::kAdmin, std::move(s)};
}

ApiResponse AdminApi::login(const ApiRequest& r) {
  auto parsed = jsonBody(r);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return *refusal;
  const nlohmann::json& body = std::get<nlohmann::json>(parsed);
  const auto user = body.find("user");
  const auto password = body.find("password");
  const auto code = body.find("code");
  if (user == body.end() || !user->is_string() || password == body.end() ||
      !password->is_string() || code == body.end() || !code->is_string()) {
    return errorResponse(400,
                         "give \"user\", \"password\" and \"code\" (the admin's current TOTP "
                         "code) as strings");
  }
  const std::string name = user->get<std::string>();
  const std::string secret = password->get<std::string>();
  const std::string totp = code->get<std::string>();
  constexpr std::string_view kRefused =
      "login refused: wrong admin, password or code, or too many failures";
  if (name.empty() || name.size() > kMaxNameLength || totp.size() > kMaxCodeLength ||
      secret.size() > kMaxPasswordLength) {
    backend_.audit(auth::printableName(name), "api login", "refused: malformed user or code",
                   r.source);
    return errorResponse(401, kRefused);
  }
  const AdminCodeCheck check = backend_.checkLogin(name, secret, totp);
  if (!check.accepted) {
    backend_.audit(name, "api login", "refused: " + check.why, r.source);
    // One answer for an unknown admin, a wrong password, a wrong or reused code, a lock.
    return errorResponse(401, kRefused);
  }
  const Session s = sessions_.create(name, nowMs_());
  backend_.audit(name, "api login", "ok", r.source);
  ApiResponse ok = jsonResponse(200, {{"admin", name},
                                      {"csrf_token", s.csrf},
                                      {"idle_timeout_s", sessions_.idleTimeout().count()},
                                      {"expires_in_s", sessions_.maxAge().count()}});
  ok.headers.emplace_back("Set-Cookie", sessionCookie(s.id, sessions_.maxAge().count()));
  return ok;
}

ApiResponse AdminApi::logout(const Call& c) {
  if (!c.who.session) return errorResponse(400, "a token has no session to end");
  sessions_.remove(c.who.session->id);
  backend_.audit(c.who.actor, "api logout", "ok", c.request.source);
  ApiResponse out = jsonResponse(200, {{"logged_out", true}});
  out.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return out;
}

ApiResponse AdminApi::session(const Call& c) {
  nlohmann::json body = {{"admin", c.who.actor}, {"role", auth::roleName(c.who.role)}};
  if (c.who.session) body["csrf_token"] = c.who.session->csrf;
  return jsonResponse(200, body);
}

ApiResponse AdminApi::acted(const Call& c, const std::string& action, const ActionResult& result,
                            nlohmann::json body) {
  backend_.audit(c.who.actor, action, result.status == 200 ? "ok" : "failed: " + result.message,
                 c.request.source);
  if (result.status != 200) return errorResponse(result.status, result.message);
  return jsonResponse(200, body);
}

ApiResponse AdminApi::listTokens(const Call& c) {
  if (c.who.role != auth::ApiRole::kAdmin) return errorResponse(403, "tokens are for admins");
  nlohmann::json list = nlohmann::json::array();
  for (const db::TokenRecord& t : backend_.tokens()) {
    list.push_back({{"id", t.id},
                    {"name", t.name},
                    {"role", t.role},
                    {"created_by", t.createdBy},
                    {"created", t.createdMs / 1000},
                    {"revoked", t.revoked() ? nlohmann::json(t.revokedMs / 1000) : nullptr}});
  }
  return jsonResponse(200, {{"tokens", list}});
}

ApiResponse AdminApi::createToken(const Call& c) {
  auto parsed = jsonBody(c.request);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return *refusal;
  const nlohmann::json& body = std::get<nlohmann::json>(parsed);
  const std::string name = body.value("name", nlohmann::json()).is_string()
                               ? body["name"].get<std::string>()
                               : std::string();
  const std::string roleText = body.value("role", nlohmann::json()).is_string()
                                   ? body["role"].get<std::string>()
                                   : std::string();
  const auto role = auth::parseRole(roleText);
  if (!validTokenName(name) || !role) {
    return errorResponse(400,
                         "give \"name\" (letters, digits, . _ -; at most 64) and \"role\" "
                         "(\"viewer\" or \"admin\")");
  }
  std::string error;
  const std::string token = backend_.createToken(name, *role, c.who.actor, &error);
  const std::string action = "api token add " + name + " (" + roleText + ")";
  if (token.empty()) return acted(c, action, {409, error}, {});
  return acted(c, action, {}, {{"name", name}, {"role", roleText}, {"token", token}});
}

ApiResponse AdminApi::revokeToken(const Call& c) {
  const std::string& id = c.args[0];
  const bool found = backend_.revokeToken(id);
  return acted(c, "api token revoke " + auth::printableName(id),
               found ? ActionResult{} : ActionResult{404, "no valid token with that id or name"},
               {{"revoked", id}});
}

}  // namespace tg::app::admin_api
