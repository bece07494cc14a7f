#pragma once

// `trunkguard backup` and `trunkguard restore`: whole-database copies through SQLite's online
// backup API, so a backup taken while the gateway writes is one consistent snapshot (one read
// transaction; WAL lets the gateway keep writing meanwhile).

#include <string>

namespace tg::db {

// Copies the database at `source` to `destination`, which must not exist yet (a backup never
// overwrites anything), then checks the copy (integrity_check). Written to a temporary name
// beside `destination` and renamed, so a failed or interrupted backup leaves no half file.
// Returns "" or what went wrong.
std::string backupDatabase(const std::string& source, const std::string& destination);

// Replaces the database at `target` with the backup at `backup` after checking the backup
// (integrity, a schema this build knows). Refuses, changing nothing, while another connection
// has `target` open (a running gateway): it must be stopped first. A `target` that exists keeps
// its file, owner and mode; a new one gets the owner of its folder when run as root. Returns ""
// or what went wrong.
std::string restoreDatabase(const std::string& backup, const std::string& target);

}  // namespace tg::db
