#include "audit/gateway_audit.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "audit/secret_strength.h"
#include "audit/yaml_locator.h"
#include "config/config_loader.h"
#include "config/pbx_rule_reach.h"
#include "db/database.h"

namespace tg::audit {
namespace {

using config::Config;
using config::PolicyAction;
using config::PolicyRule;

// What the checks need besides the config: where to report, and the findings.
struct Context {
  const Config& config;
  const std::string& file;
  YamlLocator yaml;
  AuditResult& result;

  void add(std::string_view id, std::string_view keyPath, std::string evidence) {
    result.add(id, file, yaml.line(keyPath), std::move(evidence));
  }
};

// Its group or every user may read it (mode g+r or o+r): the secret is no longer the
// gateway's alone. (check-config refuses o+r outright; g+r only warns, so the audit names it.)
bool readableByOthers(const std::string& path, std::string* mode) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return false;
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  *mode = text;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

void checkSecretFile(Context& c, const std::string& path, std::string_view keyPath) {
  std::string mode;
  if (readableByOthers(path, &mode)) {
    c.add("GW-SECRET-FILE-READABLE", keyPath, path + " has mode " + mode);
  }
}

void checkProviders(Context& c) {
  const auto& providers = c.config.trunk.providers;
  for (size_t i = 0; i < providers.size(); ++i) {
    const config::Provider& p = providers[i];
    const std::string key = "trunk.providers[" + std::to_string(i) + "]";
    if (p.target.transport != config::TransportKind::kTls) {
      c.add("GW-PLAINTEXT-TRUNK", key + ".transport",
            p.name + ": transport " + std::string(config::transportName(p.target.transport)));
    } else if (!p.tls.verify) {
      c.add("GW-TLS-NO-VERIFY", key + ".tls.verify", p.name + ": tls.verify: false");
    }
    if (!p.auth.enabled) continue;
    if (const std::string why = secretWeakness(p.auth.password.reveal(), p.auth.username);
        !why.empty()) {
      c.add("GW-WEAK-PROVIDER-SECRET", key + ".auth",
            p.name + " (" + p.auth.passwordSource + "): " + why);
    }
    if (p.auth.passwordSource.rfind("file ", 0) == 0) {
      checkSecretFile(c, p.auth.passwordSource.substr(5), key + ".auth.password_file");
    }
    checkSecretFile(c, p.tls.clientPrivateKey, key + ".tls.client_private_key");
  }
}

bool coversZone(const PolicyRule& r, uint8_t zone) { return r.zones == 0 || (r.zones & zone); }

bool hasClass(const PolicyRule& r, std::string_view cls) {
  return std::find(r.classes.begin(), r.classes.end(), cls) != r.classes.end();
}

// A rule that matches international calls for everyone, at any time.
bool unconditional(const PolicyRule& r) {
  return r.accounts.empty() && r.groups.empty() && r.prefixes.empty() && !r.window;
}

bool matchesInternational(const PolicyRule& r) {
  if (!r.prefixes.empty()) return false;  // a prefix rule is a deliberate destination
  if (r.classes.empty()) return true;
  for (std::string_view cls : {"international", "high-risk", "satellite", "premium"}) {
    if (hasClass(r, cls)) return true;
  }
  return false;
}

bool capped(const PolicyRule& r) {
  return r.maxConcurrent > 0 || r.callsPerMinute > 0 || r.spendPerHour > 0 || r.spendPerDay > 0;
}

void checkPolicy(Context& c) {
  const config::PolicySettings& p = c.config.policy;
  if (!p.enabled) {
    c.add("GW-POLICY-DISABLED", "policy.enabled", "policy.enabled: false (or no policy: section)");
    return;
  }
  if (!p.enforce) c.add("GW-POLICY-SHADOW", "policy.enforce", "policy.enforce: false");
  if (p.callerIdAction == config::CallerIdAction::kOff) {
    c.add("GW-CALLERID-OFF", "policy.caller_id", "policy.caller_id.action: off");
  }
  // The zones phones call out from: the PBX's and (when on) the public one.
  const std::array<std::pair<uint8_t, std::string_view>, 2> zones = {
      std::pair<uint8_t, std::string_view>{config::kZonePbx, "pbx"},
      std::pair<uint8_t, std::string_view>{config::kZonePublic, "public"}};
  for (const auto& [zone, name] : zones) {
    if (zone == config::kZonePublic && !c.config.publicZone) continue;
    bool denied = false;  // an earlier unconditional deny of international calls
    for (const PolicyRule& r : p.rules) {
      if (!coversZone(r, zone) || !matchesInternational(r)) continue;
      if (r.action == PolicyAction::kDeny) {
        if (unconditional(r) && (r.classes.empty() || hasClass(r, "international"))) {
          denied = true;
          break;
        }
        continue;
      }
      if (!capped(r)) {
        c.result.add("GW-INTERNATIONAL-UNCAPPED", c.file, r.line,
                     "rule " + r.name + " allows international calls from the " +
                         std::string(name) +
                         " zone with no max_concurrent, calls_per_minute "
                         "or spend limit");
      }
    }
    const size_t index = zone == config::kZonePbx ? 0 : 2;
    if (!denied && p.defaultAction[index] == PolicyAction::kAllow) {
      c.add("GW-INTERNATIONAL-UNCAPPED", "policy.default_action." + std::string(name),
            "default_action." + std::string(name) +
                ": allow (calls no rule matches, "
                "international ones included, pass without limits)");
    }
  }
  // Rules naming extensions that the calls of a target without identity_header never match.
  for (const PolicyRule& r : p.rules) {
    std::string peers;
    for (const size_t i : config::pbxTargetsRuleMisses(c.config, r)) {
      peers += (peers.empty() ? "" : ", ") + c.config.pbx.peers[i].name;
    }
    if (!peers.empty()) {
      c.result.add("GW-POLICY-RULE-MISSES-PBX", c.file, r.line,
                   "rule " + r.name + " names " + (r.accounts.empty() ? "groups" : "accounts") +
                       "; calls from " + peers + " (no identity_header) count as the peer");
    }
  }
}

void checkFilter(Context& c, const config::FilterSwitches& f, const std::string& key) {
  if (!f.enabled) {
    c.add("GW-GUARD-FILTER-DISABLED", key + ".enabled", key + ".enabled: false");
  } else if (!f.enforce) {
    c.add("GW-GUARD-FILTER-SHADOW", key + ".enforce", key + ".enforce: false");
  }
}

bool anyAddress(const base::Address& a) { return a.ip() == "0.0.0.0" || a.ip() == "::"; }

void checkGuardAndZones(Context& c) {
  const Config& cfg = c.config;
  checkFilter(c, cfg.guard.acl, "guard.acl");
  checkFilter(c, cfg.guard.scanner, "guard.scanner");
  checkFilter(c, cfg.guard.rateLimit, "guard.rate_limit");
  checkFilter(c, cfg.guard.overload, "guard.overload");
  if (!cfg.guard.bans.enabled) {
    c.add("GW-BANS-DISABLED", "guard.bans.enabled", "guard.bans.enabled: false");
  } else if (cfg.guard.bans.blocklistUrl.empty() && cfg.guard.bans.blocklistFiles.empty()) {
    c.add("GW-BAN-FEED-OFF", "guard.bans", "no blocklist_url and no blocklist_files");
  }
  for (const auto& [listeners, key] : {std::pair{&cfg.pbx.listen, std::string("pbx.listen")},
                                       std::pair{&cfg.trunk.listen, std::string("trunk.listen")}}) {
    for (size_t i = 0; i < listeners->size(); ++i) {
      if (anyAddress((*listeners)[i].address)) {
        c.add("GW-WILDCARD-LISTENER", key + "[" + std::to_string(i) + "]", (*listeners)[i].text);
      }
    }
  }
  if (cfg.trunk.allowRefer)
    c.add("GW-REFER-ALLOWED", "trunk.allow_refer", "trunk.allow_refer: true");
  if (!cfg.publicZone) return;
  if (cfg.publicZone->allowRefer) {
    c.add("GW-REFER-ALLOWED", "public.allow_refer", "public.allow_refer: true");
  }
  const bool exposed =
      std::any_of(cfg.publicZone->listen.begin(), cfg.publicZone->listen.end(),
                  [](const config::Listener& l) { return !l.address.isLoopback(); });
  const auto& countries = cfg.guard.acl.countries;
  const bool countryLimited = countries && (!countries->allow.empty() || !countries->deny.empty());
  if (exposed && cfg.guard.acl.publicZone.allow.empty() && !countryLimited) {
    c.add("GW-PUBLIC-NO-ACL", "public.listen",
          "no guard.acl.public.allow and no guard.acl.countries");
  }
  const config::LockoutSettings& lock = cfg.accounts.lockout;
  if (lock.sourceFailures == 0) {
    c.add("GW-PUBLIC-NO-LOCKOUT", "accounts.lockout.source_failures",
          "source_failures: 0 (a guessing source is never banned)");
  } else if (lock.failures > 10) {
    c.add("GW-PUBLIC-NO-LOCKOUT", "accounts.lockout.failures",
          "failures: " + std::to_string(lock.failures) + " (more than 10 guesses per window)");
  }
  const config::PasswordPolicySettings& pw = cfg.accounts.password;
  if (pw.minLength < 12 || !pw.dictionaryCheck || pw.minClasses < 3) {
    c.add("GW-WEAK-PASSWORD-POLICY", "accounts.password",
          "min_length " + std::to_string(pw.minLength) + ", min_classes " +
              std::to_string(pw.minClasses) + ", dictionary_check " +
              (pw.dictionaryCheck ? "true" : "false"));
  }
  checkSecretFile(c, cfg.accounts.nonce.secretFile, "accounts.nonce.secret_file");
}

void checkTls(Context& c) {
  const config::TlsSettings& tls = c.config.tls;
  if (tls.certificate.empty()) return;
  checkSecretFile(c, tls.privateKey, "tls.private_key");
  if (tls.minVersion == config::TlsVersion::k12) {
    c.add("GW-TLS-MIN-VERSION", "tls.min_version", "min_version: 1.2");
  }
  for (std::string_view weak :
       {"RC4", "DES", "3DES", "NULL", "EXPORT", "MD5", "aNULL", "eNULL", "ALL", "LOW", "CBC"}) {
    if (tls.ciphers.find(weak) != std::string::npos) {
      c.add("GW-TLS-WEAK-CIPHERS", "tls.ciphers",
            "tls.ciphers contains " + std::string(weak) + ": " + tls.ciphers);
      break;
    }
  }
}

// Admins and their TOTP, from the accounts database (read-only: nothing is created or changed).
void checkDatabase(Context& c) {
  const std::string& path = c.config.database.path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // no database yet: nothing to check
  std::string mode;
  if (readableByOthers(path, &mode)) {
    c.add("GW-DATABASE-READABLE", "database.path", path + " has mode " + mode);
  }
  try {
    db::Database database(path, {db::Access::kReadOnly});
    db::Statement accounts = database.prepare("SELECT COUNT(*) FROM accounts");
    const bool hasAccounts =
        accounts.step() == db::Statement::Step::kRow && accounts.columnInt64(0) > 0;
    db::Statement admins =
        database.prepare("SELECT name, totp_secret, last_totp_step FROM admin_users ORDER BY name");
    bool anyAdmin = false;
    while (admins.step() == db::Statement::Step::kRow) {
      anyAdmin = true;
      if (admins.columnText(1).empty() || admins.columnInt64(2) == 0) {
        c.add("GW-ADMIN-TOTP-UNVERIFIED", "database.path",
              "admin " + admins.columnText(0) + " in " + path);
      }
    }
    if (hasAccounts && !anyAdmin) {
      c.add("GW-NO-ADMIN", "database.path", path + " has accounts and no admin_users");
    }
  } catch (const std::runtime_error& e) {
    c.result.errors.push_back(path + ": cannot read the accounts: " + e.what());
  }
}

}  // namespace

AuditResult auditGateway(const std::string& configPath) {
  AuditResult result;
  result.target = configPath;
  const config::LoadResult loaded = config::loadConfigFile(configPath);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) result.errors.push_back(e.toString());
    return result;
  }
  Context c{*loaded.config, configPath, YamlLocator(configPath), result};
  checkProviders(c);
  checkPolicy(c);
  checkGuardAndZones(c);
  checkTls(c);
  checkDatabase(c);
  result.sort();
  return result;
}

}  // namespace tg::audit
