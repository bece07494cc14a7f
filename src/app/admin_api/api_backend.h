#pragma once

// What the admin API reads and acts on: the running gateway (gateway_backend.h), or a fake in
// tests. Called on the API's threads, never on a SIP worker. Times are Unix seconds.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/admin_code_check.h"
#include "app/server.h"
#include "app/status_report.h"
#include "auth/api_token.h"
#include "db/cdr_store.h"
#include "db/token_store.h"

namespace tg::app::admin_api {

// GET /api/v1/events filters; empty strings match everything.
struct EventQuery {
  int64_t since = 0;
  std::string zone;
  std::string source;  // an address; matches "ip" and "ip:port"
  std::string rule;
  size_t limit = 100;
};

struct EventRow {
  int64_t time = 0;
  std::string zone;
  std::string source;  // the address without its port
  std::string rule;
  std::string detail;
};

struct BanRow {
  std::string source;  // "192.0.2.7" for a single address, else the CIDR
  std::string reason;
  int64_t created = 0;
  std::optional<int64_t> expires;  // nullopt: until removed
};

struct CdrQuery {
  int64_t since = 0;
  int64_t until = 0;  // 0: now
  size_t limit = 100;
};

// What an action did: an HTTP status (200 done, 4xx why not) and a message for the answer.
struct ActionResult {
  int status = 200;
  std::string message;
};

// Who presented a valid token.
struct TokenIdentity {
  std::string name;
  auth::ApiRole role = auth::ApiRole::kViewer;
};

class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  // --- who is asking ---
  virtual AdminCodeCheck checkLogin(const std::string& admin, std::string_view password,
                                    std::string_view code) = 0;
  virtual std::optional<TokenIdentity> checkToken(std::string_view bearer) = 0;
  virtual std::vector<db::TokenRecord> tokens() = 0;
  // The new token (shown once), or "" with *error.
  virtual std::string createToken(const std::string& name, auth::ApiRole role,
                                  const std::string& createdBy, std::string* error) = 0;
  virtual bool revokeToken(const std::string& idOrName) = 0;
  virtual void audit(const std::string& actor, const std::string& action, const std::string& result,
                     const std::string& source) = 0;

  // --- reads ---
  virtual StatusFacts status() = 0;
  virtual std::vector<CallEntry> calls() = 0;
  virtual std::vector<EventRow> events(const EventQuery& query) = 0;
  virtual std::vector<BanRow> bans() = 0;
  virtual std::vector<db::CdrRecord> cdrs(const CdrQuery& query) = 0;
  virtual nlohmann::json accounts() = 0;
  virtual nlohmann::json registrations() = 0;

  // --- actions ---
  virtual bool endCall(std::string_view uuid, std::string_view reason) = 0;
  // duration 0: until removed.
  virtual ActionResult addBan(const std::string& source, const std::string& reason,
                              int64_t durationSeconds) = 0;
  virtual ActionResult removeBan(const std::string& source) = 0;
  // action: "lock" | "unlock" | "disable".
  virtual ActionResult accountAction(const std::string& name, const std::string& action) = 0;
  virtual nlohmann::json reload() = 0;
  // A hypothetical call (explain_command.h's fields); status 400 with a message for bad input.
  virtual ActionResult explain(const nlohmann::json& call, nlohmann::json* report) = 0;
};

}  // namespace tg::app::admin_api
