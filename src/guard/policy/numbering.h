#pragma once

// Dialled digits -> E.164, per numbering plan (config::NumberingPlan): international prefix,
// national (trunk) prefix, national and local lengths, extensions and emergency numbers.

#include <string>
#include <string_view>

#include "config/policy_config.h"

namespace tg::guard::policy {

struct Number {
  enum class Kind : uint8_t {
    kE164,       // e164 holds "+<digits>"
    kEmergency,  // one of the plan's emergency numbers: always allowed
    kInternal,   // an extension (or a short feature code) of the PBX
    kUnknown,    // none of the above: a short code, letters, a malformed number
  };
  Kind kind = Kind::kUnknown;
  std::string e164;  // kE164 only
};

// Removes RFC 3966 visual separators ("-", ".", "(", ")", spaces); keeps everything else.
std::string stripSeparators(std::string_view dialled);

Number normalise(std::string_view dialled, const config::NumberingPlan& plan);

// "+44 20..." or "4420..." -> "4420..." (digits only); empty when anything but digits remains.
std::string e164Digits(std::string_view text);

}  // namespace tg::guard::policy
