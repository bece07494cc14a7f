// The `accounts:` section and `public.auth` (accounts_config.h).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "config/loader.h"

namespace tg::config::detail {
namespace {

constexpr int64_t kTenYearsS = int64_t{10} * 366 * 24 * 3600;

// Realms are quoted into every challenge: keep them to printable ASCII without quotes.
bool isRealmText(const std::string& s) {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f || c == '"' || c == '\\') return false;
  }
  return !s.empty();
}

// `algorithms:` under `m`: one of each, none of the -sess variants, at least one. Sets `out`
// and returns true when the list is good.
bool readAlgorithms(Loader& loader, const MapReader& m, std::vector<sip::DigestAlgorithm>& out) {
  std::vector<sip::DigestAlgorithm> algorithms;
  bool good = true;
  for (const auto& item : loader.readStringList(m, "algorithms")) {
    const auto alg = sip::parseDigestAlgorithm(item.value);
    if (item.value.empty() || !alg || sip::isSession(*alg)) {
      loader.error(
          item.line, item.path,
          "unknown digest algorithm '" + item.value + "'; use SHA-512-256, SHA-256 or MD5");
      good = false;
      continue;
    }
    if (std::find(algorithms.begin(), algorithms.end(), *alg) != algorithms.end()) {
      loader.error(item.line, item.path, "'" + item.value + "' is listed twice; keep one");
      good = false;
      continue;
    }
    algorithms.push_back(*alg);
  }
  if (algorithms.empty()) {
    const YAML::Node v = m.get("algorithms");
    if (v.IsNull() || (v.IsSequence() && v.size() == 0)) {
      loader.error(Loader::valueLine(m, "algorithms"), m.pathOf("algorithms"),
                   "is empty; list at least one of SHA-512-256, SHA-256, MD5");
    }
    return false;
  }
  out = std::move(algorithms);
  return good;
}

}  // namespace

