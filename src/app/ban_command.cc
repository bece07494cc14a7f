#include "app/ban_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "app/database_option.h"
#include "app/secrets_at_rest.h"
#include "auth/lockout.h"
#include "config/config_loader.h"
#include "db/account_store.h"
#include "db/ban_store.h"
#include "db/database.h"
#include "guard/ban/ban_list.h"
#include "guard/ban/blocklist.h"

namespace tg::app {
namespace {

using std::chrono::seconds;

// What the command needs from the config (or its defaults when only --db is given).
struct Context {
  std::string dbPath;
  std::vector<guard::IpPrefix> trusted;
  bool haveConfig = false;
  seconds defaultDuration{600};
  auth::LockoutPolicy lockout;  // failed admin codes
  std::string keyPath;          // opens sealed admin TOTP secrets
};

int64_t nowMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

std::string remaining(const db::BanRecord& r, int64_t now) {
  if (!r.expiresMs) return "never";
  int64_t s = std::max<int64_t>(0, (*r.expiresMs - now + 999) / 1000);
  if (s >= 86400) return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
  if (s >= 3600) return fmt::format("{}h{}m", s / 3600, s % 3600 / 60);
  if (s >= 60) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string describeDuration(seconds d) {
  if (d.count() == 0) return "until removed";
  return "for " + std::to_string(d.count()) + "s";
}

// 0 on success; otherwise the exit code, with the message written.
int loadContext(const BanCommandOptions& o, Context& ctx, std::ostream& err) {
  DatabaseChoice db;
  if (int rc = chooseDatabase(o.configPath, o.dbPath, "ban " + o.action,
                              "preferred: trusted networks are checked", db, err)) {
    return rc;
  }
  if (db.config != nullptr) {
    ctx.trusted = guard::trustedNetworks(*db.config);
    ctx.haveConfig = true;
    ctx.defaultDuration = db.config->guard.bans.duration;
    ctx.lockout = auth::LockoutPolicy::from(db.config->accounts.lockout);
  }
  ctx.dbPath = db.path;
  ctx.keyPath = sealingKeyPath(db.config.get(), db.path);
  return 0;
}

bool databaseExists(const Context& ctx, const BanCommandOptions& o, std::ostream& err) {
  return existingDatabase(ctx.dbPath, "ban " + o.action, err);
}

const guard::IpPrefix* trustedOverlap(const Context& ctx, const guard::IpPrefix& network) {
  for (const auto& t : ctx.trusted) {
    if (t.covers(network) || network.covers(t)) return &t;
  }
  return nullptr;
}

std::optional<seconds> durationOption(const BanCommandOptions& o, seconds fallback,
                                      std::ostream& err) {
  if (o.duration.empty()) return fallback;
  std::string why;
  auto d = parseBanDuration(o.duration, &why);
  if (!d) err << "ban " << o.action << ": --duration " << why << "\n";
  return d;
}

db::BanRecord record(const guard::IpPrefix& network, std::string origin, std::string rule,
                     std::string reason, seconds duration, int64_t now) {
  db::BanRecord r;
  r.network = network.toString();
  r.origin = std::move(origin);
  r.rule = std::move(rule);
  r.reason = std::move(reason);
  r.createdMs = now;
  if (duration.count() > 0) r.expiresMs = now + duration.count() * 1000;
  return r;
}

// A running gateway re-reads the bans within a second once it sees the edit note.
void notifyGateway(db::BanStore& store, std::ostream& err) {
  if (std::string e = store.noteEdited(); !e.empty()) {
    err << "warning: saved, but a running gateway will only see it after a restart (" << e << ")\n";
  }
}

int banAdd(const BanCommandOptions& o, const Context& ctx, std::ostream& out, std::ostream& err) {
  std::string why;
  const auto network = guard::IpPrefix::parse(o.target, &why);
  if (!network) {
    err << "ban add: " << why << "\n";
    return 2;
  }
  const auto duration = durationOption(o, ctx.defaultDuration, err);
  if (!duration) return 2;
  if (const guard::IpPrefix* t = trustedOverlap(ctx, *network)) {
    err << "ban add: refusing to ban " << network->toString() << ": it overlaps the trusted "
        << "network " << t->toString() << " (guard.trusted, the PBX or a provider in "
        << o.configPath << "); trusted peers are never banned - remove it from the config "
        << "first if it really must be blocked\n";
    return 1;
  }
  if (!ctx.haveConfig) {
    err << "note: no -c CONFIG given, so trusted networks were not checked (the gateway still "
           "never applies a ban to them)\n";
  }
  const int64_t now = nowMs();
  db::BanStore store(ctx.dbPath);
  const db::BanRecord r =
      record(*network, "manual", "manual", o.reason.empty() ? "banned by operator" : o.reason,
             *duration, now);
  if (std::string e = store.upsert(r); !e.empty()) {
    err << "ban add: " << ctx.dbPath << ": " << e << "\n";
    return 1;
  }
  notifyGateway(store, err);
  out << "banned " << r.network << " " << describeDuration(*duration) << "\n";
  return 0;
}

int banRemove(const BanCommandOptions& o, const Context& ctx, std::ostream& out,
              std::ostream& err) {
  std::string why;
  const auto network = guard::IpPrefix::parse(o.target, &why);
  if (!network) {
    err << "ban remove: " << why << "\n";
    return 2;
  }
  if (!databaseExists(ctx, o, err)) return 1;
  db::BanStore store(ctx.dbPath);
  bool removed = false;
  if (std::string e = store.remove(network->toString(), &removed); !e.empty()) {
    err << "ban remove: " << ctx.dbPath << ": " << e << "\n";
    return 1;
  }
  if (!removed) {
    err << "ban remove: no ban for exactly " << network->toString();
    // The address may sit under a broader ban: name it, since only that one can be removed.
    const auto address = network->address();
    for (const db::BanRecord& b : store.loadActive(nowMs())) {
      const auto p = guard::IpPrefix::parse(b.network);
      if (p && p->contains(address)) {
        err << "; it is covered by " << b.network << " (remove that one)";
        break;
      }
    }
    err << "; see `trunkguard ban list`\n";
    return 1;
  }
  notifyGateway(store, err);
  out << "removed the ban of " << network->toString() << "\n";
  return 0;
}

int banList(const BanCommandOptions& o, const Context& ctx, std::ostream& out, std::ostream& err) {
  if (!databaseExists(ctx, o, err)) return 1;
  db::BanStore store(ctx.dbPath);
  const int64_t now = nowMs();
  const std::vector<db::BanRecord> bans = store.loadActive(now);
  if (!store.lastError().empty()) {
    err << "ban list: " << store.lastError() << "\n";
    return 1;
  }
  if (o.json) {
    using Json = nlohmann::ordered_json;
    Json array = Json::array();
    for (const db::BanRecord& b : bans) {
      array.push_back(
          {{"network", b.network},
           {"origin", b.origin},
           {"rule", b.rule},
           {"reason", b.reason},
           {"created", db::formatUtcMillis(db::fromEpochMillis(b.createdMs))},
           {"expires", b.expiresMs ? Json(db::formatUtcMillis(db::fromEpochMillis(*b.expiresMs)))
                                   : Json(nullptr)},
           {"offences", b.offences}});
    }
    out << array.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (bans.empty()) {
    out << "no active bans in " << ctx.dbPath << "\n";
    return 0;
  }
  constexpr size_t kColumns = 6;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows{{"NETWORK", "ORIGIN", "RULE", "EXPIRES (UTC)", "LEFT", "REASON"}};
  for (const db::BanRecord& b : bans) {
    rows.push_back({b.network, printable(b.origin), printable(b.rule),
                    b.expiresMs ? db::formatUtcMillis(db::fromEpochMillis(*b.expiresMs)) : "never",
                    remaining(b, now), printable(b.reason)});
  }
  std::array<size_t, kColumns> width{};
  for (const Row& row : rows) {
    for (size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const Row& row : rows) {
    std::string line;
    for (size_t c = 0; c < kColumns; ++c) {
      line += row[c];
      if (c + 1 < kColumns) line.append(width[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
  return 0;
}

int banImport(const BanCommandOptions& o, const Context& ctx, std::ostream& out,
              std::ostream& err) {
  // Feeds are refreshed by importing again: their bans last until removed unless told.
  const auto duration = durationOption(o, seconds(0), err);
  if (!duration) return 2;
  const guard::Blocklist list = guard::readBlocklistFile(o.target);
  if (!list.ok()) {
    err << "ban import: " << list.error << "\n";
    return 1;
  }
  for (const auto& p : list.problems) {
    err << o.target << ":" << p.line << ": skipped '" << p.text << "': " << p.message << "\n";
  }
  const int64_t now = nowMs();
  std::vector<db::BanWrite> writes;
  size_t trusted = 0;
  for (const guard::IpPrefix& network : list.networks) {
    if (const guard::IpPrefix* t = trustedOverlap(ctx, network)) {
      err << o.target << ": skipped " << network.toString() << ": overlaps the trusted network "
          << t->toString() << "\n";
      ++trusted;
      continue;
    }
    db::BanWrite w;
    // Origin "manual": blocklist bans belong to guard.bans.blocklist_files, which a gateway
    // replaces wholesale on every reload.
    w.ban = record(network, "manual", "import",
                   "imported from " + std::filesystem::path(o.target).filename().string(),
                   *duration, now);
    writes.push_back(std::move(w));
  }
  db::BanStore store(ctx.dbPath);
  if (std::string e = store.apply(writes); !e.empty()) {
    err << "ban import: " << ctx.dbPath << ": " << e << "\n";
    return 1;
  }
  notifyGateway(store, err);
  out << "imported " << writes.size() << " network(s) from " << o.target << " "
      << describeDuration(*duration);
  if (!list.problems.empty()) out << "; " << list.problems.size() << " bad line(s) skipped";
  if (trusted > 0) out << "; " << trusted << " trusted network(s) skipped";
  out << "\n";
  if (!ctx.haveConfig) {
    err << "note: no -c CONFIG given, so trusted networks were not checked\n";
  }
  return 0;
}

}  // namespace

std::optional<seconds> parseBanDuration(std::string_view text, std::string* error) {
  auto fail = [&]() -> std::optional<seconds> {
    if (error != nullptr) {
      *error = "'" + std::string(text) +
               "' is not a duration; write e.g. 3600, 90s, 30m, 1h, 2d, 1w or permanent";
    }
    return std::nullopt;
  };
  if (text == "permanent" || text == "never") return seconds(0);
  if (text.empty()) return fail();
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 604800;
      break;
    default:
      unit = 0;
  }
  if (unit != 0) text.remove_suffix(1);
  if (unit == 0) unit = 1;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > int64_t{100} * 365 * 86400 / unit) {
    return fail();
  }
  return seconds(value * unit);
}

namespace {

int runEdit(const BanCommandOptions& o, const Context& ctx, std::ostream& out, std::ostream& err) {
  if (o.action == "add") return banAdd(o, ctx, out, err);
  if (o.action == "remove") return banRemove(o, ctx, out, err);
  return banImport(o, ctx, out, err);
}

}  // namespace

int runBan(const BanCommandOptions& o, std::ostream& out, std::ostream& err,
           const LocalOrigin& origin) {
  Context ctx;
  if (int rc = loadContext(o, ctx, err); rc != 0) return rc;
  try {
    if (o.action == "list") return banList(o, ctx, out, err);
    if (o.action == "add" || o.action == "remove" || o.action == "import") {
      db::AccountStore admins(ctx.dbPath);
      if (!useSealingKey(admins, ctx.keyPath, err)) return 1;
      AdminGate gate(admins, ctx.dbPath, origin, ctx.lockout);
      if (!gate.authorise({"ban " + o.action + " " + o.target}, o.admin, std::cin, err)) {
        return kNotAuthorisedExit;
      }
      const int rc = runEdit(o, ctx, out, err);
      gate.finish(rc, err);
      return rc;
    }
  } catch (const std::exception& e) {  // opening or migrating the database
    err << "ban " << o.action << ": " << e.what() << "\n";
    return 1;
  }
  err << "ban: unknown action '" << o.action << "'; use add, remove, list or import\n";
  return 2;
}

}  // namespace tg::app
