#include "audit/secret_strength.h"

#include "auth/password_policy.h"

namespace tg::audit {

std::string secretWeakness(const std::string& secret, const std::string& user) {
  // The default policy, not the audited gateway's: a weakened policy must not hide a weak secret.
  static const auth::PasswordPolicy policy{config::PasswordPolicySettings{}};
  return policy.check(secret, user);
}

}  // namespace tg::audit
