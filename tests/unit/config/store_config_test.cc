#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The store section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& store) {
  return loadConfigString(std::string(kMinimalConfig) + store, "test.yaml");
}

TEST(StoreConfig, MemoryByDefault) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->store.type, StoreSettings::Type::kMemory);
  EXPECT_EQ(r.config->store.timeout, std::chrono::milliseconds(20));
  EXPECT_EQ(r.config->store.onFailure, StoreSettings::OnFailure::kLocal);
}

TEST(StoreConfig, Redis) {
  const LoadResult r = load(R"(store:
  type: redis
  url: redis://tg@[::1]:6380/2
  node_id: gw-1
  nodes: 3
  timeout_ms: 15
  on_failure: refuse
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const StoreSettings& s = r.config->store;
  EXPECT_EQ(s.type, StoreSettings::Type::kRedis);
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 6380);
  EXPECT_EQ(s.database, 2);
  EXPECT_EQ(s.username, "tg");
  EXPECT_EQ(s.nodeId, "gw-1");
  EXPECT_EQ(s.nodes, 3);
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(15));
  EXPECT_EQ(s.onFailure, StoreSettings::OnFailure::kRefuse);
  EXPECT_TRUE(s.password.empty());
}

TEST(StoreConfig, RedisWithoutNodeIdIsRefused) {
  const LoadResult r = load("store:\n  type: redis\n  url: redis://127.0.0.1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 11, "store.node_id", "own name in the cluster"));
}

TEST(StoreConfig, BadValuesAreErrors) {
  EXPECT_TRUE(hasError(load("store:\n  type: etcd\n"), 12, "store.type", "memory or redis"));
  EXPECT_TRUE(hasError(load("store:\n  url: http://x\n"), 12, "store.url", "not a Redis URL"));
  EXPECT_TRUE(hasError(load("store:\n  url: redis://u:pw@h\n"), 12, "store.url", "password_file"));
  EXPECT_TRUE(hasError(load("store:\n  url: rediss://h\n"), 12, "store.url", "hiredis"));
  EXPECT_TRUE(hasError(load("store:\n  url: redis://h:99999\n"), 12, "store.url", "not a port"));
  EXPECT_TRUE(hasError(load("store:\n  node_id: \"a b\"\n"), 12, "store.node_id", "node name"));
  EXPECT_TRUE(hasError(load("store:\n  on_failure: open\n"), 12, "store.on_failure", "refuse"));
  EXPECT_FALSE(load("store:\n  nodes: 0\n").ok());
}

TEST(StoreConfig, PasswordFromAFileOnlyItsOwnerReads) {
  const std::string path = ::testing::TempDir() + "/redis.secret";
  { std::ofstream(path) << "s3cret\n"; }
  ::chmod(path.c_str(), 0600);
  const LoadResult r = load("store:\n  password_file: " + path + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->store.password.reveal(), "s3cret");
  ::chmod(path.c_str(), 0644);
  EXPECT_TRUE(hasError(load("store:\n  password_file: " + path + "\n"), 12, "store.password_file",
                       "readable by every user"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tg::config
