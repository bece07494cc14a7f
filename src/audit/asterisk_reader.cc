#include "audit/asterisk_reader.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace tg::audit::asterisk {
namespace {

char lowerChar(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// One file being read, with everything it includes.
class Reader {
 public:
  Reader(FileSource& source, const ReadLimits& limits, ReadResult& result)
      : source_(source), limits_(limits), result_(result) {}

  void readFile(const std::string& name, const std::string& from, int fromLine, bool optional) {
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      error(from, fromLine, "#include loop: " + name + " is already being read");
      return;
    }
    if (static_cast<int>(stack_.size()) > limits_.maxIncludeDepth) {
      error(from, fromLine,
            "#include nested deeper than " + std::to_string(limits_.maxIncludeDepth) +
                " levels: " + name);
      return;
    }
    std::string why;
    const size_t room = limits_.maxTotalBytes - std::min(limits_.maxTotalBytes, totalBytes_);
    std::optional<std::string> text =
        source_.read(name, std::min(limits_.maxFileBytes, room), &why);
    if (!text) {
      if (optional) return;  // #tryinclude
      if (stack_.empty()) {
        result_.readFailed = true;
        error(name, 0, why);
      } else {
        error(from, fromLine, "#include " + name + ": " + why);
      }
      return;
    }
    totalBytes_ += text->size();
    if (const size_t nul = text->find('\0'); nul != std::string::npos) {
      error(name, 0,
            "binary data (a NUL byte at offset " + std::to_string(nul) +
                "): not an Asterisk configuration file");
      if (stack_.empty()) result_.readFailed = true;
      return;
    }
    stack_.push_back(name);
    parse(name, *text);
    stack_.pop_back();
  }

 private:
  void error(const std::string& file, int line, const std::string& message) {
    result_.errors.push_back(file + ":" + std::to_string(line) + ": " + message);
  }

  // Removes a ';' comment (not "\;", which becomes ';') and block comments, which may span
  // lines (inBlock_ carries the state).
  std::string stripComments(std::string_view raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (inBlock_) {
        if (raw.compare(i, 3, "--;") == 0) {
          inBlock_ = false;
          i += 2;
        }
        continue;
      }
      if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == ';') {
        out += ';';
        ++i;
        continue;
      }
      if (raw[i] == ';') {
        if (raw.compare(i, 3, ";--") == 0) {
          inBlock_ = true;
          i += 2;
          continue;
        }
        break;
      }
      out += raw[i];
    }
    return out;
  }

  void parse(const std::string& file, const std::string& text) {
    int lineNo = 0;
    size_t pos = 0;
    inBlock_ = false;
    while (pos < text.size()) {
      const size_t end = text.find('\n', pos);
      const std::string_view raw(text.data() + pos,
                                 (end == std::string::npos ? text.size() : end) - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      ++lineNo;
      const std::string stripped = stripComments(raw);
      const std::string_view line = trim(stripped);
      if (line.empty()) continue;
      if (line.front() == '#') {
        directive(file, lineNo, line);
      } else if (line.front() == '[') {
        sectionHeader(file, lineNo, line);
      } else {
        setting(file, lineNo, line);
      }
      if (result_.config.sections.size() + settingCount_ > limits_.maxSettings) {
        error(
            file, lineNo,
            "more than " + std::to_string(limits_.maxSettings) + " settings: reading stopped here");
        return;
      }
    }
  }

  void directive(const std::string& file, int lineNo, std::string_view line) {
    bool optional = false;
    std::string_view arg;
    if (startsWithIgnoreCase(line, "#include")) {
      arg = line.substr(8);
    } else if (startsWithIgnoreCase(line, "#tryinclude")) {
      arg = line.substr(11);
      optional = true;
    } else if (startsWithIgnoreCase(line, "#exec")) {
      return;  // runs a program: its output is not something an offline audit can read
    } else {
      error(file, lineNo, "unknown directive: " + std::string(line.substr(0, 40)));
      return;
    }
    arg = trim(arg);
    if (arg.size() >= 2 && (arg.front() == '"' || arg.front() == '<')) {
      arg = arg.substr(1, arg.size() - 2);
    }
    if (arg.empty()) {
      error(file, lineNo, "#include without a file name");
      return;
    }
    const std::vector<std::string> names = source_.expand(std::string(arg));
    if (names.empty() && !optional) {
      error(file, lineNo, "#include " + std::string(arg) + ": no such file");
    }
    for (const std::string& name : names) readFile(name, file, lineNo, optional);
  }

  void sectionHeader(const std::string& file, int lineNo, std::string_view line) {
    const size_t close = line.find(']');
    if (close == std::string_view::npos || close == 1) {
      error(file, lineNo, "section header without a name or a closing ']'");
      current_.reset();
      return;
    }
    Section section;
    section.name = std::string(trim(line.substr(1, close - 1)));
    section.file = file;
    section.line = lineNo;
    std::string_view rest = trim(line.substr(close + 1));
    bool append = false;
    if (!rest.empty()) {
      if (rest.front() != '(' || rest.back() != ')') {
        error(file, lineNo, "text after the section header: expected (options)");
      } else {
        for (const std::string& option : splitList(rest.substr(1, rest.size() - 2))) {
          if (option == "!") {
            section.isTemplate = true;
          } else if (option == "+") {
            append = true;
          } else {
            section.templates.push_back(option);
          }
        }
      }
    }
    std::vector<Section>& sections = result_.config.sections;
    if (append) {
      for (size_t i = sections.size(); i-- > 0;) {
        if (sections[i].name == section.name) {
          current_ = i;
          return;
        }
      }
      error(file, lineNo, "[" + section.name + "](+) adds to a section that is not defined above");
    }
    for (const std::string& name : section.templates) inherit(section, name, file, lineNo);
    sections.push_back(std::move(section));
    current_ = sections.size() - 1;
  }

  void inherit(Section& section, const std::string& name, const std::string& file, int lineNo) {
    const std::vector<Section>& sections = result_.config.sections;
    for (size_t i = sections.size(); i-- > 0;) {
      if (sections[i].name != name) continue;
      for (Setting s : sections[i].settings) {
        s.inherited = true;
        section.settings.push_back(std::move(s));
        ++settingCount_;
      }
      return;
    }
    error(file, lineNo, "template '" + name + "' is not defined above [" + section.name + "]");
  }

  void setting(const std::string& file, int lineNo, std::string_view line) {
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error(file, lineNo,
            "not a setting (expected key = value): " + std::string(line.substr(0, 60)));
      return;
    }
    if (!current_) {
      error(file, lineNo, "setting outside of any [section]");
      return;
    }
    Setting s;
    s.key = std::string(trim(line.substr(0, eq)));
    std::string_view value = line.substr(eq + 1);
    if (!value.empty() && value.front() == '>') {
      s.arrow = true;
      value.remove_prefix(1);
    }
    s.value = std::string(trim(value));
    s.file = file;
    s.line = lineNo;
    result_.config.sections[*current_].settings.push_back(std::move(s));
    ++settingCount_;
  }

  FileSource& source_;
  const ReadLimits& limits_;
  ReadResult& result_;
  std::vector<std::string> stack_;  // files being read, outermost first
  std::optional<size_t> current_;   // index of the section settings go to
  size_t totalBytes_ = 0;
  size_t settingCount_ = 0;
  bool inBlock_ = false;
};

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowerChar(x) == lowerChar(y);
         });
}

