// The zones: `pbx:`, `trunk:` (with its providers) and `public:`. A provider's `tls:` and
// `auth:` are read in tls_section.cc and provider_auth_section.cc, `public.auth` in
// accounts_section.cc.

#include <algorithm>
#include <cctype>
#include <map>

#include "config/loader.h"
#include "sip/scan.h"

namespace tg::config::detail {
namespace {

// An absent or empty list means "use the default".
bool listWritten(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  return v.IsDefined() && !v.IsNull() && (!v.IsSequence() || v.size() > 0);
}

// The default source ACL: the targets' own addresses.
std::vector<Cidr> cidrsOfTargets(const std::vector<PeerTarget>& targets, bool& allLiteral) {
  std::vector<Cidr> out;
  allLiteral = true;
  for (const PeerTarget& t : targets) {
    auto ip = base::Address::parse(t.host, 0);
    if (!ip) {
      allLiteral = false;
      continue;
    }
    Cidr c = Cidr::single(*ip);
    if (std::none_of(out.begin(), out.end(), [&](const Cidr& o) { return o.text == c.text; })) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

// An HTTP-style token (RFC 3261 §25.1 `token`): what a header name may be.
bool isHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
           std::string_view("-.!%*_+`'~").find(ch) != std::string_view::npos;
  });
}

// The policy's view of one target (config.h PbxPeer): its name, the header it asserts the
// calling extension in, and the addresses that header is accepted from.
PbxPeer readPbxPeer(Loader& loader, const MapReader& t, const PeerTarget& target) {
  PbxPeer peer;
  peer.name = "pbx:" + target.host;
  if (auto name = t.has("name") ? loader.readString(t, "name") : std::nullopt) {
    if (name->empty() || name->size() > 64 || std::any_of(name->begin(), name->end(), [](char ch) {
          return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
        })) {
      loader.error(Loader::valueLine(t, "name"), t.pathOf("name"),
                   "give a short name without spaces, e.g. pbx-hq (it is the account of the "
                   "PBX's calls in the call policy and the CDRs)");
    } else {
      peer.name = *name;
    }
  }
  if (auto header =
          t.has("identity_header") ? loader.readString(t, "identity_header") : std::nullopt) {
    if (!isHeaderName(*header)) {
      loader.error(Loader::valueLine(t, "identity_header"), t.pathOf("identity_header"),
                   "'" + *header + "' is not a header name; e.g. X-Account or P-Asserted-Identity");
    } else if (sip::equalsIgnoreCase(*header, "From") || sip::equalsIgnoreCase(*header, "f") ||
               sip::equalsIgnoreCase(*header, "Contact") || sip::equalsIgnoreCase(*header, "m")) {
      loader.error(Loader::valueLine(t, "identity_header"), t.pathOf("identity_header"),
                   "the " + *header +
                       " user is the caller ID the PBX presents, not the extension it vouches "
                       "for; name a header the PBX sets itself, e.g. X-Account");
    } else {
      peer.identityHeader = *header;
    }
  }
  if (t.has("sources")) {
    peer.sources = loader.readCidrs(t, "sources");
  } else if (auto ip = base::Address::parse(target.host, 0)) {
    peer.sources.push_back(Cidr::single(*ip));
  } else if (!peer.identityHeader.empty()) {
    loader.error(t.line(), t.pathOf("sources"),
                 "missing; a target addressed by name needs the addresses its identity_header "
                 "is accepted from, e.g. sources: [192.0.2.20]");
  }
  return peer;
}

}  // namespace

void readPbx(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "pbx", line,
              {"listen", "targets", "allowed_sources", "allow_refer", "domain"});
  if (!m.valid()) return;
  PbxZone& pbx = c.pbx;
  pbx.listen = loader.readListeners(m, true);
  if (!m.has("targets")) {
    loader.error(m.line(), m.pathOf("targets"),
                 "missing; say where the PBX is, e.g. targets: [ { host: 192.0.2.20, port: 5060, "
                 "transport: udp } ]");
  } else if (loader.expectSequence(m, "targets")) {
    const YAML::Node list = m.get("targets");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = index(m.pathOf("targets"), i);
      MapReader t(loader, list[i], path, Loader::lineOf(list[i]),
                  {"host", "port", "transport", "name", "identity_header", "sources"});
      if (!t.valid()) continue;
      if (auto target = loader.readTarget(t, TransportKind::kUdp)) {
        loader.noteTarget(*target, t.line(), path);
        pbx.peers.push_back(readPbxPeer(loader, t, *target));
        pbx.targets.push_back(std::move(*target));
      }
    }
    if (list.size() == 0) {
      loader.error(Loader::valueLine(m, "targets"), m.pathOf("targets"),
                   "is empty; add the PBX, e.g. { host: 192.0.2.20, port: 5060, transport: udp }");
    }
  } else if (m.get("targets").IsNull()) {
    loader.error(Loader::valueLine(m, "targets"), m.pathOf("targets"),
                 "is empty; add the PBX, e.g. { host: 192.0.2.20, port: 5060, transport: udp }");
  }
  pbx.allowedSources = loader.readCidrs(m, "allowed_sources");
  if (!listWritten(m, "allowed_sources")) {
    bool allLiteral = true;
    pbx.allowedSources = cidrsOfTargets(pbx.targets, allLiteral);
    if (!allLiteral) {
      loader.error(m.line(), m.pathOf("allowed_sources"),
                   "missing; give allowed_sources for targets addressed by name (the networks the "
                   "PBX sends from)");
    }
  }
  loader.setBool(m, "allow_refer", pbx.allowRefer);
  loader.readDomain(m, pbx.domain);
}

