#include "app/admin_api/gateway_backend.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "base/log.h"
#include "base/sealed_secret.h"
#include "db/account_store.h"
#include "db/audit_store.h"
#include "db/database.h"

namespace tg::app::admin_api {
namespace {

int64_t wallMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

std::string hostName() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "-";
  return host.data();
}

}  // namespace

GatewayBackend::GatewayBackend(Server& server, const config::Config& config)
    : server_(server),
      lockout_(auth::LockoutPolicy::from(config.accounts.lockout)),
      host_(hostName()) {
  accounts_ = std::make_unique<db::AccountStore>(config.database.path);
  auditLog_ = std::make_unique<db::AuditStore>(config.database.path);
  if (config.database.path != ":memory:") {
    // The gateway created the key and sealed the secrets before (app/secrets_at_rest.h).
    std::string error;
    const auto key = base::SealingKey::load(config.database.sealingKeyPath(), &error);
    if (!key) throw std::runtime_error("admin API: database.key_file: " + error);
    accounts_->setSealingKey(*key);
  }
}

GatewayBackend::~GatewayBackend() = default;

StatusFacts GatewayBackend::status() { return server_.status(); }

std::vector<CallEntry> GatewayBackend::calls() { return server_.listCalls(); }

bool GatewayBackend::endCall(std::string_view uuid, std::string_view reason) {
  return server_.endCall(uuid, reason);
}

AdminCodeCheck GatewayBackend::checkCode(const std::string& admin, std::string_view code) {
  std::lock_guard lock(dbMutex_);
  return checkAdminCode(*accounts_, admin, code, lockout_, wallMs(), std::time(nullptr));
}

void GatewayBackend::audit(const std::string& actor, const std::string& action,
                           const std::string& result, const std::string& source) {
  db::AuditRecord r;
  r.timeMs = wallMs();
  r.actor = auth::printableName(actor);
  r.action = action;
  r.result = result;
  r.uid = static_cast<int64_t>(::getuid());
  r.tty = "-";
  r.host = host_ + " via admin API from " + source;
  std::lock_guard lock(dbMutex_);
  if (std::string e = auditLog_->append(r); !e.empty()) {
    TG_LOG(kMain, warn, "admin API: the audit row was not written: {}", e);
  }
}

}  // namespace tg::app::admin_api
