// The admin API's routes against a fake gateway: login, the session cookie's attributes, CSRF
// on mutations, expiry, the audit of each action, /metrics for loopback only, and clear 4xx
// answers for bad input.

#include "app/admin_api/admin_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tg::app::admin_api {
namespace {

struct AuditRow {
  std::string actor, action, result, source;
};

class FakeBackend final : public ApiBackend {
 public:
  AdminCodeCheck checkLogin(const std::string& admin, std::string_view password,
                            std::string_view code) override {
    if (admin != "alice") return {false, "unknown admin"};
    if (password != "correct horse") return {false, "wrong password"};
    if (code == "123456") return {true, {}};
    return {false, "wrong, expired or reused code"};
  }
  std::optional<TokenIdentity> checkToken(std::string_view bearer) override {
    for (const auto& [token, identity] : validTokens) {
      if (token == bearer) return identity;
    }
    return std::nullopt;
  }
  std::vector<db::TokenRecord> tokens() override { return {}; }
  std::string createToken(const std::string& name, auth::ApiRole role, const std::string& by,
                          std::string* error) override {
    if (name == "taken") {
      *error = "a token named taken exists";
      return {};
    }
    const std::string token = "tg_new_" + name;
    validTokens.emplace_back(token, TokenIdentity{name, role});
    createdBy = by;
    return token;
  }
  bool revokeToken(const std::string& idOrName) override {
    return std::erase_if(validTokens, [&](const auto& t) { return t.second.name == idOrName; }) > 0;
  }
  void audit(const std::string& actor, const std::string& action, const std::string& result,
             const std::string& source) override {
    audits.push_back({actor, action, result, source});
  }

  StatusFacts status() override {
    StatusFacts f;
    f.version = "trunkguard 9.9";
    f.snapshot.workers = 1;
    f.snapshot.activeCalls = static_cast<size_t>(liveCalls.size());
    return f;
  }
  std::vector<CallEntry> calls() override {
    std::vector<CallEntry> out;
    for (const std::string& uuid : liveCalls) {
      out.push_back(
          {0,
           b2bua::CallSummary{1, uuid, b2bua::Direction::kOutbound, b2bua::CallState::kConfirmed,
                              "carrier-a", "+3312", transport::Zone::kPbx, "10.0.0.5:5060", "1001",
                              base::SystemTime{}},
           std::nullopt});
    }
    return out;
  }
  std::vector<EventRow> events(const EventQuery& q) override {
    lastEventQuery = q;
    return {{1700000000, "public", "192.0.2.7", "scanner.user_agent", "friendly-scanner (drop)"}};
  }
  std::vector<BanRow> bans() override { return banRows; }
  std::vector<db::CdrRecord> cdrs(const CdrQuery& q) override {
    lastCdrQuery = q;
    db::CdrRecord r;
    r.callUuid = "c1";
    r.fromUri = "sip:\"Doe, J\"@x";
    r.toUri = "=HYPERLINK(1)";
    return {r};
  }
  nlohmann::json accounts() override { return nlohmann::json::array({{{"name", "201"}}}); }
  nlohmann::json registrations() override { return nlohmann::json::array(); }

  bool endCall(std::string_view uuid, std::string_view reason) override {
    endReason = std::string(reason);
    return std::erase(liveCalls, std::string(uuid)) > 0;
  }
  ActionResult addBan(const std::string& source, const std::string& reason,
                      int64_t seconds) override {
    if (source == "10.0.0.1") return {409, "trusted"};
    banRows.push_back({source, reason, 1700000000,
                       seconds == 0 ? std::nullopt : std::optional<int64_t>(1700000000 + seconds)});
    return {200, "banned " + source};
  }
  ActionResult removeBan(const std::string& source) override {
    return std::erase_if(banRows, [&](const BanRow& b) { return b.source == source; }) > 0
               ? ActionResult{200, "lifted"}
               : ActionResult{404, "no ban of " + source};
  }
  ActionResult accountAction(const std::string& name, const std::string& action) override {
    accountActions.push_back(action + " " + name);
    return {200, action};
  }
  nlohmann::json reload() override { return {{"applied", true}, {"summary", "applied: policy"}}; }
  ActionResult explain(const nlohmann::json& call, nlohmann::json* report) override {
    *report = {{"allowed", call.value("to", "") != "+900"}};
    return {};
  }

