// The dashboard's embedded files: served with their content type and the CSP, "/" as
// index.html, climbing paths refused with 400, unknown files 404, and the build embeds the
// bundle the page loads.

#include "app/admin_api/static_assets.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace tg::app::admin_api {
namespace {

const StaticAsset kAssets[] = {
    {"/index.html", "<html>hi</html>"},
    {"/app.js", "console.log(1)"},
};

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

ApiResponse get(std::string_view path) { return serveAsset("GET", path, kAssets, 2); }

TEST(StaticAssets, ServesFilesWithTheirTypeAndTheCsp) {
  const ApiResponse r = get("/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.contentType, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r, "Content-Security-Policy"), kDashboardCsp);
  EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
}

TEST(StaticAssets, TheRootIsTheIndex) {
  const ApiResponse r = get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>hi</html>");
  EXPECT_EQ(r.contentType, "text/html; charset=utf-8");
}

TEST(StaticAssets, ClimbingPathsAreRefused) {
  for (const char* path : {"/../etc/passwd", "/..", "/a/../index.html", "/..\\x", "/x\\y"}) {
    const ApiResponse r = get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_NE(r.body.find("bad path"), std::string::npos) << path;
  }
  EXPECT_EQ(get(std::string_view("/index.html\0x", 13)).status, 400);
}

TEST(StaticAssets, UnknownFilesAndOtherMethodsAreRefused) {
  EXPECT_EQ(get("/nope.js").status, 404);
  EXPECT_EQ(get("/index.htm").status, 404);
  EXPECT_EQ(get("").status, 404);
  EXPECT_EQ(serveAsset("POST", "/app.js", kAssets, 2).status, 405);
}

TEST(StaticAssets, ContentTypes) {
  EXPECT_EQ(contentTypeOf("/app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(contentTypeOf("/x.svg"), "image/svg+xml");
  EXPECT_EQ(contentTypeOf("/x.bin"), "application/octet-stream");
}

TEST(StaticAssets, TheBuildEmbedsTheBundleThePageLoads) {
  const ApiResponse index = serveAsset("GET", "/");
  ASSERT_EQ(index.status, 200);
  for (const char* file : {"/app.js", "/app.css"}) {
    EXPECT_NE(index.body.find(std::string("\"") + file + "\""), std::string::npos) << file;
    const ApiResponse r = serveAsset("GET", file);
    EXPECT_EQ(r.status, 200) << file;
    EXPECT_GT(r.body.size(), 1000u) << file;
  }
}

// Byte for byte what dashboard/dist holds (the build's own bundle equals it: ctest
// dashboard.bundle_is_fresh), so the embedding loses or alters nothing.
TEST(StaticAssets, TheEmbeddedFilesAreTheBundlesBytes) {
  ASSERT_EQ(kDashboardAssetCount, 3u);
  for (size_t i = 0; i < kDashboardAssetCount; ++i) {
    const std::string path =
        std::string(TG_SOURCE_DIR) + "/dashboard/dist" + std::string(kDashboardAssets[i].path);
    std::ifstream file(path, std::ios::binary);
    ASSERT_TRUE(file) << path;
    std::ostringstream bytes;
    bytes << file.rdbuf();
    EXPECT_EQ(bytes.str(), kDashboardAssets[i].body) << path;
  }
}

}  // namespace
}  // namespace tg::app::admin_api
