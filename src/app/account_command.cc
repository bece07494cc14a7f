#include "app/account_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "app/admin_gate.h"
#include "app/admin_log_command.h"
#include "app/database_option.h"
#include "app/secrets_at_rest.h"
#include "app/terminal_prompt.h"
#include "auth/account.h"
#include "auth/lockout.h"
#include "auth/password_hash.h"
#include "auth/password_policy.h"
#include "auth/totp.h"
#include "config/cidr.h"
#include "config/config_loader.h"
#include "db/account_store.h"
#include "db/database.h"

namespace tg::app {
namespace {

constexpr std::string_view kIssuer = "trunkguard";

struct Context {
  std::string dbPath;
  std::string realm = "trunkguard";
  config::PasswordPolicySettings password;
  auth::LockoutPolicy lockout;  // failed admin codes
  std::string keyPath;          // seals admin TOTP secrets (secrets_at_rest.h)
};

int64_t nowMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

std::string label(const AccountCommandOptions& o) {
  if (o.action.rfind("admin-", 0) == 0) return "admin " + o.action.substr(6);
  return "account " + o.action;
}

// SIP user part characters we accept for a name (RFC 3261 unreserved plus a few).
bool validName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' ||
           c == '+' || c == '!' || c == '~';
  });
}

bool validCallerId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '*' || c == '#' ||
           c == '.' || c == '_' || c == '-';
  });
}

int loadContext(const AccountCommandOptions& o, Context& ctx, std::ostream& err) {
  DatabaseChoice db;
  if (int rc = chooseDatabase(o.configPath, o.dbPath, label(o),
                              "preferred: realm and password policy", db, err)) {
    return rc;
  }
  if (db.config != nullptr) {
    if (db.config->publicZone) ctx.realm = db.config->publicZone->auth.realm;
    ctx.password = db.config->accounts.password;
    ctx.lockout = auth::LockoutPolicy::from(db.config->accounts.lockout);
  }
  if (!o.realm.empty()) ctx.realm = o.realm;
  ctx.dbPath = db.path;
  ctx.keyPath = sealingKeyPath(db.config.get(), db.path);
  return 0;
}

// The new password: --password-file, a terminal prompt (asked twice), or one line of `in`.
std::optional<std::string> readPassword(const AccountCommandOptions& o, std::istream& in,
                                        std::ostream& err) {
  if (!o.passwordFile.empty()) {
    std::ifstream file(o.passwordFile);
    std::string line;
    if (!file || !std::getline(file, line)) {
      err << label(o) << ": cannot read a password from " << o.passwordFile << "\n";
      return std::nullopt;
    }
    return trimLine(line);
  }
  if (&in == &std::cin && isatty(STDIN_FILENO) == 1) {
    auto first = promptHidden("Password for " + o.user + ": ", err);
    auto second = first ? promptHidden("Again: ", err) : std::nullopt;
    if (!first || !second) return std::nullopt;
    if (*first != *second) {
      err << label(o) << ": the two passwords differ; nothing changed\n";
      return std::nullopt;
    }
    return first;
  }
  std::string line;
  if (!std::getline(in, line)) {
    err << label(o)
        << ": no password: give --password-file F, --generate, or one line on "
           "stdin\n";
    return std::nullopt;
  }
  return trimLine(line);
}

// The password to set, checked against the policy; printed once when generated.
std::optional<std::string> newPassword(const AccountCommandOptions& o, const Context& ctx,
                                       std::istream& in, std::ostream& out, std::ostream& err) {
  const auth::PasswordPolicy policy(ctx.password);
  if (o.generate) {
    std::string why;
    auto password = policy.generate(o.user, &why);
    if (!password) {
      err << label(o) << ": could not generate a password: " << why << "\n";
      return std::nullopt;
    }
    out << "Generated password for " << o.user << " (shown once; store it in the phone now):\n"
        << "  " << *password << "\n";
    return password;
  }
  auto password = readPassword(o, in, err);
  if (!password) return std::nullopt;
  if (const std::string why = policy.check(*password, o.user); !why.empty()) {
    err << label(o) << ": password refused: " << why << "\n";
    return std::nullopt;
  }
  return password;
}

