#include "base/openssl_error.h"

#include <openssl/err.h>

#include <cstring>

namespace tg::base {

std::string lastOpensslError() {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "unknown OpenSSL error";
  // A system error's errno says more than "system lib".
  if (ERR_GET_LIB(first) == ERR_LIB_SYS) return std::strerror(ERR_GET_REASON(first));
  const char* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

}  // namespace tg::base
