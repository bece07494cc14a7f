#pragma once

// Where the state the gateways share lives (issue 18, docs/cluster.md): this process's memory,
// or a Redis server shared by the gateways of a cluster. Read by store_section.cc.

#include <chrono>
#include <cstdint>
#include <string>

#include "config/provider_auth_config.h"

namespace tg::config {

struct StoreSettings {
  enum class Type : uint8_t { kMemory, kRedis };
  enum class OnFailure : uint8_t {
    kLocal,   // Redis slow or gone: count locally, each limit divided by `nodes`
    kRefuse,  // Redis slow or gone: refuse what has a limit (new calls)
  };
  Type type = Type::kMemory;
  std::string url;  // as written: redis://[user@]host[:port][/database]
  std::string host;
  uint16_t port = 6379;
  int database = 0;
  std::string username;                   // ACL user (from the URL); empty: the default user
  Secret password;                        // from password_file; empty: no AUTH
  std::string nodeId;                     // this gateway's name in the cluster; required with redis
  int nodes = 1;                          // gateways sharing the store
  std::chrono::milliseconds timeout{20};  // per Redis command
  OnFailure onFailure = OnFailure::kLocal;
};

}  // namespace tg::config