int accountAdd(const AccountCommandOptions& o, const Context& ctx, std::istream& in,
               std::ostream& out, std::ostream& err) {
  db::AccountRecord draft;
  for (const std::string& net : o.allowFrom) {
    std::string why;
    auto cidr = config::Cidr::parse(net, &why);
    if (!cidr) {
      err << "account add: --allow-from " << why << "\n";
      return 2;
    }
    draft.allowedNetworks.push_back(cidr->text);
  }
  for (const std::string& id : o.callerIds) {
    if (!validCallerId(id)) {
      err << "account add: --caller-id '" << id << "' is not a number or SIP user\n";
      return 2;
    }
    draft.allowedCallerIds.push_back(id);
  }
  db::AccountStore store(ctx.dbPath);
  if (store.find(o.user)) {
    err << "account add: " << o.user << " exists; use `account passwd` to change its password\n";
    return 1;
  }
  auto password = newPassword(o, ctx, in, out, err);
  if (!password) return 1;
  db::AccountRecord r = auth::hashPassword(o.user, ctx.realm, *password, nowMs());
  std::fill(password->begin(), password->end(), '\0');
  r.allowedNetworks = std::move(draft.allowedNetworks);
  r.allowedCallerIds = std::move(draft.allowedCallerIds);
  r.maxRegistrations = o.maxRegistrations;
  bool exists = false;
  if (std::string e = store.add(r, &exists); !e.empty()) {
    err << "account add: " << (exists ? o.user + " exists" : store.lastError()) << "\n";
    return 1;
  }
  store.noteEdited();
  out << "account " << o.user << " added in realm " << ctx.realm
      << " (HA1 stored for MD5, SHA-256 and SHA-512-256; the password itself is not kept)\n";
  return 0;
}

int accountPasswd(const AccountCommandOptions& o, const Context& ctx, std::istream& in,
                  std::ostream& out, std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  const auto existing = store.find(o.user);
  if (!existing) {
    err << "account passwd: no account " << o.user << "\n";
    return 1;
  }
  auto password = newPassword(o, ctx, in, out, err);
  if (!password) return 1;
  // The realm stays the account's unless --realm moves it.
  const std::string realm = o.realm.empty() ? existing->realm : o.realm;
  const db::AccountRecord r = auth::hashPassword(o.user, realm, *password, nowMs());
  std::fill(password->begin(), password->end(), '\0');
  if (std::string e = store.setPassword(o.user, realm, r.ha1Md5, r.ha1Sha256, r.ha1Sha512_256,
                                        r.passwordChangedMs);
      !e.empty()) {
    err << "account passwd: " << store.lastError() << "\n";
    return 1;
  }
  store.noteEdited();
  out << "password of " << o.user << " changed\n";
  return 0;
}

std::string ageText(int64_t changedMs, int64_t now) {
  const int64_t days = std::max<int64_t>(0, (now - changedMs) / 86400000);
  return std::to_string(days) + "d";
}

int accountList(const AccountCommandOptions& o, const Context& ctx, std::ostream& out,
                std::ostream& err) {
  if (!existingDatabase(ctx.dbPath, "account list", err)) return 1;
  db::AccountStore store(ctx.dbPath);
  const auto accounts = store.list();
  if (!store.lastError().empty()) {
    err << "account list: " << store.lastError() << "\n";
    return 1;
  }
  const int64_t now = nowMs();
  const auth::PasswordPolicy policy(ctx.password);
  auto expiry = [&](const db::AccountRecord& a) -> std::string {
    const auth::PasswordAge age =
        policy.age(db::fromEpochMillis(a.passwordChangedMs), db::fromEpochMillis(now));
    switch (age.status) {
      case auth::PasswordAge::Status::kExpired:
        return "expired";
      case auth::PasswordAge::Status::kWarn:
        return "expires in " + std::to_string(age.daysLeft) + "d";
      case auth::PasswordAge::Status::kOk:
        break;
    }
    return "ok";
  };
  auto locked = [&](const db::AccountRecord& a) {
    return a.lockedUntilMs && *a.lockedUntilMs > now;
  };
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : accounts) {  // never the HA1s
      list.push_back(
          {{"username", a.username},
           {"realm", a.realm},
           {"enabled", a.enabled},
           {"allowed_networks", a.allowedNetworks},
           {"allowed_caller_ids", a.allowedCallerIds},
           {"max_registrations", a.maxRegistrations},
           {"password_changed", db::formatUtcMillis(db::fromEpochMillis(a.passwordChangedMs))},
           {"password", expiry(a)},
           {"locked", locked(a)},
           {"locked_until",
            locked(a) ? nlohmann::json(db::formatUtcMillis(db::fromEpochMillis(*a.lockedUntilMs)))
                      : nlohmann::json(nullptr)}});
    }
    out << list.dump(2) << "\n";
    return 0;
  }
  if (accounts.empty()) {
    out << "no accounts\n";
    return 0;
  }
  out << fmt::format("{:<16} {:<20} {:<8} {:<7} {:<8} {:<16} {:<7} {}\n", "USER", "REALM", "STATE",
                     "MAX-REG", "PW-AGE", "PASSWORD", "LOCKED", "NETWORKS");
  for (const auto& a : accounts) {
    out << fmt::format("{:<16} {:<20} {:<8} {:<7} {:<8} {:<16} {:<7} {}\n", a.username, a.realm,
                       a.enabled ? "enabled" : "disabled", a.maxRegistrations,
                       ageText(a.passwordChangedMs, now), expiry(a), locked(a) ? "yes" : "no",
                       a.allowedNetworks.empty() ? "any" : db::joinWords(a.allowedNetworks));
  }
  return 0;
}

