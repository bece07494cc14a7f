#pragma once

// The admin API's view of the running gateway: reads through Server's thread-safe snapshot,
// status and call list (each asks the workers on their own threads), acts on the shared
// services (the ban list, the phones' lockout) so that an action takes effect at once, checks
// admin logins and tokens in the database, and writes the admin audit log. Its database handles
// are its own, used under one mutex on the API's threads.

#include <memory>
#include <mutex>
#include <string>

#include "app/admin_api/api_backend.h"
#include "auth/lockout.h"
#include "config/config.h"

namespace tg::db {
class AccountStore;
class AuditStore;
class TokenStore;
}  // namespace tg::db

namespace tg::app::admin_api {

class GatewayBackend final : public ApiBackend {
 public:
  // Opens the database of `config` (and its sealing key); throws std::runtime_error naming what
  // failed: start-up only.
  GatewayBackend(Server& server, const config::Config& config);
  ~GatewayBackend() override;

  AdminCodeCheck checkLogin(const std::string& admin, std::string_view password,
                            std::string_view code) override;
  std::optional<TokenIdentity> checkToken(std::string_view bearer) override;
  std::vector<db::TokenRecord> tokens() override;
  std::string createToken(const std::string& name, auth::ApiRole role, const std::string& createdBy,
                          std::string* error) override;
  bool revokeToken(const std::string& idOrName) override;
  void audit(const std::string& actor, const std::string& action, const std::string& result,
             const std::string& source) override;

  StatusFacts status() override;
  std::vector<CallEntry> calls() override;
  std::vector<EventRow> events(const EventQuery& query) override;
  std::vector<BanRow> bans() override;
  std::vector<db::CdrRecord> cdrs(const CdrQuery& query) override;
  nlohmann::json accounts() override;
  nlohmann::json registrations() override;

  bool endCall(std::string_view uuid, std::string_view reason) override;
  ActionResult addBan(const std::string& source, const std::string& reason,
                      int64_t durationSeconds) override;
  ActionResult removeBan(const std::string& source) override;
  ActionResult accountAction(const std::string& name, const std::string& action) override;
  nlohmann::json reload() override;
  ActionResult explain(const nlohmann::json& call, nlohmann::json* report) override;

 private:
  Server& server_;
  std::string dbPath_;
  auth::LockoutPolicy lockout_;
  std::string host_;
  std::mutex dbMutex_;
  std::unique_ptr<db::AccountStore> accounts_;
  std::unique_ptr<db::AuditStore> auditLog_;
  std::unique_ptr<db::TokenStore> tokens_;
};

// What the events and CDR routes read from the database: the newest rows up to this many,
// filtered afterwards.
inline constexpr size_t kMaxScannedRows = 20000;

}  // namespace tg::app::admin_api