  std::vector<std::string> liveCalls{"call-1"};
  std::string endReason;
  std::vector<AuditRow> audits;
  std::vector<std::pair<std::string, TokenIdentity>> validTokens{
      {"tg_viewer", {"grafana", auth::ApiRole::kViewer}},
      {"tg_admin", {"ops", auth::ApiRole::kAdmin}}};
  std::string createdBy;
  std::vector<BanRow> banRows;
  std::vector<std::string> accountActions;
  EventQuery lastEventQuery;
  CdrQuery lastCdrQuery;
};

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest()
      : sessions_(std::chrono::seconds(60), std::chrono::seconds(600)),
        api_(backend_, sessions_, [this] { return now_; }) {}

  static ApiRequest request(std::string method, std::string path, std::string body = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.contentType = "application/json";
    r.source = "127.0.0.1";
    r.loopback = true;
    return r;
  }

  // Logs alice in; the cookie header and CSRF token to use next.
  std::pair<std::string, std::string> login() {
    const ApiResponse r = api_.handle(request(
        "POST", "/api/v1/login", R"({"user":"alice","password":"correct horse","code":"123456"})"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie;
    for (const auto& [name, value] : r.headers) {
      if (name == "Set-Cookie") cookie = value.substr(0, value.find(';'));
    }
    return {cookie, nlohmann::json::parse(r.body).value("csrf_token", "")};
  }

  ApiRequest authed(std::string method, std::string path, const std::string& cookie) {
    ApiRequest r = request(std::move(method), std::move(path));
    r.cookie = "theme=dark; " + cookie;
    return r;
  }

  FakeBackend backend_;
  SessionTable sessions_;
  int64_t now_ = 1'000'000;
  AdminApi api_;
};

TEST_F(AdminApiTest, LoginSetsAStrictHttpOnlySecureCookieAndAudits) {
  const ApiResponse r = api_.handle(request(
      "POST", "/api/v1/login", R"({"user":"alice","password":"correct horse","code":"123456"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.headers.size(), 1u);
  const std::string& cookie = r.headers[0].second;
  EXPECT_EQ(r.headers[0].first, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("tg_session=", 0), 0u);
  for (const char* attribute :
       {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/", "; Max-Age=600"}) {
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute << " in " << cookie;
  }
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["admin"], "alice");
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["idle_timeout_s"], 60);
  ASSERT_EQ(backend_.audits.size(), 1u);
  EXPECT_EQ(backend_.audits[0].action, "api login");
  EXPECT_EQ(backend_.audits[0].result, "ok");
  EXPECT_EQ(backend_.audits[0].source, "127.0.0.1");
}

TEST_F(AdminApiTest, RefusedLoginsSayTheSameAndAreAuditedWithTheReason) {
  const ApiResponse wrong = api_.handle(request(
      "POST", "/api/v1/login", R"({"user":"alice","password":"correct horse","code":"000000"})"));
  const ApiResponse unknown = api_.handle(request(
      "POST", "/api/v1/login", R"({"user":"bob","password":"correct horse","code":"123456"})"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_TRUE(wrong.headers.empty());
  ASSERT_EQ(backend_.audits.size(), 2u);
  EXPECT_EQ(backend_.audits[0].result, "refused: wrong, expired or reused code");
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(AdminApiTest, LoginNeedsAJsonBodyWithStrings) {
  ApiRequest form = request("POST", "/api/v1/login", "user=alice&code=123456");
  form.contentType = "application/x-www-form-urlencoded";  // what a cross-site form sends
  EXPECT_EQ(api_.handle(form).status, 415);
  EXPECT_EQ(api_.handle(request("POST", "/api/v1/login", "{not json")).status, 400);
  EXPECT_EQ(api_.handle(request("POST", "/api/v1/login", R"(["alice"])")).status, 400);
  EXPECT_EQ(api_.handle(request("POST", "/api/v1/login",
                                R"({"user":"alice","password":"correct horse","code":123456})"))
                .status,
            400);
  EXPECT_EQ(api_.handle(request("GET", "/api/v1/login")).status, 405);
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(AdminApiTest, ReadsNeedASession) {
  EXPECT_EQ(api_.handle(request("GET", "/api/v1/status")).status, 401);
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/calls", "tg_session=forged")).status, 401);
  const auto [cookie, csrf] = login();
  const ApiResponse status = api_.handle(authed("GET", "/api/v1/status", cookie));
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(nlohmann::json::parse(status.body)["version"], "trunkguard 9.9");
  const ApiResponse calls = api_.handle(authed("GET", "/api/v1/calls", cookie));
  ASSERT_EQ(calls.status, 200);
  const auto list = nlohmann::json::parse(calls.body)["calls"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["uuid"], "call-1");
  EXPECT_EQ(list[0]["state"], "confirmed");
  EXPECT_EQ(list[0]["direction"], "outbound");
  const ApiResponse session = api_.handle(authed("GET", "/api/v1/session", cookie));
  EXPECT_EQ(nlohmann::json::parse(session.body)["csrf_token"], csrf);
}

TEST_F(AdminApiTest, MutationsWithoutTheCsrfTokenAreRefusedAndAudited) {
  const auto [cookie, csrf] = login();
  ApiRequest end = authed("POST", "/api/v1/calls/call-1/end", cookie);
  EXPECT_EQ(api_.handle(end).status, 403);
  end.csrfToken = std::string(csrf.size(), '0');
  EXPECT_EQ(api_.handle(end).status, 403);
  EXPECT_EQ(backend_.liveCalls.size(), 1u);
  EXPECT_EQ(backend_.audits.back().result, "refused: missing or wrong CSRF token");

  end.csrfToken = csrf;
  const ApiResponse ok = api_.handle(end);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(backend_.liveCalls.empty());
  EXPECT_EQ(backend_.endReason, "ended by admin alice");
  EXPECT_EQ(backend_.audits.back().action, "api end call call-1");
  EXPECT_EQ(backend_.audits.back().result, "ok");
  EXPECT_EQ(api_.handle(end).status, 404);
  EXPECT_EQ(backend_.audits.back().result, "failed: no such call");
}

TEST_F(AdminApiTest, SessionsExpireAndLogoutEndsThem) {
  const auto [cookie, csrf] = login();
  now_ += 59'000;
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/status", cookie)).status, 200);
  now_ += 60'000;
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/status", cookie)).status, 401);

  const auto [cookie2, csrf2] = login();
  ApiRequest logout = authed("POST", "/api/v1/logout", cookie2);
  logout.csrfToken = csrf2;
  const ApiResponse out = api_.handle(logout);
  EXPECT_EQ(out.status, 200);
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_NE(out.headers[0].second.find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/status", cookie2)).status, 401);
  EXPECT_EQ(backend_.audits.back().action, "api logout");
}

TEST_F(AdminApiTest, MetricsAnswerLoopbackOnly) {
  const ApiResponse local = api_.handle(request("GET", "/metrics"));
  EXPECT_EQ(local.status, 200);
  EXPECT_EQ(local.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(local.body.find("trunkguard_active_calls 1\n"), std::string::npos) << local.body;
  ApiRequest remote = request("GET", "/metrics");
  remote.loopback = false;
  remote.source = "192.0.2.7";
  EXPECT_EQ(api_.handle(remote).status, 403);
}

TEST_F(AdminApiTest, UnknownRoutesAndMethodsGetClearErrors) {
  const auto [cookie, csrf] = login();
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/nope", cookie)).status, 404);
  EXPECT_EQ(api_.handle(authed("GET", "/etc/passwd", cookie)).status, 404);
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/../../etc/passwd", cookie)).status, 404);
  EXPECT_EQ(api_.handle(authed("DELETE", "/api/v1/status", cookie)).status, 405);
  EXPECT_EQ(api_.handle(authed("GET", "/api/v1/calls/call-1/end", cookie)).status, 405);
  const ApiResponse r = api_.handle(authed("GET", "/api/v1/nope", cookie));
  EXPECT_TRUE(nlohmann::json::parse(r.body).contains("error"));
}

// Requests with a bearer token rather than a session.
ApiRequest withToken(std::string method, std::string path, std::string token,
                     std::string body = {}) {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.contentType = "application/json";
  r.authorization = "Bearer " + token;
  r.source = "127.0.0.1";
  r.loopback = true;
  return r;
}

TEST_F(AdminApiTest, AWrongPasswordIsRefusedLikeAWrongCode) {
  const ApiResponse wrong = api_.handle(
      request("POST", "/api/v1/login", R"({"user":"alice","password":"wrong","code":"123456"})"));
  const ApiResponse noPassword =
      api_.handle(request("POST", "/api/v1/login", R"({"user":"alice","code":"123456"})"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(noPassword.status, 400);
  EXPECT_EQ(backend_.audits.back().result, "refused: wrong password");
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(AdminApiTest, AViewerTokenReadsButCannotAct) {
  const ApiResponse bans = api_.handle(withToken("GET", "/api/v1/bans", "tg_viewer"));
  EXPECT_EQ(bans.status, 200) << bans.body;
  const ApiResponse ban = api_.handle(
      withToken("POST", "/api/v1/bans", "tg_viewer", R"({"source":"192.0.2.7","reason":"x"})"));
  EXPECT_EQ(ban.status, 403);
  EXPECT_TRUE(backend_.banRows.empty());
  EXPECT_EQ(backend_.audits.back().actor, "token:grafana");
  EXPECT_EQ(backend_.audits.back().result, "refused: read-only token");
  EXPECT_EQ(api_.handle(withToken("POST", "/api/v1/calls/call-1/end", "tg_viewer")).status, 403);
  EXPECT_EQ(backend_.liveCalls.size(), 1u);
  EXPECT_EQ(api_.handle(withToken("POST", "/api/v1/tokens", "tg_viewer",
                                  R"({"name":"x","role":"admin"})"))
                .status,
            403);
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/tokens", "tg_viewer")).status, 403);
  // explain only reads, though it is a POST.
  const ApiResponse explain =
      api_.handle(withToken("POST", "/api/v1/explain", "tg_viewer", R"({"to":"+900"})"));
  EXPECT_EQ(explain.status, 200) << explain.body;
  EXPECT_EQ(nlohmann::json::parse(explain.body)["allowed"], false);
}

TEST_F(AdminApiTest, AnAdminTokenActsWithoutCsrfAndBadTokensAreRefused) {
  const ApiResponse ban = api_.handle(
      withToken("POST", "/api/v1/bans", "tg_admin", R"({"source":"192.0.2.7","duration_s":600})"));
  EXPECT_EQ(ban.status, 200) << ban.body;
  EXPECT_EQ(backend_.audits.back().actor, "token:ops");
  EXPECT_EQ(backend_.audits.back().action, "api ban add 192.0.2.7");
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/bans", "tg_forged")).status, 401);
  ApiRequest basic = withToken("GET", "/api/v1/bans", "x");
  basic.authorization = "Basic YWxpY2U6eA==";
  EXPECT_EQ(api_.handle(basic).status, 401);
}

TEST_F(AdminApiTest, TokensAreMadeShownOnceAndRevoked) {
  const auto [cookie, csrf] = login();
  ApiRequest make = authed("POST", "/api/v1/tokens", cookie);
  make.body = R"({"name":"prometheus","role":"viewer"})";
  make.csrfToken = csrf;
  const ApiResponse made = api_.handle(make);
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string token = nlohmann::json::parse(made.body)["token"];
  EXPECT_EQ(backend_.createdBy, "alice");
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/status", token)).status, 200);

  make.body = R"({"name":"prometheus","role":"root"})";
  EXPECT_EQ(api_.handle(make).status, 400);
  make.body = R"({"name":"taken","role":"admin"})";
  EXPECT_EQ(api_.handle(make).status, 409);

  ApiRequest revoke = authed("DELETE", "/api/v1/tokens/prometheus", cookie);
  revoke.csrfToken = csrf;
  EXPECT_EQ(api_.handle(revoke).status, 200);
  EXPECT_EQ(backend_.audits.back().action, "api token revoke prometheus");
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/status", token)).status, 401);
  EXPECT_EQ(api_.handle(revoke).status, 404);
}

TEST_F(AdminApiTest, BansAreAddedListedAndRemovedByTheirEncodedSource) {
  const auto add = [&](std::string body) {
    return api_.handle(withToken("POST", "/api/v1/bans", "tg_admin", std::move(body)));
  };
  EXPECT_EQ(add(R"({"source":"198.51.100.0/24","reason":"scanner","duration_s":3600})").status,
            200);
  EXPECT_EQ(add(R"({"source":"203.0.113.9"})").status, 200);
  EXPECT_EQ(add(R"({"source":"10.0.0.1"})").status, 409);
  EXPECT_EQ(add(R"({"source":"203.0.113.9","duration_s":-5})").status, 400);
  EXPECT_EQ(add(R"({"source":7})").status, 400);
  EXPECT_EQ(add(R"({"source":)").status, 400);
  ApiRequest form = withToken("POST", "/api/v1/bans", "tg_admin", "source=1.2.3.4");
  form.contentType = "application/x-www-form-urlencoded";
  EXPECT_EQ(api_.handle(form).status, 415);

  const ApiResponse list = api_.handle(withToken("GET", "/api/v1/bans", "tg_viewer"));
  const auto bans = nlohmann::json::parse(list.body)["bans"];
  ASSERT_EQ(bans.size(), 2u);
  EXPECT_EQ(bans[0]["source"], "198.51.100.0/24");
  EXPECT_EQ(bans[0]["reason"], "scanner");
  EXPECT_EQ(bans[0]["created"], 1700000000);
  EXPECT_EQ(bans[0]["expires"], 1700003600);
  EXPECT_TRUE(bans[1]["expires"].is_null());
  EXPECT_EQ(bans[1]["reason"], "banned by token:ops");

  EXPECT_EQ(api_.handle(withToken("DELETE", "/api/v1/bans/198.51.100.0%2F24", "tg_admin")).status,
            200);
  EXPECT_EQ(backend_.audits.back().action, "api ban remove 198.51.100.0/24");
  EXPECT_EQ(api_.handle(withToken("DELETE", "/api/v1/bans/198.51.100.0%2F24", "tg_admin")).status,
            404);
  EXPECT_EQ(backend_.audits.back().result, "failed: no ban of 198.51.100.0/24");
  EXPECT_EQ(api_.handle(withToken("DELETE", "/api/v1/bans/bad%zz", "tg_admin")).status, 404);
}

TEST_F(AdminApiTest, EventsTakeTheirFiltersFromTheQuery) {
  ApiRequest r = withToken("GET", "/api/v1/events", "tg_viewer");
  r.query = {{"since", "1699990000"}, {"zone", "public"}, {"rule", "ban"}, {"limit", "5"}};
  const ApiResponse out = api_.handle(r);
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(backend_.lastEventQuery.since, 1699990000);
  EXPECT_EQ(backend_.lastEventQuery.zone, "public");
  EXPECT_EQ(backend_.lastEventQuery.rule, "ban");
  EXPECT_EQ(backend_.lastEventQuery.limit, 5u);
  const auto event = nlohmann::json::parse(out.body)["events"][0];
  EXPECT_EQ(event["time"], 1700000000);
  EXPECT_EQ(event["source"], "192.0.2.7");
  EXPECT_EQ(event["detail"], "friendly-scanner (drop)");
  for (const char* bad : {"-1", "soon", "12x"}) {
    r.query = {{"since", bad}};
    EXPECT_EQ(api_.handle(r).status, 400) << bad;
  }
  r.query = {{"limit", "10001"}};
  EXPECT_EQ(api_.handle(r).status, 400);
}

TEST_F(AdminApiTest, CdrsExportAsCsvWithQuotingAndNoFormulas) {
  ApiRequest r = withToken("GET", "/api/v1/cdrs", "tg_viewer");
  r.query = {{"format", "csv"}, {"since", "5"}, {"until", "9"}};
  const ApiResponse out = api_.handle(r);
  ASSERT_EQ(out.status, 200);
  EXPECT_EQ(out.contentType, "text/csv; charset=utf-8");
  EXPECT_EQ(backend_.lastCdrQuery.since, 5);
  EXPECT_EQ(backend_.lastCdrQuery.until, 9);
  EXPECT_EQ(out.body.rfind("call_uuid,direction,", 0), 0u) << out.body;
  EXPECT_NE(out.body.find(R"("sip:""Doe, J""@x")"), std::string::npos) << out.body;
  EXPECT_NE(out.body.find(",'=HYPERLINK(1),"), std::string::npos) << out.body;
  r.query = {{"format", "xml"}};
  EXPECT_EQ(api_.handle(r).status, 400);
  r.query = {};
  const ApiResponse json = api_.handle(r);
  EXPECT_EQ(nlohmann::json::parse(json.body)["cdrs"][0]["call_uuid"], "c1");
}

TEST_F(AdminApiTest, AccountActionsReloadAndExplainAreAudited) {
  for (const char* action : {"lock", "unlock", "disable"}) {
    const ApiResponse r =
        api_.handle(withToken("POST", std::string("/api/v1/accounts/201/") + action, "tg_admin"));
    EXPECT_EQ(r.status, 200) << action;
    EXPECT_EQ(backend_.audits.back().action, std::string("api account ") + action + " 201");
  }
  EXPECT_EQ(backend_.accountActions,
            (std::vector<std::string>{"lock 201", "unlock 201", "disable 201"}));
  EXPECT_EQ(api_.handle(withToken("POST", "/api/v1/accounts/201/delete", "tg_admin")).status, 404);
  const ApiResponse reload = api_.handle(withToken("POST", "/api/v1/reload", "tg_admin"));
  EXPECT_EQ(reload.status, 200);
  EXPECT_EQ(nlohmann::json::parse(reload.body)["summary"], "applied: policy");
  EXPECT_EQ(backend_.audits.back().action, "api reload");
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/accounts", "tg_viewer")).status, 200);
  EXPECT_EQ(api_.handle(withToken("GET", "/api/v1/registrations", "tg_viewer")).status, 200);
}

TEST(AdminPaths, SegmentsDecodeButNeverIntoNul) {
  EXPECT_EQ(decodeSegment("10.0.0.0%2f8"), "10.0.0.0/8");
  EXPECT_EQ(decodeSegment("2001%3Adb8%3A%3A1"), "2001:db8::1");
  EXPECT_EQ(decodeSegment("a%00b"), std::nullopt);
  EXPECT_EQ(decodeSegment("%4"), std::nullopt);
  EXPECT_EQ(decodeSegment("%"), std::nullopt);
  EXPECT_EQ(decodeSegment("plain"), "plain");
}

TEST(AdminCookies, ValueIsFoundAmongOthers) {
  EXPECT_EQ(cookieValue("a=1; tg_session=xyz; b=2", "tg_session"), "xyz");
  EXPECT_EQ(cookieValue("tg_session=xyz", "tg_session"), "xyz");
  EXPECT_EQ(cookieValue("xtg_session=xyz", "tg_session"), "");
  EXPECT_EQ(cookieValue("", "tg_session"), "");
}

}  // namespace
}  // namespace tg::app::admin_api
