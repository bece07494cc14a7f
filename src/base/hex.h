#pragma once

// Lower-case hex for bytes that end up in text: hashes, salts, keys and sealed secrets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::base {

std::string toHex(const unsigned char* data, size_t size);
inline std::string toHex(const std::vector<unsigned char>& bytes) {
  return toHex(bytes.data(), bytes.size());
}

// The bytes of `hex` (either case, an even number of digits); nullopt for anything else.
std::optional<std::vector<unsigned char>> fromHex(std::string_view hex);

}  // namespace tg::base
