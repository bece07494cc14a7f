#pragma once

// The key sealing secrets at rest (base/sealed_secret.h) for the gateway and the CLI.
//
// Gateway start: the key file (database.key_file, default <database.path>.key) is loaded, or
// created with mode 0600 when missing, and every admin TOTP secret still in the clear (from a
// version before sealing, or an `admin add` run before the key existed) is sealed in place.
// CLI: the key is used when its file exists and is private; it is never created there, since
// the CLI often runs as root and the file must belong to the service user.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/sealed_secret.h"
#include "config/config.h"

namespace tg::db {
class AccountStore;
}

namespace tg::app {

// Where the key of the database at dbPath lives: the config's, else beside the database.
std::string sealingKeyPath(const config::Config* config, const std::string& dbPath);

// Gateway start: loads or creates the key and seals the plaintext admin secrets. Throws
// std::runtime_error naming the key file on any problem (a key others can read included).
// Returns how many secrets it sealed.
int sealSecretsAtStart(const config::Config& config);

// Gateway start, after sealSecretsAtStart() made sure the key exists: each provider password
// file still in the clear (`password_file`, not a systemd credential) is rewritten with its
// first line sealed for that provider (config::providerPasswordContext), in place (a new file
// renamed over it, same mode). A file this process does not own, or cannot replace, is left as
// it is and named in *skipped with why (never with its content). Returns how many it sealed.
int sealProviderPasswordsAtStart(const config::Config& config, std::vector<std::string>* skipped);

// CLI: sets the key on `store` when the key file exists; a key file that is not private (or
// unreadable) is an error written to err (returns false) rather than a silent plaintext write.
bool useSealingKey(db::AccountStore& store, const std::string& keyPath, std::ostream& err);

}  // namespace tg::app