int accountSetEnabled(const AccountCommandOptions& o, const Context& ctx, bool enabled,
                      std::ostream& out, std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  bool found = false;
  if (std::string e = store.setEnabled(o.user, enabled, &found); !e.empty()) {
    err << label(o) << ": " << store.lastError() << "\n";
    return 1;
  }
  if (!found) {
    err << label(o) << ": no account " << o.user << "\n";
    return 1;
  }
  store.noteEdited();
  out << "account " << o.user << (enabled ? " enabled\n" : " disabled\n");
  return 0;
}

int accountUnlock(const AccountCommandOptions& o, const Context& ctx, std::ostream& out,
                  std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  if (!store.find(o.user)) {
    err << "account unlock: no account " << o.user << "\n";
    return 1;
  }
  bool found = false;
  if (std::string e = store.unlock(o.user, nowMs(), &found); !e.empty() || !found) {
    err << "account unlock: " << (e.empty() ? "no account " + o.user : store.lastError()) << "\n";
    return 1;
  }
  store.noteEdited();
  out << "account " << o.user
      << " unlocked (a running gateway lifts its locks within a few "
         "seconds)\n";
  return 0;
}

int adminAdd(const AccountCommandOptions& o, const Context& ctx, std::ostream& out,
             std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  if (!useSealingKey(store, ctx.keyPath, err)) return 1;
  if (store.findAdmin(o.user)) {
    err << "admin add: " << o.user << " exists\n";
    return 1;
  }
  db::AdminRecord admin;
  admin.name = o.user;
  admin.totpSecretHex = auth::newTotpSecretHex();
  admin.createdMs = nowMs();
  bool exists = false;
  if (std::string e = store.addAdmin(admin, &exists); !e.empty()) {
    err << "admin add: " << (exists ? o.user + " exists" : store.lastError()) << "\n";
    return 1;
  }
  const std::string uri = auth::otpauthUri(kIssuer, o.user, admin.totpSecretHex);
  out << "admin " << o.user << " added. Scan this code with an authenticator app (or enter the "
      << "URI), then check it with `trunkguard admin verify " << o.user << " CODE`:\n\n"
      << auth::renderQr(uri, o.asciiQr ? auth::QrStyle::kAscii : auth::QrStyle::kHalfBlocks) << "\n"
      << uri << "\n"
      << "For the admin API, also give it a password: `trunkguard admin passwd " << o.user << "`\n";
  return 0;
}

// The admin API's first factor (migration 8 added the column: admins made before have none and
// cannot log in to the API until this runs). Checked against the accounts' password policy,
// stored as a scrypt hash (auth/password_hash.h).
int adminPasswd(const AccountCommandOptions& o, const Context& ctx, std::istream& in,
                std::ostream& out, std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  if (!store.findAdmin(o.user)) {
    err << "admin passwd: no admin " << o.user << "\n";
    return 1;
  }
  const auto password = newPassword(o, ctx, in, out, err);
  if (!password) return 1;
  const std::string hash = auth::hashAdminPassword(*password);
  bool found = false;
  if (hash.empty() || !store.setAdminPassword(o.user, hash, &found).empty() || !found) {
    err << "admin passwd: " << (hash.empty() ? "hashing failed (OpenSSL)" : store.lastError())
        << "\n";
    return 1;
  }
  out << "admin " << o.user << ": API password set\n";
  return 0;
}