void readTrunk(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "trunk", line, {"listen", "allow_refer", "providers"});
  if (!m.valid()) return;
  TrunkZone& trunk = c.trunk;
  trunk.listen = loader.readListeners(m, true);
  loader.setBool(m, "allow_refer", trunk.allowRefer);
  if (!m.has("providers") || m.get("providers").IsNull()) {
    loader.error(m.has("providers") ? Loader::valueLine(m, "providers") : m.line(),
                 m.pathOf("providers"),
                 "missing; add at least one provider (name, host, port, transport)");
    return;
  }
  if (!loader.expectSequence(m, "providers")) return;
  const YAML::Node list = m.get("providers");
  if (list.size() == 0) {
    loader.error(Loader::valueLine(m, "providers"), m.pathOf("providers"),
                 "is empty; add at least one provider (name, host, port, transport)");
  }
  std::map<std::string, int> names;  // name -> line, for duplicates
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = index(m.pathOf("providers"), i);
    MapReader p(loader, list[i], path, Loader::lineOf(list[i]),
                {"name", "host", "port", "transport", "priority", "allowed_sources",
                 "allow_plaintext", "domain", "tls", "auth", "srtp"});
    if (!p.valid()) continue;
    Provider provider;
    if (!p.has("name")) {
      loader.error(p.line(), p.pathOf("name"), "missing; give the provider a name, e.g. carrier-a");
    } else if (auto name = loader.readString(p, "name")) {
      const int nameLine = Loader::valueLine(p, "name");
      const bool charsOk = std::all_of(name->begin(), name->end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_' ||
               ch == '.';
      });
      if (name->empty()) {
        loader.error(nameLine, p.pathOf("name"),
                     "is empty; give the provider a name, e.g. carrier-a");
      } else if (!charsOk) {
        // Names appear in logs, metrics labels and API paths.
        loader.error(nameLine, p.pathOf("name"),
                     "'" + *name + "' may only use letters, digits, '-', '_' and '.'");
      } else if (auto [it, inserted] = names.emplace(*name, nameLine); !inserted) {
        loader.error(nameLine, p.pathOf("name"),
                     "provider '" + *name + "' is already defined on line " +
                         std::to_string(it->second) + "; provider names must be unique");
      }
      provider.name = *name;
    }
    const std::string label = "provider '" + provider.name + "'";
    loader.setInt(p, "priority", provider.priority, 0, 65535);
    loader.setBool(p, "allow_plaintext", provider.allowPlaintext);
    loader.readSrtp(p, provider.srtp);
    loader.readDomain(p, provider.domain);
    // Encryption by default: a provider without a transport is a tls provider.
    auto target = loader.readTarget(p, TransportKind::kTls);
    if (target) {
      provider.target = *target;
      const int transportLine = p.has("transport") ? Loader::valueLine(p, "transport") : p.line();
      // Encryption by default; tls providers' certificate checks are in tls_section.cc.
      const bool plaintext = target->transport != TransportKind::kTls;
      if (plaintext && !provider.allowPlaintext) {
        loader.error(transportLine, p.pathOf("transport"),
                     label + " uses plaintext transport " +
                         std::string(transportName(target->transport)) +
                         "; set transport: tls (recommended) or allow_plaintext: true to accept "
                         "unencrypted signalling");
      } else if (plaintext) {
        loader.warn(transportLine, p.pathOf("transport"),
                    label + " signalling is unencrypted (allow_plaintext: true)");
      }
      loader.noteTarget(*target, p.line(), path);
    }
    provider.allowedSources = loader.readCidrs(p, "allowed_sources");
    if (target && !listWritten(p, "allowed_sources")) {
      bool literal = true;
      provider.allowedSources = cidrsOfTargets({provider.target}, literal);
      if (!literal) {
        loader.error(p.line(), p.pathOf("allowed_sources"),
                     label +
                         " is addressed by name; give allowed_sources for providers addressed "
                         "by name (the networks the provider sends from)");
      }
    }
    if (p.has("tls"))
      loader.readProviderTls(p.get("tls"), p.keyLine("tls"), p.pathOf("tls"), provider);
    if (p.has("auth")) {
      loader.readProviderAuth(p.get("auth"), p.keyLine("auth"), p.pathOf("auth"), provider);
    }
    trunk.providers.push_back(std::move(provider));
  }
  std::stable_sort(trunk.providers.begin(), trunk.providers.end(),
                   [](const Provider& a, const Provider& b) { return a.priority < b.priority; });
}

void readPublic(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "public", line, {"listen", "allow_refer", "auth"});
  if (!m.valid()) return;
  PublicZone zone;
  zone.listen = loader.readListeners(m, false);
  loader.setBool(m, "allow_refer", zone.allowRefer);
  if (m.has("auth")) loader.readPublicAuth(m.get("auth"), m.keyLine("auth"), zone);
  c.publicZone = std::move(zone);
}

}  // namespace tg::config::detail
