#pragma once

// RFC 3581 §4 for responses: the server fills in the client's empty rport and adds received=.

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace tg::sip {

// When `request`'s top Via asks for rport (with no value), fills in the source port and adds
// received= (the source IP) to the top Via of `response`, a response built by
// responseTo(request, ...), in place. Returns whether it changed anything.
bool stampTopVia(std::string& response, const Message& request, std::string_view sourceIp,
                 uint16_t sourcePort);

}  // namespace tg::sip
