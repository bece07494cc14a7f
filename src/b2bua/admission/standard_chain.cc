#include "b2bua/admission/standard_chain.h"

#include "b2bua/admission/call_policy_filter.h"
#include "b2bua/admission/fraud_filter.h"
#include "b2bua/admission/identity_filter.h"
#include "b2bua/admission/numbers_filter.h"
#include "b2bua/admission/phone_auth_filter.h"
#include "b2bua/admission/request_checks_filter.h"
#include "b2bua/admission/sips_route_filter.h"

namespace tg::b2bua::admission {
namespace {

template <typename Filter>
std::unique_ptr<CallFilter> make(AdmissionServices& services) {
  return std::make_unique<Filter>(services);
}

// Who the caller is first (nothing else is worth checking for a stranger), then what the
// request asks for, then the call itself: where it may go, whether the provider's caller ID
// is signed (STIR/SHAKEN, before the policy counts the call), and the toll-fraud policy last,
// since it counts every call it admits, then the fraud detectors on what the policy admitted.
constexpr std::unique_ptr<CallFilter> (*kOrder[])(AdmissionServices&) = {
    make<PhoneAuthFilter>, make<RequestChecksFilter>, make<NumbersFilter>, make<SipsRouteFilter>,
    make<IdentityFilter>,  make<CallPolicyFilter>,    make<FraudFilter>,
};

}  // namespace

std::vector<std::unique_ptr<CallFilter>> standardFilters(AdmissionServices& services) {
  std::vector<std::unique_ptr<CallFilter>> filters;
  for (auto* make : kOrder) filters.push_back(make(services));
  return filters;
}

}  // namespace tg::b2bua::admission
