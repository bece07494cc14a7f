#pragma once

// A FileSource over a map of file names to contents, for the reader's tests.

#include <map>
#include <string>

#include "audit/asterisk_reader.h"

namespace tg::audit::asterisk {

class MemorySource : public FileSource {
 public:
  std::map<std::string, std::string> files;

  std::optional<std::string> read(const std::string& name, size_t maxBytes,
                                  std::string* error) override {
    const auto it = files.find(name);
    if (it == files.end()) {
      *error = "cannot open: No such file or directory";
      return std::nullopt;
    }
    if (it->second.size() > maxBytes) {
      *error = "too large";
      return std::nullopt;
    }
    return it->second;
  }
  bool exists(const std::string& name) const override { return files.count(name) != 0; }
};

}  // namespace tg::audit::asterisk
