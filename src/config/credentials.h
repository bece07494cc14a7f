#pragma once

// systemd credentials: a file-valued secret key written `credential:NAME` means the file NAME in
// $CREDENTIALS_DIRECTORY (LoadCredential=/SetCredential= in the unit), which systemd makes
// readable by the service alone.

#include <optional>
#include <string>
#include <string_view>

namespace tg::config {

inline constexpr std::string_view kCredentialPrefix = "credential:";

// nullopt when `value` is not a credential reference (a plain path). Otherwise the file's path,
// or "" with *error set (no $CREDENTIALS_DIRECTORY, or a NAME that is not a plain file name).
std::optional<std::string> credentialPath(std::string_view value, std::string* error);

}  // namespace tg::config
