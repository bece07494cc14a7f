#pragma once

// STUN keep-alives on the SIP UDP port (RFC 5626 §4.4.2, §8.4): a phone behind NAT sends a
// STUN Binding request (RFC 8489) over its SIP flow, and the answer both refreshes its NAT
// binding and tells it the address the gateway sees, so it notices a changed mapping. Only
// what a keep-alive needs: an unauthenticated Binding request in, a Binding success response
// with XOR-MAPPED-ADDRESS out. Everything else STUN (indications, responses, requests with
// comprehension-required attributes such as MESSAGE-INTEGRITY) gets silence.

#include <optional>
#include <string>
#include <string_view>

#include "base/address.h"

namespace tg::transport {

// Whether a datagram is STUN rather than SIP: the first two bits are zero and the magic
// cookie follows the length (RFC 8489 §6, RFC 7983). A SIP message starts with a letter.
bool isStunMessage(std::string_view datagram);

// The Binding success response to a well-formed Binding request from `source`; nullopt for
// anything else. The response is at most 44 bytes (IPv6), so a spoofed request is a poor
// amplifier; callers still answer only sources that passed the perimeter checks.
std::optional<std::string> stunBindingResponse(std::string_view request,
                                               const base::Address& source);

}  // namespace tg::transport
