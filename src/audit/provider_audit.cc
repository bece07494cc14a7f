#include "audit/provider_audit.h"

#include <algorithm>
#include <memory>

#include "audit/provider_identity_check.h"
#include "audit/provider_sip_checks.h"
#include "audit/sip_prober.h"
#include "audit/tls_probe.h"
#include "config/config_loader.h"

namespace tg::audit {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSipTimeout{2000};

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
  // What it accepts, version by version, and the cipher it picks for each (info).
  std::string offered;
  auto note = [&](const std::string& what) { offered += (offered.empty() ? "" : "; ") + what; };
  if (modern.handshake) note(modern.protocol + " " + modern.cipher + " (its choice at 1.2+)");
  const TlsProbeResult tls12 = probeTls(address, TlsProbeKind::kTls12, settings);
  note(tls12.handshake ? "TLS 1.2 " + tls12.cipher : "TLS 1.2 refused");
  for (const auto& [kind, name] :
       {std::pair{TlsProbeKind::kTls11, "TLS 1.1"}, std::pair{TlsProbeKind::kTls10, "TLS 1.0"}}) {
    const TlsProbeResult old = probeTls(address, kind, settings);
    note(std::string(name) + (old.handshake ? " " + old.cipher : " refused"));
    if (old.handshake) {
      result.add("PRV-TLS-OLD-VERSION", where, 0, std::string("accepts ") + name);
    }
  }
  result.add("PRV-TLS-OFFERED", where, 0, offered);
  const TlsProbeResult weak = probeTls(address, TlsProbeKind::kWeakCipher, settings);
  if (weak.handshake) {
    result.add("PRV-TLS-WEAK-CIPHER", where, 0,
               "accepted " + weak.cipher + " over " + weak.protocol);
  }
}

// Whether the TLS trunk's host also takes SIP in the clear (UDP, then TCP, on the plaintext
// port): a provider that does can be downgraded. The prober that got an answer, or null.
std::unique_ptr<SipProber> checkPlaintext(const config::Provider& p, const base::Address& address,
                                          const ProviderAuditOptions& o, const std::string& where,
                                          AuditResult& result) {
  base::Address plain = address;
  plain.setPort(o.plaintextPort);
  for (const ProbeTransport t : {ProbeTransport::kUdp, ProbeTransport::kTcp}) {
    auto prober = std::make_unique<SipProber>(plain, p.target.host, kSipTimeout);
    if (t != ProbeTransport::kUdp) prober->useStream(t, "");
    std::string error;
    if (const auto answer = prober->options(&error)) {
      result.add("PRV-PLAINTEXT-ACCEPTED", where, 0,
                 "OPTIONS over " + std::string(probeTransportName(t)) + " to port " +
                     std::to_string(o.plaintextPort) + ": " + std::to_string(answer->status) + " " +
                     answer->reason);
      return prober;
    }
  }
  return nullptr;
}

ProbeTransport probeTransportFor(config::TransportKind kind) {
  switch (kind) {
    case config::TransportKind::kTls:
      return ProbeTransport::kTls;
    case config::TransportKind::kTcp:
      return ProbeTransport::kTcp;
    default:
      return ProbeTransport::kUdp;
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
  if (tls) checkTls(p, *address, o, where, result);
  // The SIP probes over the trunk's own transport (on a TLS trunk: SIP over TLS to its port).
  const ProbeTransport transport = probeTransportFor(p.target.transport);
  const std::string how = "over " + std::string(probeTransportName(transport));
  SipProber prober(*address, p.target.host, kSipTimeout);
  if (transport != ProbeTransport::kUdp) {
    prober.useStream(transport, config::expectedServerName(p.tls, p.target.host));
  }
  bool judged = checkSipOffers(prober, p, where, how, result);
  if (judged && tls) checkSips(prober, where, result);
  if (judged && !o.inviteNumber.empty()) {
    checkInviteSrtp(prober, p, o.inviteNumber, where, how, result);
  }
  if (tls) {
    auto plain = checkPlaintext(p, *address, o, where, result);
    // A TLS host that does not speak SIP over TLS to us may still answer in the clear.
    if (!judged && plain) {
      judged = checkSipOffers(*plain, p, where,
                              "in the clear to port " + std::to_string(o.plaintextPort), result);
    }
  } else {
    base::Address tlsAddress = *address;
    tlsAddress.setPort(o.tlsPort);
    TlsProbeSettings settings;
    settings.serverName = p.target.host;
    settings.timeout = kSipTimeout;
    if (probeTls(tlsAddress, TlsProbeKind::kModern, settings).handshake) {
      result.add("PRV-TLS-UNUSED", where, 0,
                 "TLS answers on port " + std::to_string(o.tlsPort) + " but the trunk uses " +
                     std::string(config::transportName(p.target.transport)));
    }
  }
  checkShakenSigning(loaded.config->database.path, p.name, o.cdrDays,
                     std::chrono::system_clock::now(), where, result);
  if (!judged) {
    result.add("PRV-SIP-NOT-PROBED", where, 0,
               "no answer to OPTIONS or REGISTER " + how +
                   ": the digest, SRTP and SIPS checks were not made");
  }
  result.sort();
  return result;
}

}  // namespace tg::audit