void readAccounts(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "accounts", line,
              {"password", "lockout", "nonce", "algorithms", "per_account", "learn_algorithms"});
  if (!m.valid()) return;
  AccountSettings& a = c.accounts;

  if (m.has("password")) {
    MapReader p(loader, m.get("password"), m.pathOf("password"), m.keyLine("password"),
                {"min_length", "min_classes", "dictionary_check", "max_age_days", "warn_days",
                 "refuse_expired"});
    if (p.valid()) {
      PasswordPolicySettings& s = a.password;
      loader.setInt(p, "min_length", s.minLength, 8, 128);
      loader.setInt(p, "min_classes", s.minClasses, 1, 4);
      loader.setBool(p, "dictionary_check", s.dictionaryCheck);
      loader.setInt(p, "max_age_days", s.maxAgeDays, 0, 3650);
      loader.setInt(p, "warn_days", s.warnDays, 0, 365);
      loader.setBool(p, "refuse_expired", s.refuseExpired);
      if (s.refuseExpired && s.maxAgeDays == 0) {
        loader.warn(Loader::valueLine(p, "refuse_expired"), p.pathOf("refuse_expired"),
                    "has no effect while max_age_days is 0 (passwords never expire)");
      }
    }
  }

  if (m.has("lockout")) {
    MapReader l(loader, m.get("lockout"), m.pathOf("lockout"), m.keyLine("lockout"),
                {"failures", "window_s", "duration_s", "factor", "max_duration_s", "per_source",
                 "account_failures", "source_failures", "max_tracked"});
    if (l.valid()) {
      LockoutSettings& s = a.lockout;
      loader.setInt(l, "failures", s.failures, 1, 1000);
      loader.setDuration(l, "window_s", s.window, 1, kTenYearsS);
      loader.setDuration(l, "duration_s", s.duration, 1, kTenYearsS);
      if (auto f = loader.readNumber(l, "factor", 1, 100,
                                     "a number from 1 to 100 (1: every lock lasts duration_s)")) {
        s.factor = *f;
      }
      loader.setDuration(l, "max_duration_s", s.maxDuration, 1, kTenYearsS);
      loader.setBool(l, "per_source", s.perSource);
      loader.setInt(l, "account_failures", s.accountFailures, 0, 1000000);
      loader.setInt(l, "source_failures", s.sourceFailures, 0, 1000000);
      loader.setInt(l, "max_tracked", s.maxTracked, 1000, 10000000);
      if (s.maxDuration < s.duration) {
        const std::string key = l.has("max_duration_s") ? "max_duration_s" : "duration_s";
        loader.error(Loader::valueLine(l, key), l.pathOf(key),
                     "max_duration_s (" + std::to_string(s.maxDuration.count()) +
                         ") is shorter than duration_s (" + std::to_string(s.duration.count()) +
                         "); the cap must be at least the first lock");
      }
      if (s.perSource && s.accountFailures != 0 && s.accountFailures < s.failures) {
        const std::string key = l.has("account_failures") ? "account_failures" : "failures";
        loader.error(
            Loader::valueLine(l, key), l.pathOf(key),
            "account_failures (" + std::to_string(s.accountFailures) + ") is below failures (" +
                std::to_string(s.failures) +
                "); the lock everywhere must need at least as many failures as the lock of "
                "one source (or set it to 0)");
      }
    }
  }

  if (m.has("nonce")) {
    MapReader n(loader, m.get("nonce"), m.pathOf("nonce"), m.keyLine("nonce"),
                {"lifetime_s", "secret_file", "max_tracked"});
    if (n.valid()) {
      NonceSettings& s = a.nonce;
      loader.setDuration(n, "lifetime_s", s.lifetime, 10, 86400);
      loader.setInt(n, "max_tracked", s.maxTracked, 1000, 10000000);
      if (n.has("secret_file")) {
        if (auto file = loader.readString(n, "secret_file")) {
          if (file->empty()) {
            loader.error(Loader::valueLine(n, "secret_file"), n.pathOf("secret_file"),
                         "is empty; name a file of at least 32 random bytes (e.g. head -c 32 "
                         "/dev/urandom > nonce.key), or remove the key for a per-process secret");
          } else {
            s.secretFile = loader.resolvePath(*file);
          }
        }
      }
    }
  }

  if (m.has("algorithms")) readAlgorithms(loader, m, a.algorithms);
  loader.setBool(m, "learn_algorithms", a.learnAlgorithms);
  if (m.has("per_account")) {
    const YAML::Node accounts = m.get("per_account");
    if (!accounts.IsMap()) {
      loader.error(
          Loader::valueLine(m, "per_account"), m.pathOf("per_account"),
          "expected a mapping of account to settings, e.g. \"201\": { algorithms: [MD5] }");
    } else {
      for (auto it = accounts.begin(); it != accounts.end(); ++it) {
        const std::string name = it->first.Scalar();
        MapReader am(loader, it->second, m.pathOf("per_account") + "." + name,
                     Loader::lineOf(it->first), {"algorithms"});
        if (!am.valid() || !am.has("algorithms")) continue;
        std::vector<sip::DigestAlgorithm> list;
        if (readAlgorithms(loader, am, list)) a.algorithmsByAccount[name] = std::move(list);
      }
    }
  }
}

void Loader::readPublicAuth(const YAML::Node& node, int line, PublicZone& zone) {
  MapReader m(*this, node, "public.auth", line, {"mode", "realm"});
  if (!m.valid()) return;
  PublicAuth& auth = zone.auth;
  if (m.has("mode")) {
    if (auto mode = readString(m, "mode")) {
      if (*mode == "gateway") {
        auth.mode = PublicAuthMode::kGateway;
      } else if (*mode == "pbx") {
        auth.mode = PublicAuthMode::kPbx;
      } else {
        error(valueLine(m, "mode"), m.pathOf("mode"),
              "unknown value '" + *mode +
                  "'; use gateway (trunkguard checks the phones' passwords) or pbx (the PBX "
                  "does, trunkguard counts its failures)");
      }
    }
  }
  if (m.has("realm")) {
    if (auto realm = readString(m, "realm")) {
      if (!isRealmText(*realm)) {
        error(valueLine(m, "realm"), m.pathOf("realm"),
              "'" + *realm +
                  "' is not a usable realm; use printable text without quotes, "
                  "e.g. sip.example.com");
      } else {
        auth.realm = *realm;
      }
    }
  }
}

}  // namespace tg::config::detail
