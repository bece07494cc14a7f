#pragma once

// Reads an Asterisk configuration file the way Asterisk's config loader does, keeping where
// every setting was written: sections `[name]`, templates `[name](!)` and inheritance
// `[name](tmpl,...)`, additions `[name](+)`, `#include`/`#tryinclude` (with a loop check and
// a depth limit), block comments `;-- ... --;` and `\;` escapes. `exten =>` and `same =>`
// lines of extensions.conf are ordinary settings here (key "exten"/"same", arrow set).
//
// Depends on the standard library only, so that the fuzz build (tests/fuzz/) can compile it on
// its own. Never throws on bad input: every problem becomes an error line "file:line: message".

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::audit::asterisk {

struct Setting {
  std::string key;    // as written, e.g. "secret", "exten"
  std::string value;  // trimmed, comment removed, "\;" unescaped
  std::string file;   // relative to the configuration directory when it is inside it
  int line = 0;
  bool arrow = false;      // written "key => value"
  bool inherited = false;  // copied from a template (file/line are the template's)
};

struct Section {
  std::string name;
  std::string file;
  int line = 0;
  bool isTemplate = false;             // [name](!)
  std::vector<std::string> templates;  // [name](a,b): settings of a, then b, come first
  std::vector<Setting> settings;       // inherited ones first, in the order Asterisk applies

  // The last setting with this key (case-insensitive), which is the one Asterisk uses for a
  // single-valued option; nullptr when absent.
  const Setting* last(std::string_view key) const;
  // Every setting with this key, in order (permit=, deny=, exten=>...).
  std::vector<const Setting*> all(std::string_view key) const;
  // last(key)'s value, or "" when absent.
  std::string value(std::string_view key) const;
};

struct ConfigFile {
  std::string name;  // the top file, e.g. "pjsip.conf"
  std::vector<Section> sections;
  // The first section with this name (case-sensitive, like Asterisk's categories).
  const Section* section(std::string_view name) const;
};

// Where file contents come from: the disk below a configuration directory, or memory (tests,
// the fuzz target).
class FileSource {
 public:
  virtual ~FileSource() = default;
  // The contents of `name` (relative to the configuration directory, or absolute), or nullopt
  // with *error saying why ("cannot open: No such file or directory"). A file longer than
  // maxBytes is refused without being read whole.
  virtual std::optional<std::string> read(const std::string& name, size_t maxBytes,
                                          std::string* error) = 0;
  // The files an #include argument names: a glob on disk, the name itself by default.
  virtual std::vector<std::string> expand(const std::string& pattern) { return {pattern}; }
  // Whether `name` is there at all (an absent optional file is not an error).
  virtual bool exists(const std::string& name) const = 0;
};

// Reads files below `directory` (absolute names as they are); #include globs are expanded.
class DiskSource : public FileSource {
 public:
  explicit DiskSource(std::string directory) : directory_(std::move(directory)) {}
  std::optional<std::string> read(const std::string& name, size_t maxBytes,
                                  std::string* error) override;
  std::vector<std::string> expand(const std::string& pattern) override;
  bool exists(const std::string& name) const override;

 private:
  std::string pathOf(const std::string& name) const;
  std::string directory_;
};

struct ReadLimits {
  size_t maxFileBytes = size_t{4} << 20;    // one file
  size_t maxTotalBytes = size_t{32} << 20;  // a file with everything it includes
  int maxIncludeDepth = 8;
  size_t maxSettings = 200000;
};

struct ReadResult {
  ConfigFile config;
  std::vector<std::string> errors;  // "file:line: message" (line 0: the file as a whole)
  bool readFailed = false;          // the top file itself could not be read
};

ReadResult readConfig(FileSource& source, const std::string& name, const ReadLimits& limits = {});

// Case-insensitive ASCII comparison, used for option names and yes/no values.
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Asterisk's ast_true(): yes, true, y, t, 1, on.
bool isTrue(std::string_view value);
// Asterisk's ast_false(): no, false, n, f, 0, off.
bool isFalse(std::string_view value);

}  // namespace tg::audit::asterisk
