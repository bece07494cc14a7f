#include "guard/acl/country_db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/test_helpers.h"
#include "guard/acl/zone_acl.h"

namespace tg::guard::acl {
namespace {

using tg::testing::addr;
using transport::Zone;

base::Address ip(const char* text) { return addr(text, 5060); }

// Builds the test database with tests/unit/guard/make_test_mmdb.pl in a fresh directory.
class CountryDbTest : public ::testing::Test {
 protected:
  // Perl takes most of a second to start: one database for the whole suite.
  static void SetUpTestSuite() {
    if (std::system("perl -MMaxMind::DB::Writer::Tree -e 1 >/dev/null 2>&1") != 0) return;
    dir_ = std::filesystem::temp_directory_path() / ("tg-country-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.mmdb").string();
    const std::string command = std::string("perl '") + TG_SOURCE_DIR +
                                "/tests/unit/guard/make_test_mmdb.pl' '" + path_ + "'";
    built_ = std::system(command.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (dir_.empty()) {
      GTEST_SKIP() << "perl with MaxMind::DB::Writer (libmaxmind-db-writer-perl) is missing";
    }
    ASSERT_TRUE(built_) << "make_test_mmdb.pl failed";
  }

  std::shared_ptr<const CountryDb> open() {
    std::string error;
    auto db = CountryDb::open(path_, &error);
    EXPECT_NE(db, nullptr) << error;
    return db;
  }

  config::Config configWith(config::CountryAcl countries) {
    config::Config c;
    c.pbx.allowedSources = {*config::Cidr::parse("192.0.2.20")};
    countries.database = path_;
    c.guard.acl.countries = countries;
    return c;
  }

  static inline std::filesystem::path dir_;
  static inline std::string path_;
  static inline bool built_ = false;
};

TEST_F(CountryDbTest, LooksUpIsoCodes) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->countryOf(ip("192.0.2.5")), "DE");
  EXPECT_EQ(db->countryOf(ip("198.51.100.9")), "CN");
  EXPECT_EQ(db->countryOf(ip("2001:db8:de:1::1")), "DE");
  EXPECT_EQ(db->countryOf(ip("::ffff:198.51.100.9")), "CN");  // dual-stack socket
  EXPECT_EQ(db->countryOf(ip("203.0.113.1")), "US");          // registered country only
  EXPECT_EQ(db->countryOf(ip("10.0.0.1")), "");
  EXPECT_EQ(db->countryOf(ip("2001:db8:ff::1")), "");
  EXPECT_EQ(db->countryOf(base::Address{}), "");
}

TEST_F(CountryDbTest, MissingOrBrokenFilesAreReported) {
  std::string error;
  EXPECT_EQ(CountryDb::open((dir_ / "nope.mmdb").string(), &error), nullptr);
  EXPECT_NE(error.find("nope.mmdb"), std::string::npos) << error;
  const std::string junk = (dir_ / "junk.mmdb").string();
  std::ofstream(junk) << "not a database";
  error.clear();
  EXPECT_EQ(CountryDb::open(junk, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST_F(CountryDbTest, ZoneAclDeniesCountries) {
  config::CountryAcl countries;
  countries.deny = {"CN"};
  std::string error;
  auto acl = ZoneAcl::create(configWith(countries), &error);
  ASSERT_NE(acl, nullptr) << error;
  const AclVerdict v = acl->check(Zone::kPublic, ip("198.51.100.9"));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "acl.country");
  EXPECT_TRUE(acl->allowed(Zone::kPublic, ip("192.0.2.5")));
  EXPECT_TRUE(acl->allowed(Zone::kPublic, ip("10.0.0.1")));  // unknown: allowed by default
  // Countries apply to the public zone only.
  EXPECT_EQ(acl->check(Zone::kPbx, ip("198.51.100.9")).rule, "acl.not_allowed");
}

TEST_F(CountryDbTest, ZoneAclAllowListAndUnknownAddresses) {
  config::CountryAcl countries;
  countries.allow = {"DE"};
  countries.denyUnknown = true;
  std::string error;
  auto acl = ZoneAcl::create(configWith(countries), &error);
  ASSERT_NE(acl, nullptr) << error;
  EXPECT_TRUE(acl->allowed(Zone::kPublic, ip("192.0.2.5")));
  EXPECT_TRUE(acl->allowed(Zone::kPublic, ip("2001:db8:de::7")));
  EXPECT_EQ(acl->check(Zone::kPublic, ip("203.0.113.1")).rule, "acl.country");
  EXPECT_EQ(acl->check(Zone::kPublic, ip("10.0.0.1")).rule, "acl.country");
}

TEST_F(CountryDbTest, CreateFailsClearlyWhenTheDatabaseIsGone) {
  config::Config c = configWith({});
  c.guard.acl.countries->database = (dir_ / "gone.mmdb").string();
  std::string error;
  EXPECT_EQ(ZoneAcl::create(c, &error), nullptr);
  EXPECT_NE(error.find("gone.mmdb"), std::string::npos) << error;
}

}  // namespace
}  // namespace tg::guard::acl
