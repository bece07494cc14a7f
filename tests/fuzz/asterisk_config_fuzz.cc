// Reads the input as an Asterisk configuration tree: the bytes up to each form feed ('\f') are
// one file (a.conf first, then b.conf, c.conf, d.conf), so #include, loops and templates across
// files get exercised. Nothing may crash, hang or grow without bound; every error must name a
// file, and every setting must come from a file that exists.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "audit/asterisk_reader.h"

namespace {

using tg::audit::asterisk::FileSource;

void check(bool condition) {
  if (!condition) std::abort();
}

class FuzzSource : public FileSource {
 public:
  std::map<std::string, std::string> files;
  std::optional<std::string> read(const std::string& name, size_t maxBytes,
                                  std::string* error) override {
    const auto it = files.find(name);
    if (it == files.end() || it->second.size() > maxBytes) {
      *error = "absent or too large";
      return std::nullopt;
    }
    return it->second;
  }
  bool exists(const std::string& name) const override { return files.count(name) != 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzSource source;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const char* names[] = {"a.conf", "b.conf", "c.conf", "d.conf"};
  for (const char* name : names) {
    const size_t cut = input.find('\f');
    source.files[name] = std::string(input.substr(0, cut));
    if (cut == std::string_view::npos) break;
    input.remove_prefix(cut + 1);
  }
  tg::audit::asterisk::ReadLimits limits;
  limits.maxFileBytes = 1 << 16;
  limits.maxTotalBytes = 1 << 18;
  limits.maxSettings = 20000;
  const auto result = tg::audit::asterisk::readConfig(source, "a.conf", limits);
  for (const std::string& e : result.errors) check(!e.empty() && e.find(':') != std::string::npos);
  for (const auto& section : result.config.sections) {
    check(source.exists(section.file));
    for (const auto& setting : section.settings) {
      check(source.exists(setting.file) && setting.line > 0);
      (void)section.last(setting.key);
    }
  }
  return 0;
}
