#include "audit/pbx_audit.h"

#include "audit/sip_prober.h"
#include "audit/version_table.h"
#include "base/random.h"

namespace tg::audit {
namespace {

std::string describe(const SipAnswer& a) {
  return std::to_string(a.status) + " " + a.reason + (a.challenged ? " (challenge)" : "");
}

void checkVersion(const SipAnswer& answer, const VersionTable& table, const std::string& where,
                  AuditResult& result) {
  for (const auto& [name, value] :
       {std::pair<std::string, const std::string&>{"Server", answer.server},
        std::pair<std::string, const std::string&>{"User-Agent", answer.userAgent}}) {
    if (value.empty()) continue;
    const auto identified = table.identify(value);
    if (!identified) continue;
    result.add("PBX-VERSION-DISCLOSED", where, 0, name + ": " + value);
    for (const Advisory* a : table.affecting(*identified)) {
      std::string cves;
      for (const std::string& c : a->cves) cves += (cves.empty() ? "" : ", ") + c;
      Finding* f = result.add("PBX-VULNERABLE-VERSION", where, 0,
                              identified->product + " " + identified->version + ": " + a->id +
                                  (cves.empty() ? "" : " (" + cves + ")") + ": " + a->title);
      if (f != nullptr && !a->source.empty()) f->references.push_back(a->source);
    }
    return;  // one header identifies the server
  }
}

}  // namespace

AuditResult auditPbx(const PbxAuditOptions& options) {
  AuditResult result;
  result.target = options.target;
  std::string error;
  const auto target = parseProbeTarget(options.target, &error);
  if (!target) {
    result.errors.push_back(error);
    return result;
  }
  result.target = target->text();
  const std::string dataFile =
      options.dataFile.empty() ? defaultVersionTablePath() : options.dataFile;
  const auto table = VersionTable::load(dataFile, &error);
  if (!table) {
    result.errors.push_back(error);
    return result;
  }
  const auto address = resolveProbeTarget(*target, &error);
  if (!address) {
    result.errors.push_back(error);
    return result;
  }
  SipProber prober(*address, target->host);
  const auto options200 = prober.options(&error);
  if (!options200) {
    result.errors.push_back(target->text() + ": OPTIONS: " + error);
    return result;
  }
  checkVersion(*options200, *table, target->text(), result);
  if (!options.extension.empty()) {
    // A user name no PBX has: the same digits-and-letters shape scanners try, unguessable.
    const std::string missing = "tg" + base::randomHex(6);
    const auto existing = prober.registerUser(options.extension, &error);
    const auto absent = existing ? prober.registerUser(missing, &error) : std::nullopt;
    if (!existing || !absent) {
      result.errors.push_back(target->text() + ": REGISTER: " + error);
    } else if (existing->status != absent->status || existing->challenged != absent->challenged) {
      result.add("PBX-ENUMERATION", target->text(), 0,
                 "REGISTER for " + options.extension + ": " + describe(*existing) +
                     "; for a missing user: " + describe(*absent));
    }
  }
  if (!options.inviteNumber.empty()) {
    const auto outcome = prober.inviteAndCancel(options.inviteNumber, &error);
    if (!outcome) {
      result.errors.push_back(target->text() + ": INVITE: " + error);
    } else if (outcome->progressed) {
      result.add("PBX-UNAUTH-INVITE", target->text(), 0,
                 "INVITE to " + options.inviteNumber +
                     " without credentials: " + describe(outcome->answer) +
                     (outcome->answered ? "; answered, hung up at once" : "; cancelled at once"));
    }
  }
  result.sort();
  return result;
}

}  // namespace tg::audit
