// extensions.conf: injection through the dialled number or caller data, and contexts that let
// unauthenticated callers reach outbound routes.

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "audit/asterisk_checks.h"
#include "audit/text_match.h"

namespace tg::audit {
namespace {

using asterisk::equalsIgnoreCase;
using asterisk::Setting;

// One priority of an extension: `exten => PATTERN,PRIORITY,App(ARGS)` or `same => ...`.
struct Step {
  std::string pattern;
  std::string app;
  std::string args;
  const Setting* setting = nullptr;
};

struct Context {
  std::vector<Step> steps;
  std::vector<std::string> includes;
};

std::string trimmed(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// "App(args)" or the old "App,args".
void splitApplication(std::string_view text, Step& step) {
  const size_t open = text.find_first_of("(,");
  step.app = trimmed(text.substr(0, open));
  if (open == std::string_view::npos) return;
  std::string_view args = text.substr(open + 1);
  if (text[open] == '(' && !args.empty() && args.back() == ')') args.remove_suffix(1);
  step.args = std::string(args);
}

std::map<std::string, Context> readContexts(const asterisk::ConfigFile& extensions) {
  std::map<std::string, Context> contexts;
  for (const asterisk::Section& section : extensions.sections) {
    if (section.isTemplate || section.name == "general" || section.name == "globals") continue;
    Context& context = contexts[section.name];
    std::string pattern;
    for (const Setting& s : section.settings) {
      if (equalsIgnoreCase(s.key, "include")) {
        context.includes.push_back(trimmed(s.value.substr(0, s.value.find(','))));
        continue;
      }
      const bool exten = equalsIgnoreCase(s.key, "exten");
      if (!exten && !equalsIgnoreCase(s.key, "same")) continue;
      std::string_view rest = s.value;
      if (exten) {
        const size_t comma = rest.find(',');
        if (comma == std::string_view::npos) continue;
        pattern = trimmed(rest.substr(0, comma));
        rest.remove_prefix(comma + 1);
      }
      const size_t comma = rest.find(',');  // after the priority
      if (comma == std::string_view::npos) continue;
      Step step;
      step.pattern = pattern;
      step.setting = &s;
      splitApplication(rest.substr(comma + 1), step);
      context.steps.push_back(std::move(step));
    }
  }
  return contexts;
}

// A pattern that matches any character somewhere (so '&', '/', '$' can get through).
bool matchesAnything(std::string_view pattern) {
  return !pattern.empty() && pattern.front() == '_' &&
         pattern.find_first_of(".!") != std::string_view::npos;
}

bool isDial(const Step& step) { return equalsIgnoreCase(step.app, "Dial"); }

// A Dial of the dialled number from a pattern toward a trunk (PJSIP/num@trunk,
// SIP/trunk/num): how an outbound route looks. Local/...@context stays inside the PBX.
bool dialsOut(const Step& step) {
  if (!isDial(step) || step.pattern.empty() || step.pattern.front() != '_' ||
      !containsIgnoreCase(step.args, "${EXTEN")) {
    return false;
  }
  const std::string_view target = std::string_view(step.args).substr(0, step.args.find(','));
  if (containsIgnoreCase(target, "Local/")) return false;
  return target.find('@') != std::string_view::npos ||
         std::count(target.begin(), target.end(), '/') >= 2;
}

bool unfiltered(const Step& step) { return !containsIgnoreCase(step.args, "FILTER("); }

bool usesCallerData(std::string_view args) {
  for (std::string_view v : {"${EXTEN", "${CALLERID", "${SIP_HEADER", "${PJSIP_HEADER", "${DNID",
                             "${RDNIS", "${CONNECTEDLINE", "${REDIRECTING", "${URIDECODE"}) {
    if (containsIgnoreCase(args, v)) return true;
  }
  return false;
}

bool runsShell(const Step& step) {
  return equalsIgnoreCase(step.app, "System") || equalsIgnoreCase(step.app, "TrySystem") ||
         equalsIgnoreCase(step.app, "MixMonitor") || containsIgnoreCase(step.args, "SHELL(");
}

}  // namespace

void auditDialplan(const asterisk::ConfigFile& extensions, const std::vector<GuestEntry>& guests,
                   AuditResult& result) {
  const std::map<std::string, Context> contexts = readContexts(extensions);
  for (const auto& [name, context] : contexts) {
    for (const Step& step : context.steps) {
      const Setting& s = *step.setting;
      if (isDial(step) && matchesAnything(step.pattern) &&
          containsIgnoreCase(step.args, "${EXTEN") && unfiltered(step)) {
        result.add("AST-DIAL-INJECTION", s.file, s.line,
                   "[" + name + "] " + step.pattern + ": Dial(" + step.args + ")");
      }
      if (runsShell(step) && usesCallerData(step.args) && unfiltered(step)) {
        result.add("AST-SHELL-INJECTION", s.file, s.line,
                   "[" + name + "] " + step.app + "(" + step.args + ")");
      }
    }
  }
  std::vector<GuestEntry> entries = guests;
  if (contexts.count("default") != 0) {
    entries.push_back({"default", "calls without a context of their own land in [default]"});
  }
  for (const GuestEntry& entry : entries) {
    // Breadth-first over include => (each context once: includes may form cycles).
    std::set<std::string> seen{entry.context};
    std::deque<std::string> queue{entry.context};
    while (!queue.empty()) {
      const auto it = contexts.find(queue.front());
      queue.pop_front();
      if (it == contexts.end()) continue;
      for (const Step& step : it->second.steps) {
        if (!dialsOut(step)) continue;
        result.add("AST-GUEST-CONTEXT-OUTBOUND", step.setting->file, step.setting->line,
                   entry.why + " -> [" + entry.context + "]" +
                       (it->first == entry.context ? "" : " includes [" + it->first + "]") +
                       ", which dials out: Dial(" + step.args + ")");
      }
      for (const std::string& include : it->second.includes) {
        if (seen.insert(include).second) queue.push_back(include);
      }
    }
  }
}

}  // namespace tg::audit
