#pragma once

// Rewrites the sent-protocol and sent-by of a request's top Via in place: a request the
// transport sends over another transport than the one it was built for (RFC 3261 §18.1.1, a
// large request moved from UDP to TCP) must say so in its Via (§18.1.1, §18.2.2: the server
// answers over the connection, else to the sent-by with that transport).

#include <string>
#include <string_view>

namespace tg::sip {

// Replaces "SIP/2.0/<transport> <sent-by>" of the top Via of `request` with `transport`
// (e.g. "TCP") and `sentBy` ("host:port"), keeping its parameters. Returns false, and leaves
// `request` unchanged, when it has no well-formed top Via.
bool setTopViaTransport(std::string& request, std::string_view transport, std::string_view sentBy);

}  // namespace tg::sip
