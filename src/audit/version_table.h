#pragma once

// The table of known-vulnerable SIP server versions (data/audit/vulnerable_versions.json, or
// the admin's --data file): which product and version a Server / User-Agent header names, and
// which advisories cover that version.

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace tg::audit {

struct VersionRange {
  std::string from;   // inclusive
  std::string fixed;  // exclusive: the first version with the fix
};

struct Advisory {
  std::string product;
  std::string id;
  std::vector<std::string> cves;
  std::string title;
  std::vector<VersionRange> affected;
  std::string source;
};

struct Identified {
  std::string product;
  std::string version;
};

class VersionTable {
 public:
  // nullopt with *error ("file: what") when the file cannot be read or does not fit the format.
  static std::optional<VersionTable> load(const std::string& path, std::string* error);
  static std::optional<VersionTable> parse(const std::string& json, const std::string& name,
                                           std::string* error);

  // The product and version a Server / User-Agent value names, or nullopt.
  std::optional<Identified> identify(const std::string& header) const;
  // The advisories that cover this product version.
  std::vector<const Advisory*> affecting(const Identified& what) const;

 private:
  struct Product {
    std::string name;
    std::regex pattern;  // capture group 1: the version
  };
  std::vector<Product> products_;
  std::vector<Advisory> advisories_;
};

// Dotted numeric comparison ("13.17.1" < "13.18"; anything after the digits is ignored):
// negative, zero or positive.
int compareVersions(const std::string& a, const std::string& b);

// Where the shipped table is: TG_AUDIT_DATA_DIR at build time, else beside the source tree.
std::string defaultVersionTablePath();

}  // namespace tg::audit
