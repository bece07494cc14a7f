#include "app/admin_api/gateway_backend.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "app/admin_api/sessions.h"
#include "app/explain_command.h"
#include "app/guard_services.h"
#include "auth/auth_service.h"
#include "b2bua/bindings.h"
#include "base/log.h"
#include "base/sealed_secret.h"
#include "db/account_store.h"
#include "db/audit_store.h"
#include "db/database.h"
#include "db/event_store.h"
#include "db/token_store.h"
#include "guard/ban/ban_list.h"

namespace tg::app::admin_api {
namespace {

// An account lock from the API lasts until it is lifted; the lockout wants an end time.
constexpr auto kLockForever = std::chrono::hours(24 * 365 * 100);

int64_t wallMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

int64_t unixSeconds(base::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string hostName() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "-";
  return host.data();
}

// "192.0.2.7:5060" -> "192.0.2.7"; "[2001:db8::1]:5060" -> "2001:db8::1".
std::string withoutPort(const std::string& source) {
  if (const auto a = base::Address::parseHostPort(source)) return a->ip();
  return source;
}

// A host ban reads as the bare address, a network as its CIDR.
std::string banSource(const guard::IpPrefix& p) {
  const std::string text = p.toString();
  if (p.length == p.width()) return text.substr(0, text.rfind('/'));
  return text;
}

}  // namespace

GatewayBackend::GatewayBackend(Server& server, const config::Config& config)
    : server_(server),
      dbPath_(config.database.path),
      lockout_(auth::LockoutPolicy::from(config.accounts.lockout)),
      host_(hostName()) {
  accounts_ = std::make_unique<db::AccountStore>(config.database.path);
  auditLog_ = std::make_unique<db::AuditStore>(config.database.path);
  tokens_ = std::make_unique<db::TokenStore>(config.database.path);
  if (config.database.path != ":memory:") {
    // The gateway created the key and sealed the secrets before (app/secrets_at_rest.h).
    std::string error;
    const auto key = base::SealingKey::load(config.database.sealingKeyPath(), &error);
    if (!key) throw std::runtime_error("admin API: database.key_file: " + error);
    accounts_->setSealingKey(*key);
  }
}

GatewayBackend::~GatewayBackend() = default;

AdminCodeCheck GatewayBackend::checkLogin(const std::string& admin, std::string_view password,
                                          std::string_view code) {
  std::lock_guard lock(dbMutex_);
  return checkAdminLogin(*accounts_, admin, password, code, lockout_, wallMs(), std::time(nullptr));
}

std::optional<TokenIdentity> GatewayBackend::checkToken(std::string_view bearer) {
  const auto parts = auth::parseApiToken(bearer);
  if (!parts) return std::nullopt;
  std::optional<db::TokenRecord> record;
  {
    std::lock_guard lock(dbMutex_);
    record = tokens_->find(parts->id);
  }
  if (!record || record->revoked()) return std::nullopt;
  if (!sameSecret(auth::tokenSecretHash(parts->secret), record->secretSha256)) return std::nullopt;
  const auto role = auth::parseRole(record->role);
  if (!role) return std::nullopt;
  return TokenIdentity{record->name, *role};
}

std::vector<db::TokenRecord> GatewayBackend::tokens() {
  std::lock_guard lock(dbMutex_);
  return tokens_->list();
}

std::string GatewayBackend::createToken(const std::string& name, auth::ApiRole role,
                                        const std::string& createdBy, std::string* error) {
  const auth::NewApiToken fresh = auth::makeApiToken();
  db::TokenRecord r{
      fresh.id, name, std::string(auth::roleName(role)), fresh.secretSha256, createdBy,
      wallMs(), 0};
  bool exists = false;
  std::lock_guard lock(dbMutex_);
  if (std::string e = tokens_->add(r, &exists); !e.empty()) {
    *error = exists ? "a token named " + name + " exists" : "the database refused it";
    return {};
  }
  return fresh.token;
}

bool GatewayBackend::revokeToken(const std::string& idOrName) {
  bool found = false;
  std::lock_guard lock(dbMutex_);
  tokens_->revoke(idOrName, wallMs(), &found);
  return found;
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

StatusFacts GatewayBackend::status() { return server_.status(); }

std::vector<CallEntry> GatewayBackend::calls() { return server_.listCalls(); }

std::vector<EventRow> GatewayBackend::events(const EventQuery& q) {
  std::vector<EventRow> out;
  if (q.limit == 0) return out;
  // Read-only connection of its own: the event store's writer thread keeps its own.
  for (const db::SecurityEventRecord& e : db::readRecentEvents(dbPath_, kMaxScannedRows)) {
    const int64_t time = e.timeMs / 1000;
    if (time < q.since) break;  // newest first
    const std::string source = withoutPort(e.source);
    if ((!q.zone.empty() && e.zone != q.zone) || (!q.rule.empty() && e.rule != q.rule) ||
        (!q.source.empty() && source != q.source && e.source != q.source)) {
      continue;
    }
    std::string detail = e.reason;
    if (!e.action.empty()) detail += " (" + e.action + ")";
    out.push_back({time, e.zone, source, e.rule, std::move(detail)});
    if (out.size() == q.limit) break;
  }
  return out;
}

std::vector<BanRow> GatewayBackend::bans() {
  std::vector<BanRow> out;
  const auto now = std::chrono::steady_clock::now();
  for (const guard::Ban& b : server_.guardServices().bans().list(now)) {
    BanRow row{banSource(b.network), b.reason.empty() ? b.rule : b.reason, unixSeconds(b.created),
               std::nullopt};
    if (b.expiresWall) row.expires = unixSeconds(*b.expiresWall);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<db::CdrRecord> GatewayBackend::cdrs(const CdrQuery& q) {
  std::vector<db::CdrRecord> out;
  if (q.limit == 0) return out;
  for (db::CdrRecord& r : db::readRecentCdrs(dbPath_, kMaxScannedRows)) {
    const int64_t start = unixSeconds(r.startTime);
    if (start < q.since) break;  // newest first
    if (q.until != 0 && start >= q.until) continue;
    out.push_back(std::move(r));
    if (out.size() == q.limit) break;
  }
  return out;
}

nlohmann::json GatewayBackend::accounts() {
  std::vector<db::AccountRecord> records;
  {
    std::lock_guard lock(dbMutex_);
    records = accounts_->list();
  }
  auth::AuthService* phones = server_.phones();
  b2bua::Bindings* bindings = server_.bindings();
  const base::Address anywhere = *base::Address::parse("0.0.0.0", 0);
  nlohmann::json list = nlohmann::json::array();
  for (const db::AccountRecord& a : records) {
    const bool locked = phones != nullptr ? phones->lockout().isLocked(a.username, anywhere)
                                          : a.lockedUntilMs.value_or(0) > wallMs();
    list.push_back({{"name", a.username},
                    {"realm", a.realm},
                    {"enabled", a.enabled},
                    {"locked", locked},
                    {"max_registrations", a.maxRegistrations},
                    {"registrations", bindings ? bindings->activeFor(a.username).size() : 0},
                    {"allowed_networks", a.allowedNetworks},
                    {"password_changed", a.passwordChangedMs / 1000}});
  }
  return list;
}

nlohmann::json GatewayBackend::registrations() {
  std::vector<db::AccountRecord> records;
  {
    std::lock_guard lock(dbMutex_);
    records = accounts_->list();
  }
  nlohmann::json list = nlohmann::json::array();
  b2bua::Bindings* bindings = server_.bindings();
  if (bindings == nullptr) return list;
  const auto now = std::chrono::steady_clock::now();
  for (const db::AccountRecord& a : records) {
    for (const b2bua::Binding& b : bindings->activeFor(a.username)) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(b.expires - now);
      list.push_back({{"account", b.account},
                      {"source", b.phone.address.toString()},
                      {"transport", std::string(config::transportName(b.phone.transport))},
                      {"contact", b.phoneContact},
                      {"expires_in_s", std::max<int64_t>(0, left.count())}});
    }
  }
  return list;
}

bool GatewayBackend::endCall(std::string_view uuid, std::string_view reason) {
  return server_.endCall(uuid, reason);
}

ActionResult GatewayBackend::addBan(const std::string& source, const std::string& reason,
                                    int64_t durationSeconds) {
  std::string why;
  const auto network = guard::IpPrefix::parse(source, &why);
  if (!network) return {400, "source: " + why};
  // The shared ban list: every worker drops the source's next packet, the live-call sweep ends
  // its calls within a second, and the maintenance thread writes the ban to the database.
  const guard::BanResult r = server_.guardServices().bans().ban(
      *network, "manual", reason, guard::BanOrigin::kManual, std::chrono::steady_clock::now(),
      std::chrono::seconds(durationSeconds));
  switch (r.outcome) {
    case guard::BanResult::Outcome::kBanned:
    case guard::BanResult::Outcome::kAlreadyBanned:
      return {200, "banned " + banSource(*network) +
                       (durationSeconds == 0 ? " until removed"
                                             : " for " + std::to_string(durationSeconds) + "s")};
    case guard::BanResult::Outcome::kTrusted:
      return {409, "refusing to ban " + network->toString() + ": it overlaps the trusted network " +
                       r.trustedNetwork.toString()};
    case guard::BanResult::Outcome::kInvalid:
      break;
  }
  return {400, "source: not an IP network"};
}

ActionResult GatewayBackend::removeBan(const std::string& source) {
  std::string why;
  const auto network = guard::IpPrefix::parse(source, &why);
  if (!network) return {400, "source: " + why};
  if (!server_.guardServices().bans().unban(*network)) return {404, "no ban of " + source};
  return {200, "ban of " + banSource(*network) + " lifted"};
}

ActionResult GatewayBackend::accountAction(const std::string& name, const std::string& action) {
  std::lock_guard lock(dbMutex_);
  const auto account = accounts_->find(name);
  if (!account) return {404, "no account " + name};
  auth::AuthService* phones = server_.phones();
  const int64_t now = wallMs();
  if (action == "lock") {
    const auto until = std::chrono::system_clock::now() + kLockForever;
    const int count = account->lockCount + 1;
    // The live lockout at once (the sweep ends the account's calls), the database for restarts.
    if (phones != nullptr) phones->lockout().restoreAccountLock(name, until, count);
    accounts_->setLock(name, db::toEpochMillis(until), count);
    return {200, "account " + name + " locked until unlocked"};
  }
  if (action == "unlock") {
    if (phones != nullptr) phones->lockout().unlock(name);
    bool found = false;
    accounts_->unlock(name, now, &found);
    accounts_->noteEdited();
    return {200, "account " + name + " unlocked"};
  }
  if (action == "disable") {
    bool found = false;
    if (std::string e = accounts_->setEnabled(name, false, &found); !e.empty()) {
      return {500, "the database refused it"};
    }
    accounts_->noteEdited();  // the gateway reloads its accounts within a second
    server_.endCallsOfAccount(name, "account " + name + " disabled by an admin");
    return {200, "account " + name + " disabled"};
  }
  return {404, "no such account action"};
}

nlohmann::json GatewayBackend::reload() {
  const std::optional<ReloadResult> r = server_.reloadFromOutside();
  if (!r) return {{"applied", false}, {"error", "the reload did not finish in time; see the log"}};
  return {{"applied", !r->refused},
          {"refused", r->refused},
          {"keys_applied", r->applied},
          {"needs_restart", r->needsRestart},
          {"failed", r->failed},
          {"summary", r->refused ? "refused: the file has errors (see the log)" : r->summary()}};
}

ActionResult GatewayBackend::explain(const nlohmann::json& call, nlohmann::json* report) {
  ExplainOptions o;
  for (auto [key, field] :
       {std::pair{"zone", &o.zone}, std::pair{"account", &o.account}, std::pair{"to", &o.to},
        std::pair{"from", &o.from}, std::pair{"at", &o.at}}) {
    const auto it = call.find(key);
    if (it == call.end()) continue;
    if (!it->is_string() || it->get<std::string>().size() > 256) {
      return {400, std::string("\"") + key + "\" must be a string of at most 256 characters"};
    }
    *field = it->get<std::string>();
  }
  if (o.to.empty()) return {400, "give \"to\" (the number as dialled)"};
  ExplainReport r;
  if (std::string why = explainCall(*server_.config(), o, &r); !why.empty()) return {400, why};
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& t : r.trace) {
    steps.push_back({{"rule", t.rule}, {"matched", t.matched}, {"why", t.why}});
  }
  const guard::policy::Admission& d = r.decision;
  *report = {{"e164", d.e164},
             {"class", d.destinationClass},
             {"allowed", d.allowed},
             {"shadow", d.shadow},
             {"rule", d.rule},
             {"code", d.allowed && !d.shadow ? 0 : d.code},
             {"reason", d.reason},
             {"forward_user", d.forwardUser},
             {"max_duration_s", d.maxDuration.count()},
             {"steps", steps}};
  return {};
}

}  // namespace tg::app::admin_api
