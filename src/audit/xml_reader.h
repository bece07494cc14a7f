#pragma once

// A small element tree from an XML file, with the line of every element, for the FreeSWITCH
// audit. Parsed by expat with any DOCTYPE refused: no entity can be declared, so none is expanded
// (no "billion laughs", no external entities), and the input is bounded in size and depth.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tg::audit::xml {

struct Element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  int line = 0;
  std::vector<std::unique_ptr<Element>> children;

  // The attribute's value, or "" when absent.
  std::string attribute(std::string_view key) const;
  // This element and every descendant with this name, in document order.
  std::vector<const Element*> findAll(std::string_view elementName) const;
};

struct XmlLimits {
  size_t maxBytes = size_t{4} << 20;
  int maxDepth = 64;
  size_t maxElements = 200000;
};

struct ParseResult {
  std::unique_ptr<Element> root;  // null on error
  std::string error;              // "line N: what", or a read error
};

ParseResult parseXml(std::string_view text, const XmlLimits& limits = {});
// Reads and parses a file (refusing one over limits.maxBytes before reading it).
ParseResult parseXmlFile(const std::string& path, const XmlLimits& limits = {});

}  // namespace tg::audit::xml
