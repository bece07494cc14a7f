#include "audit/version_table.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace tg::audit {
namespace {

std::vector<long> numbers(const std::string& version) {
  std::vector<long> out;
  size_t i = 0;
  while (i < version.size() && version[i] >= '0' && version[i] <= '9') {
    long n = 0;
    while (i < version.size() && version[i] >= '0' && version[i] <= '9' && n < 100000000) {
      n = n * 10 + (version[i] - '0');
      ++i;
    }
    out.push_back(n);
    if (i + 1 < version.size() && version[i] == '.' && version[i + 1] >= '0' &&
        version[i + 1] <= '9') {
      ++i;
    } else {
      break;
    }
  }
  return out;
}

}  // namespace

int compareVersions(const std::string& a, const std::string& b) {
  const std::vector<long> x = numbers(a);
  const std::vector<long> y = numbers(b);
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    const long p = i < x.size() ? x[i] : 0;
    const long q = i < y.size() ? y[i] : 0;
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

std::string defaultVersionTablePath() {
  return std::string(TG_AUDIT_DATA_DIR) + "/vulnerable_versions.json";
}

std::optional<VersionTable> VersionTable::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open the vulnerable versions table";
    return std::nullopt;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text, path, error);
}

std::optional<VersionTable> VersionTable::parse(const std::string& json, const std::string& name,
                                                std::string* error) {
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = name + ": not valid JSON";
    return std::nullopt;
  }
  VersionTable table;
  auto text = [](const nlohmann::json& o, const char* key) -> std::optional<std::string> {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return std::nullopt;
    return o[key].get<std::string>();
  };
  const nlohmann::json& products = doc.contains("products") ? doc["products"] : nlohmann::json();
  const nlohmann::json& advisories =
      doc.contains("advisories") ? doc["advisories"] : nlohmann::json();
  if (!products.is_array() || !advisories.is_array()) {
    *error = name + ": needs arrays \"products\" and \"advisories\"";
    return std::nullopt;
  }
  for (size_t i = 0; i < products.size(); ++i) {
    const auto productName = text(products[i], "name");
    const auto pattern = text(products[i], "pattern");
    if (!productName || !pattern) {
      *error = name + ": products[" + std::to_string(i) + "] needs \"name\" and \"pattern\"";
      return std::nullopt;
    }
    try {
      table.products_.push_back({*productName, std::regex(*pattern, std::regex::ECMAScript)});
    } catch (const std::regex_error& e) {
      *error = name + ": products[" + std::to_string(i) + "].pattern: " + e.what();
      return std::nullopt;
    }
  }
  for (size_t i = 0; i < advisories.size(); ++i) {
    const nlohmann::json& a = advisories[i];
    const std::string where = name + ": advisories[" + std::to_string(i) + "]";
    Advisory advisory;
    const auto product = text(a, "product");
    const auto id = text(a, "id");
    if (!product || !id || !a.contains("affected") || !a["affected"].is_array()) {
      *error = where + " needs \"product\", \"id\" and an \"affected\" array";
      return std::nullopt;
    }
    advisory.product = *product;
    advisory.id = *id;
    advisory.title = text(a, "title").value_or("");
    advisory.source = text(a, "source").value_or("");
    if (a.contains("cves") && a["cves"].is_array()) {
      for (const auto& c : a["cves"]) {
        if (c.is_string()) advisory.cves.push_back(c.get<std::string>());
      }
    }
    for (const auto& r : a["affected"]) {
      const auto from = text(r, "from");
      const auto fixed = text(r, "fixed");
      if (!from || !fixed) {
        *error = where + ".affected needs \"from\" and \"fixed\" in each range";
        return std::nullopt;
      }
      advisory.affected.push_back({*from, *fixed});
    }
    table.advisories_.push_back(std::move(advisory));
  }
  return table;
}

std::optional<Identified> VersionTable::identify(const std::string& header) const {
  for (const Product& p : products_) {
    std::smatch m;
    if (std::regex_search(header, m, p.pattern) && m.size() > 1) {
      return Identified{p.name, m[1].str()};
    }
  }
  return std::nullopt;
}

std::vector<const Advisory*> VersionTable::affecting(const Identified& what) const {
  std::vector<const Advisory*> out;
  for (const Advisory& a : advisories_) {
    if (a.product != what.product) continue;
    for (const VersionRange& r : a.affected) {
      if (compareVersions(what.version, r.from) >= 0 &&
          compareVersions(what.version, r.fixed) < 0) {
        out.push_back(&a);
        break;
      }
    }
  }
  return out;
}

}  // namespace tg::audit
