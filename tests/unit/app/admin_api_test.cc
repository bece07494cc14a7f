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
          {0, b2bua::CallSummary{1, uuid, b2bua::Direction::kOutbound, b2bua::CallState::kConfirmed,
                                 "carrier-a", "+3312", transport::Zone::kPbx, "10.0.0.5:5060",
                                 "1001", base::SystemTime{}}});
    }
    return out;
  }
  bool endCall(std::string_view uuid, std::string_view reason) override {
    endReason = std::string(reason);
    return std::erase(liveCalls, std::string(uuid)) > 0;
  }
  AdminCodeCheck checkCode(const std::string& admin, std::string_view code) override {
    if (admin == "alice" && code == "123456") return {true, {}};
    return {false, "wrong, expired or reused code"};
  }
  void audit(const std::string& actor, const std::string& action, const std::string& result,
             const std::string& source) override {
    audits.push_back({actor, action, result, source});
  }

  std::vector<std::string> liveCalls{"call-1"};
  std::string endReason;
  std::vector<AuditRow> audits;
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
    const ApiResponse r =
        api_.handle(request("POST", "/api/v1/login", R"({"user":"alice","code":"123456"})"));
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
  const ApiResponse r =
      api_.handle(request("POST", "/api/v1/login", R"({"user":"alice","code":"123456"})"));
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
  const ApiResponse wrong =
      api_.handle(request("POST", "/api/v1/login", R"({"user":"alice","code":"000000"})"));
  const ApiResponse unknown =
      api_.handle(request("POST", "/api/v1/login", R"({"user":"bob","code":"123456"})"));
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
  EXPECT_EQ(
      api_.handle(request("POST", "/api/v1/login", R"({"user":"alice","code":123456})")).status,
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

TEST(AdminCookies, ValueIsFoundAmongOthers) {
  EXPECT_EQ(cookieValue("a=1; tg_session=xyz; b=2", "tg_session"), "xyz");
  EXPECT_EQ(cookieValue("tg_session=xyz", "tg_session"), "xyz");
  EXPECT_EQ(cookieValue("xtg_session=xyz", "tg_session"), "");
  EXPECT_EQ(cookieValue("", "tg_session"), "");
}

}  // namespace
}  // namespace tg::app::admin_api
