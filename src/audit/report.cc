#include "audit/report.h"

#include <nlohmann/json.hpp>
#include <ostream>

namespace tg::audit {
namespace {

constexpr Severity kOrder[] = {Severity::kCritical, Severity::kHigh, Severity::kMedium,
                               Severity::kLow, Severity::kInfo};

std::string location(const Finding& f) {
  if (f.file.empty()) return "";
  return f.line > 0 ? f.file + ":" + std::to_string(f.line) : f.file;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

}  // namespace

void writeText(const AuditResult& result, std::ostream& out) {
  out << "audit of " << result.target << ": " << result.findings.size()
      << (result.findings.size() == 1 ? " finding" : " findings") << "\n";
  for (Severity s : kOrder) {
    bool header = false;
    for (const Finding& f : result.findings) {
      if (f.severity != s) continue;
      if (!header) {
        out << "\n" << upper(severityName(s)) << "\n";
        header = true;
      }
      out << "  [" << f.id << "] " << f.title << "\n";
      if (const std::string where = location(f); !where.empty()) out << "    at: " << where << "\n";
      if (!f.evidence.empty()) out << "    seen: " << f.evidence << "\n";
      out << "    fix: " << f.fix << "\n";
    }
  }
  for (const std::string& e : result.errors) out << "\nerror: " << e;
  if (!result.errors.empty()) out << "\n";
}

void writeJson(const AuditResult& result, std::ostream& out) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : result.findings) {
    findings.push_back({{"id", f.id},
                        {"severity", severityName(f.severity)},
                        {"title", f.title},
                        {"file", f.file},
                        {"line", f.line},
                        {"evidence", f.evidence},
                        {"fix", f.fix},
                        {"references", f.references}});
  }
  const nlohmann::json doc = {
      {"target", result.target}, {"findings", findings}, {"errors", result.errors}};
  // Input text is not guaranteed UTF-8: replace invalid bytes rather than throw.
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void writeHtml(const AuditResult& result, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'\">"
         "<title>trunkguard audit: "
      << escapeHtml(result.target)
      << "</title><style>body{font-family:sans-serif;margin:2em;max-width:70em}"
         "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;"
         "text-align:left;vertical-align:top}.critical{background:#f8d0d0}.high{background:"
         "#fbe0c8}.medium{background:#fdf3c8}.low{background:#e4f0fb}.info{background:#eee}"
         "code{white-space:pre-wrap}</style></head><body>\n<h1>trunkguard audit</h1>\n<p>"
      << escapeHtml(result.target) << ": " << result.findings.size() << " findings</p>\n";
  for (Severity s : kOrder) {
    bool header = false;
    for (const Finding& f : result.findings) {
      if (f.severity != s) continue;
      if (!header) {
        out << "<h2>" << severityName(s)
            << "</h2>\n<table><tr><th>id</th><th>finding</th>"
               "<th>where</th><th>seen</th><th>fix</th><th>references</th></tr>\n";
        header = true;
      }
      out << "<tr class=\"" << severityName(s) << "\"><td><code>" << escapeHtml(f.id)
          << "</code></td><td>" << escapeHtml(f.title) << "</td><td><code>"
          << escapeHtml(location(f)) << "</code></td><td><code>" << escapeHtml(f.evidence)
          << "</code></td><td>" << escapeHtml(f.fix) << "</td><td>";
      for (const std::string& r : f.references) out << escapeHtml(r) << "<br>";
      out << "</td></tr>\n";
    }
    if (header) out << "</table>\n";
  }
  if (!result.errors.empty()) {
    out << "<h2>errors</h2>\n<ul>\n";
    for (const std::string& e : result.errors)
      out << "<li><code>" << escapeHtml(e) << "</code></li>\n";
    out << "</ul>\n";
  }
  out << "</body></html>\n";
}

int exitCodeFor(const AuditResult& result) {
  if (!result.errors.empty()) return kExitIncomplete;
  const std::optional<Severity> worst = result.worst();
  if (!worst || *worst == Severity::kInfo) return 0;
  return 9 + static_cast<int>(*worst);  // low 10, medium 11, high 12, critical 13
}

}  // namespace tg::audit
