#pragma once

// A provider's credentials (held by trunkguard only, never by the PBX) and its registration.
// Read by provider_auth_section.cc.

namespace tg::config {

struct ProviderAuth {};

}  // namespace tg::config