bool isTrue(std::string_view v) {
  for (std::string_view t : {"yes", "true", "y", "t", "1", "on"}) {
    if (equalsIgnoreCase(v, t)) return true;
  }
  return false;
}

bool isFalse(std::string_view v) {
  for (std::string_view f : {"no", "false", "n", "f", "0", "off"}) {
    if (equalsIgnoreCase(v, f)) return true;
  }
  return false;
}

const Setting* Section::last(std::string_view key) const {
  for (size_t i = settings.size(); i-- > 0;) {
    if (equalsIgnoreCase(settings[i].key, key)) return &settings[i];
  }
  return nullptr;
}

std::vector<const Setting*> Section::all(std::string_view key) const {
  std::vector<const Setting*> out;
  for (const Setting& s : settings) {
    if (equalsIgnoreCase(s.key, key)) out.push_back(&s);
  }
  return out;
}

std::string Section::value(std::string_view key) const {
  const Setting* s = last(key);
  return s != nullptr ? s->value : std::string();
}

const Section* ConfigFile::section(std::string_view sectionName) const {
  for (const Section& s : sections) {
    if (s.name == sectionName) return &s;
  }
  return nullptr;
}

std::string DiskSource::pathOf(const std::string& name) const {
  return !name.empty() && name.front() == '/' ? name : directory_ + "/" + name;
}

bool DiskSource::exists(const std::string& name) const {
  struct stat st {};
  return ::stat(pathOf(name).c_str(), &st) == 0;
}

std::optional<std::string> DiskSource::read(const std::string& name, size_t maxBytes,
                                            std::string* error) {
  const std::string path = pathOf(name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = "not a regular file";
    return std::nullopt;
  }
  if (static_cast<size_t>(st.st_size) > maxBytes) {
    *error = "too large (" + std::to_string(st.st_size) + " bytes; the limit is " +
             std::to_string(maxBytes) + ")";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "read error";
    return std::nullopt;
  }
  return text;
}

std::vector<std::string> DiskSource::expand(const std::string& pattern) {
  if (pattern.find_first_of("*?[") == std::string::npos) return {pattern};
  const bool absolute = !pattern.empty() && pattern.front() == '/';
  const std::string full = pathOf(pattern);
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string path = g.gl_pathv[i];
      if (!absolute && path.rfind(directory_ + "/", 0) == 0) {
        path = path.substr(directory_.size() + 1);
      }
      out.push_back(std::move(path));
    }
  }
  ::globfree(&g);
  return out;
}

ReadResult readConfig(FileSource& source, const std::string& name, const ReadLimits& limits) {
  ReadResult result;
  result.config.name = name;
  Reader reader(source, limits, result);
  reader.readFile(name, "", 0, false);
  return result;
}

}  // namespace tg::audit::asterisk
