#include "app/hash_code_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "base/secret_hash.h"

namespace tg::app {
namespace {

TEST(HashCodeCommand, PrintsAHashOfTheCodeAndNeverTheCode) {
  std::istringstream in("4821\n");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(runHashCode(in, out, err), 0) << err.str();
  std::string hash = out.str();
  ASSERT_FALSE(hash.empty());
  ASSERT_EQ(hash.back(), '\n');
  hash.pop_back();
  EXPECT_TRUE(base::isSecretHash(hash)) << hash;
  EXPECT_TRUE(base::secretMatches("4821", hash));
  EXPECT_EQ(err.str().find("4821"), std::string::npos);
}

TEST(HashCodeCommand, RefusesWhatIsNoCode) {
  for (const char* bad : {"", "12a4\n", "1\n", "1234567890123\n"}) {
    std::istringstream in(bad);
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(runHashCode(in, out, err), 2) << bad;
    EXPECT_TRUE(out.str().empty()) << bad;
    EXPECT_NE(err.str().find("error:"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace tg::app