// A code check is an admin login like any other: it uses the code up, counts towards the
// admin's lock when wrong, and is audited.
int adminVerify(const AccountCommandOptions& o, const Context& ctx, const LocalOrigin& origin,
                std::istream& in, std::ostream& out, std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  if (!useSealingKey(store, ctx.keyPath, err)) return 1;
  AdminGate gate(store, ctx.dbPath, origin, ctx.lockout);
  AdminCredentials credentials;
  credentials.totpUser = o.user;
  credentials.totpCode = o.code;
  if (!gate.authorise({"admin verify " + o.user}, credentials, in, err)) return 1;
  gate.finish(0, err);
  out << "code accepted for " << o.user << "\n";
  return 0;
}

bool mutates(const std::string& action) {
  return action == "add" || action == "passwd" || action == "disable" || action == "enable" ||
         action == "unlock" || action == "admin-add" || action == "admin-passwd";
}

int dispatch(const AccountCommandOptions& o, const Context& ctx, std::istream& in,
             std::ostream& out, std::ostream& err) {
  if (o.action == "add") return accountAdd(o, ctx, in, out, err);
  if (o.action == "passwd") return accountPasswd(o, ctx, in, out, err);
  if (o.action == "list") return accountList(o, ctx, out, err);
  if (o.action == "disable") return accountSetEnabled(o, ctx, false, out, err);
  if (o.action == "enable") return accountSetEnabled(o, ctx, true, out, err);
  if (o.action == "unlock") return accountUnlock(o, ctx, out, err);
  if (o.action == "admin-add") return adminAdd(o, ctx, out, err);
  if (o.action == "admin-passwd") return adminPasswd(o, ctx, in, out, err);
  if (o.action == "admin-log") return runAdminLog(ctx.dbPath, o.limit, o.json, out, err);
  err << "account: unknown action '" << o.action << "'\n";
  return 2;
}

// An edit runs only once an admin (or root, or the first admin's bootstrap) vouched for it,
// and lands in the audit either way.
int guarded(const AccountCommandOptions& o, const Context& ctx, const LocalOrigin& origin,
            std::istream& in, std::ostream& out, std::ostream& err) {
  db::AccountStore store(ctx.dbPath);
  if (!useSealingKey(store, ctx.keyPath, err)) return 1;
  AdminGate gate(store, ctx.dbPath, origin, ctx.lockout);
  const AdminAction action{label(o) + " " + o.user, o.action == "admin-add"};
  if (!gate.authorise(action, o.admin, in, err)) return kNotAuthorisedExit;
  const int rc = dispatch(o, ctx, in, out, err);
  gate.finish(rc, err);
  return rc;
}

}  // namespace

int runAccount(const AccountCommandOptions& o, std::istream& in, std::ostream& out,
               std::ostream& err, const LocalOrigin& origin) {
  if (o.action != "list" && o.action != "admin-log" && !validName(o.user)) {
    err << label(o) << ": '" << o.user
        << "' is not a valid name (letters, digits and . _ - + ! ~; at most 64)\n";
    return 2;
  }
  if (o.generate && !o.passwordFile.empty()) {
    err << label(o) << ": give --generate or --password-file, not both\n";
    return 2;
  }
  if (o.maxRegistrations < 1 || o.maxRegistrations > 100) {
    err << label(o) << ": --max-registrations must be from 1 to 100\n";
    return 2;
  }
  Context ctx;
  if (int rc = loadContext(o, ctx, err); rc != 0) return rc;
  try {
    if (mutates(o.action)) return guarded(o, ctx, origin, in, out, err);
    if (o.action == "admin-verify") return adminVerify(o, ctx, origin, in, out, err);
    return dispatch(o, ctx, in, out, err);
  } catch (const std::exception& e) {  // opening or migrating the database
    err << label(o) << ": " << e.what() << "\n";
    return 1;
  }
}

