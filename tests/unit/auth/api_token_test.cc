// Admin API bearer tokens: their shape, parsing of what a client sends, and the stored hash.

#include "auth/api_token.h"

#include <gtest/gtest.h>

namespace tg::auth {
namespace {

TEST(ApiToken, MadeTokensParseBackToTheirIdAndHashedSecret) {
  const NewApiToken t = makeApiToken();
  ASSERT_EQ(t.token.size(), 3u + 16 + 1 + 64);
  const auto parts = parseApiToken(t.token);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->id, t.id);
  EXPECT_EQ(tokenSecretHash(parts->secret), t.secretSha256);
  EXPECT_EQ(t.secretSha256.size(), 64u);
  EXPECT_EQ(t.token.find(t.secretSha256), std::string::npos);
  EXPECT_NE(makeApiToken().token, t.token);
}

TEST(ApiToken, AnythingElseIsRefused) {
  const std::string good = makeApiToken().token;
  for (const std::string& bad :
       {std::string(), std::string("tg_"), good.substr(1), good + "0",
        good.substr(0, good.size() - 1), "xx" + good.substr(2),
        std::string(good).replace(19, 1, "-"), std::string(good).replace(5, 1, "G")}) {
    EXPECT_FALSE(parseApiToken(bad)) << bad;
  }
}

TEST(ApiToken, RolesHaveTwoNames) {
  EXPECT_EQ(parseRole("viewer"), ApiRole::kViewer);
  EXPECT_EQ(parseRole("admin"), ApiRole::kAdmin);
  EXPECT_FALSE(parseRole("Admin"));
  EXPECT_EQ(roleName(ApiRole::kAdmin), "admin");
}

}  // namespace
}  // namespace tg::auth
