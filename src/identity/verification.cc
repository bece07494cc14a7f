#include "identity/verification.h"

namespace tg::identity {

std::string_view verstatName(Verstat v) {
  switch (v) {
    case Verstat::kPassed:
      return "TN-Validation-Passed";
    case Verstat::kFailed:
      return "TN-Validation-Failed";
    case Verstat::kNoValidation:
      break;
  }
  return "No-TN-Validation";
}

int failureCode(Failure f) {
  switch (f) {
    case Failure::kMissing:
      return 428;
    case Failure::kBadInfo:
      return 436;
    case Failure::kUntrusted:
      return 437;
    case Failure::kInvalid:
      return 438;
    case Failure::kStale:
      return 403;
    case Failure::kNone:
      break;
  }
  return 0;
}

std::string_view failureReasonPhrase(Failure f) {
  switch (f) {
    case Failure::kMissing:
      return "Use Identity Header";
    case Failure::kBadInfo:
      return "Bad Identity Info";
    case Failure::kUntrusted:
      return "Unsupported Credential";
    case Failure::kInvalid:
      return "Invalid Identity Header";
    case Failure::kStale:
      return "Stale Date";
    case Failure::kNone:
      break;
  }
  return "";
}

std::string_view failureName(Failure f) {
  switch (f) {
    case Failure::kMissing:
      return "missing";
    case Failure::kBadInfo:
      return "bad-info";
    case Failure::kUntrusted:
      return "untrusted";
    case Failure::kInvalid:
      return "invalid";
    case Failure::kStale:
      return "stale";
    case Failure::kNone:
      break;
  }
  return "none";
}

}  // namespace tg::identity
