#pragma once

// The web dashboard's files (dashboard/ in the source tree), built by esbuild and embedded into
// the binary at build time (cmake/embed_assets.cmake writes dashboard_assets.cc): nothing is
// read from disk or a CDN at run time, so the dashboard always matches the binary.

#include <cstddef>
#include <string_view>

#include "app/admin_api/admin_api.h"

namespace tg::app::admin_api {

struct StaticAsset {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view body;
};

// The embedded files (defined in the generated dashboard_assets.cc).
extern const StaticAsset kDashboardAssets[];
extern const size_t kDashboardAssetCount;

// The Content-Security-Policy every dashboard page is served with: scripts, styles and
// connections to this origin only, no framing.
inline constexpr const char* kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// The content type for a file name's extension; application/octet-stream when unknown.
std::string_view contentTypeOf(std::string_view path);

// GET of a dashboard path: "/" is /index.html; 400 for a path that climbs ("..") or carries
// a NUL or backslash, 404 for a file that is not embedded, 405 for any method but GET and HEAD.
// The answer carries the CSP and no-framing headers.
ApiResponse serveAsset(std::string_view method, std::string_view path,
                       const StaticAsset* assets = kDashboardAssets,
                       size_t count = kDashboardAssetCount);

}  // namespace tg::app::admin_api
