#include "audit/provider_audit.h"

#include <algorithm>

#include "audit/sip_prober.h"
#include "audit/tls_probe.h"
#include "config/config_loader.h"

namespace tg::audit {
namespace {

using std::chrono::milliseconds;

void checkTls(const config::Provider& p, const base::Address& address,
              const ProviderAuditOptions& o, const std::string& where, AuditResult& result) {
  TlsProbeSettings settings;
  settings.serverName = config::expectedServerName(p.tls, p.target.host);
  settings.caFile = p.tls.caFile;
  const TlsProbeResult modern = probeTls(address, TlsProbeKind::kModern, settings);
  if (!modern.connected) {
    result.errors.push_back(where + ": " + modern.error);
    return;
  }
  if (!modern.handshake) {
    result.add("PRV-TLS-MODERN-REFUSED", where, 0, "TLS 1.2+ handshake: " + modern.error);
  } else {
    if (!modern.verifyError.empty()) {
      result.add("PRV-CERT-INVALID", where, 0,
                 "certificate for '" + settings.serverName + "': " + modern.verifyError);
    }
    if (modern.certificateDaysLeft && *modern.certificateDaysLeft < o.certificateWarnDays) {
      result.add(
          "PRV-CERT-EXPIRING", where, 0,
          "the certificate expires in " + std::to_string(*modern.certificateDaysLeft) + " days");
    }
  }
  for (const auto& [kind, name] :
       {std::pair{TlsProbeKind::kTls10, "TLS 1.0"}, std::pair{TlsProbeKind::kTls11, "TLS 1.1"}}) {
    if (probeTls(address, kind, settings).handshake) {
      result.add("PRV-TLS-OLD-VERSION", where, 0, std::string("accepts ") + name);
    }
  }
  const TlsProbeResult weak = probeTls(address, TlsProbeKind::kWeakCipher, settings);
  if (weak.handshake) {
    result.add("PRV-TLS-WEAK-CIPHER", where, 0,
               "accepted " + weak.cipher + " over " + weak.protocol);
  }
}

// What the provider's SIP answers say about it: the digest algorithms of a challenge to an
// unauthenticated REGISTER (Expires: 0, so nothing is registered) and whether the media it
// describes in an OPTIONS answer can be encrypted. `how` says which transport was used.
void checkSipOffers(SipProber& prober, const config::Provider& p, const std::string& where,
                    const std::string& how, AuditResult& result) {
  std::string error;
  const std::string user = p.auth.username.empty() ? "trunkguard-audit" : p.auth.username;
  if (const auto answer = prober.registerUser(user, &error); answer && answer->challenged) {
    const auto& algorithms = answer->digestAlgorithms;
    const bool strong = std::any_of(algorithms.begin(), algorithms.end(), [](const auto& a) {
      return a == "SHA-256" || a == "SHA-256-sess" || a == "SHA-512-256" || a == "SHA-512-256-sess";
    });
    if (!algorithms.empty() && !strong) {
      std::string list;
      for (const auto& a : algorithms) list += (list.empty() ? "" : ", ") + a;
      result.add("PRV-DIGEST-MD5-ONLY", where, 0,
                 "REGISTER " + how + " was challenged with " + list + " only");
    }
  }
  if (const auto answer = prober.options(&error); answer && !answer->sdp.empty()) {
    const std::string& sdp = answer->sdp;
    if (sdp.find("RTP/SAVP") == std::string::npos && sdp.find("a=crypto:") == std::string::npos) {
      result.add("PRV-SRTP-NOT-OFFERED", where, 0,
                 "the media capabilities in its OPTIONS answer " + how +
                     " offer RTP/AVP only (no RTP/SAVP, no a=crypto)");
    }
  }
}

}  // namespace

AuditResult auditProvider(const ProviderAuditOptions& o) {
  AuditResult result;
  result.target = o.provider;
  const config::LoadResult loaded = config::loadConfigFile(o.configPath);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) result.errors.push_back(e.toString());
    return result;
  }
  const auto& providers = loaded.config->trunk.providers;
  const auto it = std::find_if(providers.begin(), providers.end(),
                               [&](const config::Provider& p) { return p.name == o.provider; });
  if (it == providers.end()) {
    std::string names;
    for (const auto& p : providers) names += (names.empty() ? "" : ", ") + p.name;
    result.errors.push_back(o.configPath + ": no provider '" + o.provider +
                            "' (there are: " + names + ")");
    return result;
  }
  const config::Provider& p = *it;
  std::string error;
  const bool tls = p.target.transport == config::TransportKind::kTls;
  ProbeTarget target{p.target.host, p.target.port};
  const auto address = resolveProbeTarget(target, &error);
  if (!address) {
    result.errors.push_back(p.name + ": " + error);
    return result;
  }
  const std::string where = p.name + " (" + target.text() + ")";
  result.target = where;
  if (tls) {
    checkTls(p, *address, o, where, result);
    // The same host in the clear: a provider that also takes plaintext SIP can be downgraded.
    base::Address plain = *address;
    plain.setPort(o.plaintextPort);
    SipProber prober(plain, p.target.host, milliseconds(2000));
    if (const auto answer = prober.options(&error)) {
      const std::string how = "over UDP to port " + std::to_string(o.plaintextPort);
      result.add("PRV-PLAINTEXT-ACCEPTED", where, 0,
                 "OPTIONS " + how + ": " + std::to_string(answer->status) + " " + answer->reason);
      // The probes below speak SIP over UDP: on a TLS trunk only where the clear answers.
      checkSipOffers(prober, p, where, how, result);
    }
  } else {
    if (p.target.transport == config::TransportKind::kUdp) {
      SipProber prober(*address, p.target.host, milliseconds(2000));
      checkSipOffers(prober, p, where, "over UDP", result);
    }
    base::Address tlsAddress = *address;
    tlsAddress.setPort(o.tlsPort);
    TlsProbeSettings settings;
    settings.serverName = p.target.host;
    settings.timeout = milliseconds(2000);
    if (probeTls(tlsAddress, TlsProbeKind::kModern, settings).handshake) {
      result.add("PRV-TLS-UNUSED", where, 0,
                 "TLS answers on port " + std::to_string(o.tlsPort) + " but the trunk uses " +
                     std::string(config::transportName(p.target.transport)));
    }
  }
  result.sort();
  return result;
}

}  // namespace tg::audit