struct AccountCli {
  AccountCommandOptions options;
  std::vector<std::pair<CLI::App*, std::string>> actions;
};

std::shared_ptr<AccountCli> addAccountCommands(CLI::App& app) {
  auto cli = std::make_shared<AccountCli>();
  AccountCommandOptions& o = cli->options;
  auto source = [&o](CLI::App* sub) {
    sub->add_option("-c,--config", o.configPath,
                    "Configuration: database path, realm and password policy");
    sub->add_option("--db", o.dbPath, "Database file (overrides the config's)");
  };
  auto password = [&o](CLI::App* sub) {
    sub->add_option("--password-file", o.passwordFile,
                    "Read the password from the first line of this file (else: prompt or stdin)");
    sub->add_flag("--generate", o.generate, "Generate a strong random password and print it once");
  };
  auto add = [&](CLI::App* parent, const char* name, const char* help, const char* action) {
    CLI::App* sub = parent->add_subcommand(name, help);
    source(sub);
    if (mutates(action)) addAdminOptions(sub, o.admin);
    cli->actions.emplace_back(sub, action);
    return sub;
  };

  CLI::App* account = app.add_subcommand("account", "Remote-phone accounts (public zone)");
  account->require_subcommand(1);
  CLI::App* accAdd = add(account, "add", "Create an account", "add");
  accAdd->add_option("user", o.user, "Username (the extension)")->required();
  accAdd->add_option("--realm", o.realm, "Digest realm (default: public.auth.realm)");
  password(accAdd);
  accAdd->add_option("--allow-from", o.allowFrom, "Allowed source network (repeatable)");
  accAdd->add_option("--caller-id", o.callerIds, "Allowed caller ID (repeatable)");
  accAdd->add_option("--max-registrations", o.maxRegistrations, "Contacts it may register");
  CLI::App* accPasswd = add(account, "passwd", "Set a new password", "passwd");
  accPasswd->add_option("user", o.user, "Username")->required();
  accPasswd->add_option("--realm", o.realm, "Move the account to this realm");
  password(accPasswd);
  CLI::App* accList = add(account, "list", "Show the accounts", "list");
  accList->add_flag("--json", o.json, "Machine-readable output");
  for (const char* name : {"disable", "enable"}) {
    CLI::App* sub = add(account, name,
                        name[0] == 'd' ? "Refuse the account's registrations and calls"
                                       : "Accept the account again",
                        name);
    sub->add_option("user", o.user, "Username")->required();
  }
  CLI::App* accUnlock = add(account, "unlock", "Lift a brute-force lock", "unlock");
  accUnlock->add_option("user", o.user, "Username")->required();

  CLI::App* admin = app.add_subcommand("admin", "Admin users (TOTP second factor)");
  admin->require_subcommand(1);
  CLI::App* admAdd = add(admin, "add", "Create an admin and enrol TOTP", "admin-add");
  admAdd->add_option("name", o.user, "Admin name")->required();
  admAdd->add_flag("--ascii", o.asciiQr, "Draw the QR code with ASCII characters");
  CLI::App* admPasswd =
      add(admin, "passwd", "Set the admin's password for the admin API", "admin-passwd");
  admPasswd->add_option("name", o.user, "Admin name")->required();
  password(admPasswd);
  CLI::App* admVerify = add(admin, "verify", "Check an admin's TOTP code", "admin-verify");
  admVerify->add_option("name", o.user, "Admin name")->required();
  admVerify->add_option("code", o.code, "The code the app shows")->required();
  CLI::App* admLog = add(admin, "log", "Show the admin audit trail, newest first", "admin-log");
  admLog->add_option("-n,--limit", o.limit, "How many actions to show")->check(CLI::PositiveNumber);
  admLog->add_flag("--json", o.json, "Machine-readable output");
  return cli;
}

std::optional<int> runAccountCli(AccountCli& cli, std::istream& in, std::ostream& out,
                                 std::ostream& err) {
  for (const auto& [sub, action] : cli.actions) {
    if (sub->parsed()) {
      cli.options.action = action;
      return runAccount(cli.options, in, out, err, currentOrigin());
    }
  }
  return std::nullopt;
}

}  // namespace tg::app
