#pragma once

// Who a call from the PBX counts as in the call policy and the fraud detectors (issue 12 item
// 2). The From user is whatever the PBX, or a phone behind it, chose for this call: keying
// limits on it lets a caller escape them by changing it. What the gateway can trust is the
// PBX peer the INVITE came from (a pbx.targets entry, by its source address), and the
// extension only when that entry names a header the PBX asserts it in (`identity_header`),
// only from that entry's addresses. So the account is the asserted extension, or else the
// peer's name; the zone's caps (policy.zone_limits) hold whatever it says.

#include <string>

#include "base/address.h"
#include "config/config.h"
#include "sip/message.h"

namespace tg::b2bua {

struct PbxCaller {
  std::string peer;     // the pbx.targets entry's name; "pbx:<address>" when none matches
  std::string account;  // the asserted extension, else `peer`
  bool asserted = false;
  std::string problem;  // why a configured identity header was not used ("" when it was or
                        // when none is configured); for a debug line, never with its value
};

PbxCaller pbxCallerOf(const config::PbxZone& pbx, const base::Address& source,
                      const sip::Message& invite);

// The extension in one identity header value: the user of its first name-addr or URI
// (P-Asserted-Identity style), or the value itself when it is a bare token (X-Account: 201).
// Empty when it is neither, or longer than 64 characters.
std::string assertedExtensionOf(std::string_view value);

}  // namespace tg::b2bua
