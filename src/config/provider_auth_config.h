#pragma once

// A provider's credentials (held by trunkguard only, never by the PBX) and its registration.
// Read by provider_auth_section.cc; the secret itself is read there from a file or an
// environment variable, once, at load time.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tg::config {

// A value that must never reach a log line, an error message or a printout. It has no stream
// operator and no formatter on purpose: the only way to the text is reveal(), which makes every
// use easy to find.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

struct ProviderAuth {
  bool enabled = false;  // an `auth:` section was given
  std::string username;
  Secret password;
  std::string passwordSource;  // "file /path" or "env NAME", for messages (never the value)
  std::string passwordFile;    // the file's resolved path; empty for env and systemd credentials
  bool passwordWasSealed = false;  // the file or variable held it sealed (base/sealed_secret.h)
  int passwordLine = 0;            // where password_file/password_env is written, for messages
  std::string realm;               // empty: answer whatever realm the provider challenges with
  bool registerEnabled = false;    // send REGISTER and keep it refreshed
  std::chrono::seconds expires{3600};
  // Where REGISTER goes: a host (name or IP) with an optional port; empty = the provider's
  // own target.
  std::string registrarHost;
  uint16_t registrarPort = 0;  // 0 = the provider's port (or SRV when the host is a name)
};

// What a provider's sealed password is bound to (base/sealed_secret.h `context`): a value
// sealed for one provider does not open as another's.
std::string providerPasswordContext(std::string_view provider);

}  // namespace tg::config
