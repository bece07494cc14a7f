#pragma once

// The admin API's view of the running gateway: reads through Server's thread-safe snapshot,
// status and call list (each asks the workers on their own threads), checks admin codes in the
// database's admin_users with the accounts' lockout (admin_code_check.h), and writes the admin
// audit log. Its database handles are its own, used under one mutex on the API's threads.

#include <memory>
#include <mutex>
#include <string>

#include "app/admin_api/admin_api.h"
#include "auth/lockout.h"
#include "config/config.h"

namespace tg::db {
class AccountStore;
class AuditStore;
}  // namespace tg::db

namespace tg::app::admin_api {

class GatewayBackend final : public ApiBackend {
 public:
  // Opens the database of `config` (and its sealing key); throws std::runtime_error naming what
  // failed: start-up only.
  GatewayBackend(Server& server, const config::Config& config);
  ~GatewayBackend() override;

  StatusFacts status() override;
  std::vector<CallEntry> calls() override;
  bool endCall(std::string_view uuid, std::string_view reason) override;
  AdminCodeCheck checkCode(const std::string& admin, std::string_view code) override;
  void audit(const std::string& actor, const std::string& action, const std::string& result,
             const std::string& source) override;

 private:
  Server& server_;
  auth::LockoutPolicy lockout_;
  std::string host_;
  std::mutex dbMutex_;
  std::unique_ptr<db::AccountStore> accounts_;
  std::unique_ptr<db::AuditStore> auditLog_;
};

}  // namespace tg::app::admin_api
