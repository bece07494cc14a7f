#include "transport/transport.h"

namespace tg::transport {

std::string_view zoneName(Zone z) {
  switch (z) {
    case Zone::kPbx:
      return "pbx";
    case Zone::kTrunk:
      return "trunk";
    case Zone::kPublic:
      return "public";
  }
  return "unknown";
}

}  // namespace tg::transport
