#include "app/token_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/database_option.h"
#include "app/secrets_at_rest.h"
#include "auth/api_token.h"
#include "auth/lockout.h"
#include "db/account_store.h"
#include "db/database.h"
#include "db/token_store.h"

namespace tg::app {
namespace {

int64_t nowMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

bool validName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

int tokenAdd(const TokenCommandOptions& o, const std::string& actor, const std::string& dbPath,
             std::ostream& out, std::ostream& err) {
  const auto role = auth::parseRole(o.role);
  const auth::NewApiToken fresh = auth::makeApiToken();
  db::TokenStore store(dbPath);
  bool exists = false;
  const db::TokenRecord r{
      fresh.id, o.name, std::string(auth::roleName(*role)), fresh.secretSha256, actor, nowMs(), 0};
  if (std::string e = store.add(r, &exists); !e.empty()) {
    err << "admin token add: "
        << (exists ? "a token named " + o.name + " exists" : store.lastError()) << "\n";
    return 1;
  }
  out << "token " << o.name << " (" << o.role << ", id " << fresh.id
      << ") - shown once, only its hash is kept:\n"
      << fresh.token << "\n"
      << "use it as: Authorization: Bearer <token>\n";
  return 0;
}

int tokenList(const TokenCommandOptions& o, const std::string& dbPath, std::ostream& out) {
  db::TokenStore store(dbPath);
  const std::vector<db::TokenRecord> tokens = store.list();
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const db::TokenRecord& t : tokens) {
      list.push_back({{"id", t.id},
                      {"name", t.name},
                      {"role", t.role},
                      {"created_by", t.createdBy},
                      {"created", db::formatUtcMillis(db::fromEpochMillis(t.createdMs))},
                      {"revoked", t.revoked()}});
    }
    out << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (tokens.empty()) out << "no API tokens\n";
  for (const db::TokenRecord& t : tokens) {
    out << t.id << "  " << t.name << "  " << t.role << "  by " << auth::printableName(t.createdBy)
        << "  " << db::formatUtcMillis(db::fromEpochMillis(t.createdMs))
        << (t.revoked() ? "  revoked" : "") << "\n";
  }
  return 0;
}

int tokenRevoke(const TokenCommandOptions& o, const std::string& dbPath, std::ostream& out,
                std::ostream& err) {
  db::TokenStore store(dbPath);
  bool found = false;
  if (std::string e = store.revoke(o.name, nowMs(), &found); !e.empty() || !found) {
    err << "admin token revoke: "
        << (e.empty() ? "no valid token with id or name " + o.name : store.lastError()) << "\n";
    return 1;
  }
  out << "token " << o.name << " revoked (the API refuses it from its next request)\n";
  return 0;
}

}  // namespace

int runToken(const TokenCommandOptions& o, std::istream& in, std::ostream& out, std::ostream& err,
             const LocalOrigin& origin) {
  const std::string label = "admin token " + o.action;
  if (o.action != "list" && !validName(o.name)) {
    err << label << ": '" << o.name
        << "' is not a valid name (letters, digits, . _ -; at most 64)\n";
    return 2;
  }
  if (o.action == "add" && !auth::parseRole(o.role)) {
    err << label << ": --role must be viewer or admin\n";
    return 2;
  }
  DatabaseChoice db;
  if (int rc =
          chooseDatabase(o.configPath, o.dbPath, label, "preferred: lockout policy", db, err)) {
    return rc;
  }
  try {
    if (o.action == "list") return tokenList(o, db.path, out);
    db::AccountStore accounts(db.path);
    if (!useSealingKey(accounts, sealingKeyPath(db.config.get(), db.path), err)) return 1;
    const auth::LockoutPolicy lockout =
        db.config ? auth::LockoutPolicy::from(db.config->accounts.lockout) : auth::LockoutPolicy{};
    AdminGate gate(accounts, db.path, origin, lockout);
    if (!gate.authorise({label + " " + o.name}, o.admin, in, err)) return kNotAuthorisedExit;
    const int rc = o.action == "add" ? tokenAdd(o, gate.actor(), db.path, out, err)
                                     : tokenRevoke(o, db.path, out, err);
    gate.finish(rc, err);
    return rc;
  } catch (const std::exception& e) {  // opening or migrating the database
    err << label << ": " << e.what() << "\n";
    return 1;
  }
}

struct TokenCli {
  TokenCommandOptions options;
  std::vector<std::pair<CLI::App*, std::string>> actions;
};

std::shared_ptr<TokenCli> addTokenCommands(CLI::App& app) {
  auto cli = std::make_shared<TokenCli>();
  TokenCommandOptions& o = cli->options;
  CLI::App* token = app.get_subcommand("admin")->add_subcommand(
      "token", "Bearer tokens of the admin API (for machines)");
  token->require_subcommand(1);
  auto add = [&](const char* name, const char* help) {
    CLI::App* sub = token->add_subcommand(name, help);
    sub->add_option("-c,--config", o.configPath, "Configuration: database path, lockout policy");
    sub->add_option("--db", o.dbPath, "Database file (overrides the config's)");
    cli->actions.emplace_back(sub, name);
    return sub;
  };
  CLI::App* tokAdd = add("add", "Make a token and print it once");
  tokAdd->add_option("name", o.name, "What uses it (\"prometheus\", \"ci\")")->required();
  tokAdd->add_option("--role", o.role, "viewer (read only, the default) or admin");
  addAdminOptions(tokAdd, o.admin);
  CLI::App* tokList = add("list", "Show the tokens (never their secrets)");
  tokList->add_flag("--json", o.json, "Machine-readable output");
  CLI::App* tokRevoke = add("revoke", "Revoke a token");
  tokRevoke->add_option("token", o.name, "Its id or name")->required();
  addAdminOptions(tokRevoke, o.admin);
  return cli;
}

std::optional<int> runTokenCli(TokenCli& cli, std::istream& in, std::ostream& out,
                               std::ostream& err) {
  for (const auto& [sub, action] : cli.actions) {
    if (sub->parsed()) {
      cli.options.action = action;
      return runToken(cli.options, in, out, err, currentOrigin());
    }
  }
  return std::nullopt;
}

}  // namespace tg::app
