#pragma once

// The order in which SRV targets are tried (RFC 2782 "Usage rules"): lowest priority first;
// within one priority, a weighted random draw, repeated without replacement, so that a target
// with twice the weight is picked first twice as often. Records of weight 0 keep a small chance.

#include <random>
#include <vector>

#include "trunk/dns_types.h"

namespace tg::trunk {

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, std::mt19937_64& rng);

}  // namespace tg::trunk
