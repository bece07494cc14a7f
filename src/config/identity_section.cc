// The top-level `identity:` section (identity_config.h): STIR/SHAKEN verification.

#include <optional>

#include "config/loader.h"

namespace tg::config::detail {
namespace {

void readAction(Loader& loader, const MapReader& m, std::string_view key, IdentityAction& out) {
  if (!m.has(key)) return;
  auto v = loader.readString(m, key);
  if (!v) return;
  if (*v == "continue") {
    out = IdentityAction::kContinue;
  } else if (*v == "tag") {
    out = IdentityAction::kTag;
  } else if (*v == "reject") {
    out = IdentityAction::kReject;
  } else {
    loader.error(Loader::valueLine(m, key), m.pathOf(key),
                 "'" + *v + "' is not an action; write continue, tag or reject");
  }
}

bool allDigits(const std::string& s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void readIdentity(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "identity", line,
              {"enabled", "trust_bundle", "max_age_s", "country_code", "fetch_timeout_ms",
               "max_certificate_bytes", "max_redirects", "cache_max_age_s", "cache_entries",
               "allow_private_x5u", "fetch_ca_file", "on_missing", "on_failed", "tag_prefix",
               "reject_code"});
  if (!m.valid()) return;
  IdentitySettings& s = c.identity;
  loader.setBool(m, "enabled", s.enabled);
  loader.readPemPath(m, "trust_bundle", s.trustBundle);
  loader.setDuration(m, "max_age_s", s.maxAge, 1, 3600);
  if (m.has("country_code")) {
    if (auto v = loader.readString(m, "country_code")) {
      if (v->size() > 3 || !allDigits(*v)) {
        loader.error(Loader::valueLine(m, "country_code"), m.pathOf("country_code"),
                     "'" + *v + "' is not a country calling code; write 1 to 3 digits, e.g. \"1\"");
      } else {
        s.countryCode = *v;
      }
    }
  }
  loader.setDuration(m, "fetch_timeout_ms", s.fetchTimeout, 100, 30000);
  loader.setInt(m, "max_certificate_bytes", s.maxCertificateBytes, 1024, 1024 * 1024);
  loader.setInt(m, "max_redirects", s.maxRedirects, 0, 5);
  loader.setDuration(m, "cache_max_age_s", s.cacheMaxAge, 0, 7 * 86400);
  loader.setInt(m, "cache_entries", s.cacheEntries, 1, 1000000);
  loader.setBool(m, "allow_private_x5u", s.allowPrivateX5u);
  loader.readPemPath(m, "fetch_ca_file", s.fetchCaFile);
  readAction(loader, m, "on_missing", s.onMissing);
  readAction(loader, m, "on_failed", s.onFailed);
  loader.setString(m, "tag_prefix", s.tagPrefix);
  if (auto v = loader.readInt(m, "reject_code", 0, 699)) {
    if (*v != 0 && *v < 400) {
      loader.error(Loader::valueLine(m, "reject_code"), m.pathOf("reject_code"),
                   "must be 0 (the RFC 8224 code) or a final failure code 400-699, e.g. 603");
    } else {
      s.rejectCode = static_cast<int>(*v);
    }
  }
  if (s.enabled && s.trustBundle.empty() && !m.has("trust_bundle")) {
    loader.error(line, "identity.trust_bundle",
                 "missing; verification needs the STI-CA trust anchors as a PEM bundle");
  }
  if (s.allowPrivateX5u) {
    loader.warn(Loader::valueLine(m, "allow_private_x5u"), "identity.allow_private_x5u",
                "x5u may name private and loopback addresses: for tests only");
  }
}

}  // namespace tg::config::detail
