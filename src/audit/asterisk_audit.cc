#include "audit/asterisk_audit.h"

#include <algorithm>
#include <map>

#include "audit/asterisk_checks.h"
#include "audit/secret_strength.h"
#include "audit/text_match.h"

namespace tg::audit {
namespace {

using asterisk::ConfigFile;
using asterisk::equalsIgnoreCase;
using asterisk::isFalse;
using asterisk::isTrue;
using asterisk::Section;
using asterisk::Setting;

std::string at(const Setting& s) { return s.file + ":" + std::to_string(s.line); }
std::string at(const Section& s) { return s.file + ":" + std::to_string(s.line); }

std::vector<std::string> splitCommas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string item(s.substr(start, comma - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

// A SIP secret: equal to the user (critical) or failing the policy (high).
void checkSipSecret(const Setting& secret, const std::string& user, const std::string& section,
                    AuditResult& result) {
  if (secret.value.empty()) return;
  if (equalsIgnoreCase(secret.value, user) || equalsIgnoreCase(secret.value, section)) {
    result.add("AST-SECRET-EQUALS-USER", secret.file, secret.line,
               secret.key + " of [" + section + "] equals its name");
    return;
  }
  if (const std::string why = secretWeakness(secret.value, user); !why.empty()) {
    result.add("AST-WEAK-SECRET", secret.file, secret.line,
               secret.key + " of [" + section + "]: " + why);
  }
}

bool sipPeer(const Section& s) {
  const std::string type = s.value("type");
  return equalsIgnoreCase(type, "peer") || equalsIgnoreCase(type, "friend") ||
         equalsIgnoreCase(type, "user");
}

void auditSipConf(const ConfigFile& sip, std::vector<GuestEntry>& guests, AuditResult& result) {
  if (const Section* general = sip.section("general")) {
    const Setting* guest = general->last("allowguest");
    if (guest == nullptr || !isFalse(guest->value)) {
      const std::string where = guest != nullptr ? at(*guest) : at(*general);
      const std::string how = guest != nullptr ? "allowguest=" + guest->value
                                               : "allowguest not set (chan_sip's default is yes)";
      if (guest != nullptr) {
        result.add("AST-ALLOWGUEST", guest->file, guest->line, how);
      } else {
        result.add("AST-ALLOWGUEST", general->file, general->line, how);
      }
      const std::string context = general->value("context");
      guests.push_back({context.empty() ? "default" : context, where + ": " + how});
    }
    if (const Setting* s = general->last("alwaysauthreject"); s != nullptr && isFalse(s->value)) {
      result.add("AST-ALWAYSAUTHREJECT-OFF", s->file, s->line, "alwaysauthreject=" + s->value);
    }
    if (const Setting* s = general->last("tlsdontverifyserver"); s != nullptr && isTrue(s->value)) {
      result.add("AST-TLS-NO-VERIFY", s->file, s->line, "tlsdontverifyserver=" + s->value);
    }
    const Setting* tls = general->last("tlsenable");
    if (tls == nullptr || !isTrue(tls->value)) {
      result.add("AST-NO-TLS", tls != nullptr ? tls->file : general->file,
                 tls != nullptr ? tls->line : general->line,
                 tls != nullptr ? "tlsenable=" + tls->value : "tlsenable not set");
    }
  }
  for (const Section& s : sip.sections) {
    if (s.isTemplate || s.name == "general" || !sipPeer(s)) continue;
    const std::string user = s.value("defaultuser").empty() ? s.name : s.value("defaultuser");
    if (const Setting* secret = s.last("secret")) checkSipSecret(*secret, user, s.name, result);
    if (const Setting* insecure = s.last("insecure")) {
      if (containsIgnoreCase(insecure->value, "invite") ||
          equalsIgnoreCase(insecure->value, "very")) {
        result.add("AST-INSECURE-INVITE", insecure->file, insecure->line,
                   "[" + s.name + "] insecure=" + insecure->value);
      }
    }
    if (s.last("permit") == nullptr && s.last("deny") == nullptr) {
      result.add("AST-NO-ACL", s.file, s.line, "[" + s.name + "] has no permit/deny");
    }
  }
}

std::vector<const Section*> ofType(const ConfigFile& c, std::string_view type) {
  std::vector<const Section*> out;
  for (const Section& s : c.sections) {
    if (!s.isTemplate && equalsIgnoreCase(s.value("type"), type)) out.push_back(&s);
  }
  return out;
}

void auditPjsipConf(const ConfigFile& pjsip, std::vector<GuestEntry>& guests, AuditResult& result) {
  for (const Section* auth : ofType(pjsip, "auth")) {
    const std::string user = auth->value("username").empty() ? auth->name : auth->value("username");
    if (const Setting* password = auth->last("password")) {
      checkSipSecret(*password, user, auth->name, result);
    }
  }
  const std::vector<const Section*> identifies = ofType(pjsip, "identify");
  const bool globalAcl = !ofType(pjsip, "acl").empty();
  for (const Section* endpoint : ofType(pjsip, "endpoint")) {
    const std::string context =
        endpoint->value("context").empty() ? "default" : endpoint->value("context");
    const bool hasAuth = !endpoint->value("auth").empty();
    const bool hasAcl = endpoint->last("acl") != nullptr || endpoint->last("permit") != nullptr ||
                        endpoint->last("deny") != nullptr;
    const auto identify = std::find_if(identifies.begin(), identifies.end(), [&](const Section* i) {
      return i->value("endpoint") == endpoint->name;
    });
    if (endpoint->name == "anonymous") {
      result.add("AST-ANONYMOUS-ENDPOINT", endpoint->file, endpoint->line,
                 "[anonymous] endpoint, context=" + context);
      guests.push_back({context, at(*endpoint) + ": the anonymous endpoint"});
    } else if (!hasAuth && identify == identifies.end()) {
      result.add("AST-ENDPOINT-NO-AUTH", endpoint->file, endpoint->line,
                 "[" + endpoint->name + "] has neither auth= nor an identify section");
      guests.push_back({context, at(*endpoint) + ": endpoint " + endpoint->name + " without auth"});
    } else if (!hasAuth && !hasAcl && !globalAcl) {
      result.add("AST-IDENTIFY-NO-ACL", (*identify)->file, (*identify)->line,
                 "[" + endpoint->name + "] is identified by match=" + (*identify)->value("match") +
                     " with no auth and no ACL");
    }
    if (!hasAcl && !globalAcl) {
      result.add("AST-NO-ACL", endpoint->file, endpoint->line,
                 "[" + endpoint->name + "] has no acl/permit and there is no type=acl section");
    }
  }
  const std::vector<const Section*> transports = ofType(pjsip, "transport");
  bool tls = false;
  for (const Section* t : transports) {
    if (!equalsIgnoreCase(t->value("protocol"), "tls")) continue;
    tls = true;
    const Setting* verify = t->last("verify_server");
    if (verify == nullptr || !isTrue(verify->value)) {
      result.add("AST-TLS-NO-VERIFY", verify != nullptr ? verify->file : t->file,
                 verify != nullptr ? verify->line : t->line,
                 "[" + t->name + "] " +
                     (verify != nullptr ? "verify_server=" + verify->value
                                        : std::string("verify_server not set (default no)")));
    }
  }
  if (!transports.empty() && !tls) {
    result.add("AST-NO-TLS", transports.front()->file, transports.front()->line,
               "no transport has protocol=tls");
  }
}

void auditManagerConf(const ConfigFile& manager, AuditResult& result) {
  const Section* general = manager.section("general");
  if (general == nullptr) return;
  const Setting* enabled = general->last("enabled");
  if (enabled == nullptr || !isTrue(enabled->value)) return;  // AMI is off by default
  const Setting* bind = general->last("bindaddr");
  const bool exposed = bind == nullptr || !isLoopbackHost(bind->value);
  if (exposed) {
    result.add("AST-AMI-EXPOSED", bind != nullptr ? bind->file : enabled->file,
               bind != nullptr ? bind->line : enabled->line,
               bind != nullptr ? "bindaddr=" + bind->value
                               : std::string("enabled=yes, bindaddr not set (0.0.0.0)"));
  }
  for (const Section& user : manager.sections) {
    if (user.isTemplate || user.name == "general") continue;
    if (const Setting* secret = user.last("secret")) {
      std::string why = equalsIgnoreCase(secret->value, user.name)
                            ? std::string("equals the user name")
                            : secretWeakness(secret->value, user.name);
      if (!why.empty()) {
        result.add("AST-AMI-WEAK-SECRET", secret->file, secret->line,
                   "secret of [" + user.name + "]: " + why);
      }
    }
    for (const Setting* write : user.all("write")) {
      for (const std::string& perm : splitCommas(write->value)) {
        if (equalsIgnoreCase(perm, "system") || equalsIgnoreCase(perm, "originate") ||
            equalsIgnoreCase(perm, "all")) {
          result.add("AST-AMI-DANGEROUS-PERMS", write->file, write->line,
                     "[" + user.name + "] write=" + write->value);
          break;
        }
      }
    }
    if (exposed && user.last("permit") == nullptr) {
      result.add("AST-AMI-NO-ACL", user.file, user.line, "[" + user.name + "] has no permit=");
    }
  }
}

void auditHttpConf(const ConfigFile& http, AuditResult& result) {
  const Section* general = http.section("general");
  if (general == nullptr) return;
  const Setting* enabled = general->last("enabled");
  const Setting* bind = general->last("bindaddr");
  if (enabled == nullptr || !isTrue(enabled->value) || bind == nullptr) return;
  if (!isLoopbackHost(bind->value)) {
    result.add("AST-HTTP-EXPOSED", bind->file, bind->line, "bindaddr=" + bind->value);
  }
}

void auditRtpConf(const ConfigFile& rtp, AuditResult& result) {
  const Section* general = rtp.section("general");
  if (general == nullptr) return;
  if (const Setting* s = general->last("strictrtp"); s != nullptr && isFalse(s->value)) {
    result.add("AST-STRICTRTP-OFF", s->file, s->line, "strictrtp=" + s->value);
  }
  if (const Setting* s = general->last("srtpreplayprotection"); s != nullptr && isFalse(s->value)) {
    result.add("AST-SRTP-REPLAY-OFF", s->file, s->line, "srtpreplayprotection=" + s->value);
  }
}

void auditAsteriskConf(const ConfigFile& asterisk, AuditResult& result) {
  const Section* options = asterisk.section("options");
  if (options == nullptr) return;
  if (const Setting* s = options->last("live_dangerously"); s != nullptr && isTrue(s->value)) {
    result.add("AST-LIVE-DANGEROUSLY", s->file, s->line, "live_dangerously=" + s->value);
  }
}

}  // namespace

AuditResult auditAsterisk(asterisk::FileSource& source, const std::string& target) {
  AuditResult result;
  result.target = target;
  const std::vector<std::string> files = {"asterisk.conf",  "sip.conf",  "pjsip.conf",
                                          "manager.conf",   "http.conf", "rtp.conf",
                                          "extensions.conf"};
  std::map<std::string, ConfigFile> read;
  for (const std::string& name : files) {
    if (!source.exists(name)) continue;
    asterisk::ReadResult r = asterisk::readConfig(source, name);
    result.errors.insert(result.errors.end(), r.errors.begin(), r.errors.end());
    if (!r.readFailed) read.emplace(name, std::move(r.config));
  }
  if (read.empty() && result.errors.empty()) {
    result.errors.push_back(target + ": none of " + files.front() +
                            ", sip.conf, pjsip.conf, "
                            "manager.conf, http.conf, rtp.conf, extensions.conf is there");
  }
  std::vector<GuestEntry> guests;
  if (auto it = read.find("asterisk.conf"); it != read.end()) auditAsteriskConf(it->second, result);
  if (auto it = read.find("sip.conf"); it != read.end()) auditSipConf(it->second, guests, result);
  if (auto it = read.find("pjsip.conf"); it != read.end()) {
    auditPjsipConf(it->second, guests, result);
  }
  if (auto it = read.find("manager.conf"); it != read.end()) auditManagerConf(it->second, result);
  if (auto it = read.find("http.conf"); it != read.end()) auditHttpConf(it->second, result);
  if (auto it = read.find("rtp.conf"); it != read.end()) auditRtpConf(it->second, result);
  if (auto it = read.find("extensions.conf"); it != read.end()) {
    auditDialplan(it->second, guests, result);
  }
  result.sort();
  return result;
}

AuditResult auditAsteriskDirectory(const std::string& directory) {
  asterisk::DiskSource source(directory);
  return auditAsterisk(source, directory);
}

}  // namespace tg::audit
