#pragma once

// Blocklist feeds: plain text (one IP or CIDR per line, '#' comments, blank lines ignored) or
// APIBAN JSON ({"ipaddress": ["192.0.2.7", ...], "ID": "..."}). A bad line is reported with its
// number and skipped; the rest of the feed still counts. The networks go to
// BanList::replaceBlocklist() or, from the CLI, into the bans table.
//
// Files (guard.bans.blocklist_files) are read with readBlocklistFile(); the URL
// (guard.bans.blocklist_url) is downloaded by BlocklistFetcher (blocklist_fetcher.h) and its
// body parsed with parseBlocklist(), so both take the same formats.

#include <string>
#include <string_view>
#include <vector>

#include "guard/common/cidr_trie.h"

namespace tg::guard {

struct BlocklistProblem {
  int line = 0;         // 1-based; for JSON the index in "ipaddress" plus one
  std::string text;     // the offending entry, as written (bounded)
  std::string message;  // why it was skipped
};

struct Blocklist {
  enum class Format : uint8_t { kPlain, kApiban };
  Format format = Format::kPlain;
  std::vector<IpPrefix> networks;          // in feed order, duplicates removed
  std::vector<BlocklistProblem> problems;  // skipped entries
  std::string apibanId;                    // APIBAN's "ID": where the next pull resumes
  std::string error;                       // the whole feed is unusable (unreadable, bad JSON)

  bool ok() const { return error.empty(); }
};

// Plain text or APIBAN JSON, told apart by the first non-blank character ('{' is JSON).
Blocklist parseBlocklist(std::string_view content);
Blocklist parsePlainBlocklist(std::string_view content);
Blocklist parseApibanJson(std::string_view content);
// Reads and parses a file; an unreadable file sets error (with the path and the reason).
Blocklist readBlocklistFile(const std::string& path);

}  // namespace tg::guard
