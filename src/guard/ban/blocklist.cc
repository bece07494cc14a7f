#include "guard/ban/blocklist.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tg::guard {
namespace {

constexpr size_t kMaxShownText = 80;  // of a bad entry, in problem reports

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, kMaxShownText)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte >= 0x7f ? '?' : c;
  }
  if (s.size() > kMaxShownText) out += "...";
  return out;
}

// Adds one entry; duplicates are dropped quietly (feeds often repeat themselves).
void addEntry(Blocklist& list, CidrTrie<uint8_t>& seen, std::string_view text, int line) {
  std::string why;
  const auto network = IpPrefix::parse(text, &why);
  if (!network) {
    list.problems.push_back({line, shown(text), why});
    return;
  }
  if (seen.find(*network) != nullptr) return;
  seen.insert(*network, 1);
  list.networks.push_back(*network);
}

}  // namespace

Blocklist parsePlainBlocklist(std::string_view content) {
  Blocklist list;
  list.format = Blocklist::Format::kPlain;
  CidrTrie<uint8_t> seen;
  int line = 0;
  while (!content.empty()) {
    ++line;
    const size_t nl = content.find('\n');
    std::string_view text = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
    // "192.0.2.7 # seen scanning" and "192.0.2.7 ; note" keep the address only.
    const size_t comment = text.find_first_of("#;");
    if (comment != std::string_view::npos) text = text.substr(0, comment);
    text = trim(text);
    if (text.empty()) continue;
    addEntry(list, seen, text, line);
  }
  return list;
}

Blocklist parseApibanJson(std::string_view content) {
  Blocklist list;
  list.format = Blocklist::Format::kApiban;
  const nlohmann::json doc = nlohmann::json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    list.error =
        "not valid JSON; an APIBAN feed looks like {\"ipaddress\": [\"192.0.2.7\"], "
        "\"ID\": \"...\"}";
    return list;
  }
  if (!doc.is_object() || !doc.contains("ipaddress") || !doc["ipaddress"].is_array()) {
    // APIBAN answers {"ipaddress": ["no new bans"], ...} or an error object when there is none.
    list.error = "no \"ipaddress\" array; not an APIBAN feed";
    return list;
  }
  if (auto id = doc.find("ID"); id != doc.end()) {
    if (id->is_string()) {
      list.apibanId = id->get<std::string>();
    } else if (id->is_number_integer()) {
      list.apibanId = std::to_string(id->get<int64_t>());
    }
  }
  CidrTrie<uint8_t> seen;
  int index = 0;
  for (const nlohmann::json& item : doc["ipaddress"]) {
    ++index;
    if (!item.is_string()) {
      list.problems.push_back({index, shown(item.dump()), "not a string"});
      continue;
    }
    const std::string& text = item.get_ref<const std::string&>();
    if (text == "no new bans") continue;
    addEntry(list, seen, trim(text), index);
  }
  return list;
}

Blocklist parseBlocklist(std::string_view content) {
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{') return parseApibanJson(content);
  return parsePlainBlocklist(content);
}

Blocklist readBlocklistFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Blocklist list;
    list.error = path + ": cannot read: " + std::strerror(errno);
    return list;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  Blocklist list = parseBlocklist(buffer.str());
  if (!list.error.empty()) list.error = path + ": " + list.error;
  return list;
}

}  // namespace tg::guard
