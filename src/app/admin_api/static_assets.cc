#include "app/admin_api/static_assets.h"

#include <array>
#include <utility>

namespace tg::app::admin_api {
namespace {

ApiResponse plain(int status, std::string_view text) {
  ApiResponse r;
  r.status = status;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::string(text) + "\n";
  return r;
}

// A path that could name something outside the embedded set if it were ever joined to a
// directory: refused outright rather than normalised.
bool climbs(std::string_view path) {
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return true;
  }
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string_view contentTypeOf(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes) {
    if (path.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

ApiResponse serveAsset(std::string_view method, std::string_view path, const StaticAsset* assets,
                       size_t count) {
  if (method != "GET" && method != "HEAD") return plain(405, "GET only");
  if (climbs(path)) return plain(400, "bad path: \"..\", NUL and backslash are refused");
  if (path == "/") path = "/index.html";
  for (size_t i = 0; i < count; ++i) {
    if (assets[i].path != path) continue;
    ApiResponse r;
    r.contentType = std::string(contentTypeOf(path));
    r.body = std::string(assets[i].body);
    r.headers = {{"Content-Security-Policy", kDashboardCsp},
                 {"X-Frame-Options", "DENY"},
                 {"Referrer-Policy", "no-referrer"}};
    return r;
  }
  return plain(404, "no such dashboard file");
}

}  // namespace tg::app::admin_api
