#pragma once

// The loader behind config_loader.h: walks the table of top-level sections (sections.h) with
// the YAML reader (yaml_reader.h), and holds what zones share across sections: listeners,
// targets and provider pieces, gathered while reading and checked across zones at the end.
// Internal to src/config.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/sections.h"
#include "config/yaml_reader.h"

namespace tg::config::detail {

class Loader : public YamlReader {
 public:
  using YamlReader::YamlReader;

  // Reads `yaml` through `table` (every top-level key and its reader), then the cross-zone
  // checks. Tests pass their own table; the gateway uses sections().
  LoadResult load(const std::string& yaml, std::span<const Section> table = sections());

  // Pieces of zones, used by the zone sections and the files that read a provider's parts.
  std::vector<Listener> readListeners(const MapReader& m, bool required);
  std::vector<Cidr> readCidrs(const MapReader& m, std::string_view key);
  std::optional<PeerTarget> readTarget(const MapReader& m, TransportKind defaultTransport);
  void readDomain(const MapReader& m, std::string& out);
  // A target is checked against every listener once all sections are read.
  void noteTarget(const PeerTarget& target, int line, const std::string& path) {
    targets_.push_back({target, line, path});
  }
  // tls_section.cc: a provider's `tls:`; PEM file names and certificate/key pairs.
  void readProviderTls(const YAML::Node& node, int line, const std::string& path,
                       Provider& provider);
  // A PEM file name at `key`, resolved against the config's folder: true when it names a
  // readable file (then in `out`); each problem is an error at the key.
  bool readPemPath(const MapReader& m, std::string_view key, std::string& out);
  // Loads a certificate and its key (PEM), reporting each problem at its key.
  void checkPair(const MapReader& m, std::string_view certKey, std::string& certificate,
                 std::string_view keyKey, std::string& privateKey, bool haveCert, bool haveKey);
  // tls.certificate/private_key were already reported: listeners need not repeat it.
  void setTlsFilesBad(bool bad) { tlsFilesBad_ = bad; }
  // provider_auth_section.cc: a provider's `auth:` (credentials, registration).
  void readProviderAuth(const YAML::Node& node, int line, const std::string& path,
                        Provider& provider);
  // accounts_section.cc: `public.auth` (realm, who checks the phones' passwords).
  void readPublicAuth(const YAML::Node& node, int line, PublicZone& zone);
  // policy_section.cc (its sections.cc row calls this).
  void readPolicy(const YAML::Node& node, int line, Config& c);
  // database_key_section.cc: `database.key_file` (the key sealing secrets at rest).
  void readDatabaseKeyFile(const MapReader& m, Config& c);
  // provider_auth_section.cc, after every section (the key is database.key_file): opens the
  // provider passwords written sealed, or reports why they cannot be opened.
  void unsealProviderPasswords(Config& c);
  // The policy's safe-default warnings, with or without a policy section (policy_checks.cc).
  void checkPolicy(int line, Config& c);
  // Rules naming extensions that calls from a PBX target without identity_header never match.
  void checkPbxAccountRules(const Config& c);
  // The media port range against the listeners and the zones' media addresses, with or
  // without a media section (media_section.cc).
  void checkMedia(int line, const Config& c);
  // `srtp: required | optional | off` of a media zone or a provider (media_section.cc).
  void readSrtp(const MapReader& m, std::optional<SrtpSetting>& out);

 private:
  void checkListeners();
  void checkTargetsAreNotOurs();
  // After every section: tls:// listeners need tls.certificate; tls providers want a listener.
  void checkTls(const Config& c);

  std::vector<Located<Listener>> listeners_;
  std::vector<Located<PeerTarget>> targets_;
  bool tlsFilesBad_ = false;
};

}  // namespace tg::config::detail
