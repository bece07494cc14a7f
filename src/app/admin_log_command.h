#pragma once

// `trunkguard admin log [--json] [-n N]`: the admin audit trail (db::AuditStore), newest first.

#include <cstddef>
#include <ostream>
#include <string>

namespace tg::app {

// Exit codes: 0 shown, 1 no such database or a read error.
int runAdminLog(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
                std::ostream& err);

}  // namespace tg::app
