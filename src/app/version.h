#pragma once

// `trunkguard --version`: what was built and what it runs with, for bug reports and upgrades.

#include <string>

namespace tg::app {

// "trunkguard 0.1.0 (git v0.1.0-12-gabc1234)\nbuild: Release\nOpenSSL: ...\nSQLite: 3.40.1"
std::string versionText();

}  // namespace tg::app
