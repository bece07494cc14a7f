#include "audit/xml_reader.h"

#include <expat.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace tg::audit::xml {
namespace {

struct Builder {
  XML_Parser parser = nullptr;
  const XmlLimits* limits = nullptr;
  std::unique_ptr<Element> root;
  std::vector<Element*> open;  // the path from the root to the current element
  size_t elements = 0;
  std::string error;

  void stop(std::string why) {
    if (error.empty()) {
      error = "line " + std::to_string(XML_GetCurrentLineNumber(parser)) + ": " + std::move(why);
    }
    XML_StopParser(parser, XML_FALSE);
  }
};

void onStart(void* data, const XML_Char* name, const XML_Char** attributes) {
  auto* b = static_cast<Builder*>(data);
  if (++b->elements > b->limits->maxElements) {
    b->stop("more than " + std::to_string(b->limits->maxElements) + " elements");
    return;
  }
  if (static_cast<int>(b->open.size()) >= b->limits->maxDepth) {
    b->stop("elements nested deeper than " + std::to_string(b->limits->maxDepth));
    return;
  }
  auto element = std::make_unique<Element>();
  element->name = name;
  element->line = static_cast<int>(XML_GetCurrentLineNumber(b->parser));
  for (size_t i = 0; attributes[i] != nullptr && attributes[i + 1] != nullptr; i += 2) {
    element->attributes.emplace_back(attributes[i], attributes[i + 1]);
  }
  Element* raw = element.get();
  if (b->open.empty()) {
    b->root = std::move(element);
  } else {
    b->open.back()->children.push_back(std::move(element));
  }
  b->open.push_back(raw);
}

void onEnd(void* data, const XML_Char*) {
  auto* b = static_cast<Builder*>(data);
  if (!b->open.empty()) b->open.pop_back();
}

// Configuration files have no business declaring a DTD: refusing it refuses every entity.
void onDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<Builder*>(data)->stop("a DOCTYPE is not accepted (entities are never expanded)");
}

void onEntity(void* data, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
              const XML_Char*, const XML_Char*, const XML_Char*) {
  static_cast<Builder*>(data)->stop("entity declarations are not accepted");
}

}  // namespace

std::string Element::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes) {
    if (k == key) return v;
  }
  return "";
}

std::vector<const Element*> Element::findAll(std::string_view elementName) const {
  std::vector<const Element*> out;
  std::vector<const Element*> stack{this};
  while (!stack.empty()) {
    const Element* e = stack.back();
    stack.pop_back();
    if (e->name == elementName) out.push_back(e);
    for (auto it = e->children.rbegin(); it != e->children.rend(); ++it) stack.push_back(it->get());
  }
  return out;
}

ParseResult parseXml(std::string_view text, const XmlLimits& limits) {
  ParseResult result;
  if (text.size() > limits.maxBytes) {
    result.error = "too large (" + std::to_string(text.size()) + " bytes; the limit is " +
                   std::to_string(limits.maxBytes) + ")";
    return result;
  }
  Builder b;
  b.limits = &limits;
  b.parser = XML_ParserCreate(nullptr);
  if (b.parser == nullptr) {
    result.error = "out of memory";
    return result;
  }
  XML_SetUserData(b.parser, &b);
  XML_SetElementHandler(b.parser, onStart, onEnd);
  XML_SetStartDoctypeDeclHandler(b.parser, onDoctype);
  XML_SetEntityDeclHandler(b.parser, onEntity);
  XML_SetParamEntityParsing(b.parser, XML_PARAM_ENTITY_PARSING_NEVER);
  const XML_Status status =
      XML_Parse(b.parser, text.data(), static_cast<int>(text.size()), XML_TRUE);
  if (status != XML_STATUS_OK && b.error.empty()) {
    b.error = "line " + std::to_string(XML_GetCurrentLineNumber(b.parser)) + ": " +
              XML_ErrorString(XML_GetErrorCode(b.parser));
  }
  XML_ParserFree(b.parser);
  if (!b.error.empty()) {
    result.error = std::move(b.error);
  } else if (!b.root) {
    result.error = "no XML element";
  } else {
    result.root = std::move(b.root);
  }
  return result;
}

ParseResult parseXmlFile(const std::string& path, const XmlLimits& limits) {
  ParseResult result;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    result.error = std::string("cannot open: ") + std::strerror(errno);
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    result.error = "not a regular file";
    return result;
  }
  if (static_cast<size_t>(st.st_size) > limits.maxBytes) {
    result.error = "too large (" + std::to_string(st.st_size) + " bytes; the limit is " +
                   std::to_string(limits.maxBytes) + ")";
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.error = std::string("cannot open: ") + std::strerror(errno);
    return result;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parseXml(text, limits);
}

}  // namespace tg::audit::xml
