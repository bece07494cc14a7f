#pragma once

// With `workers: N` every worker binds its own UDP socket to each listener's port
// (SO_REUSEPORT), and the kernel picks one socket per datagram. By default it hashes source
// address AND port, so a scanner that rotates its source port reaches all N workers and every
// per-source limit and scanner threshold (per worker) is worth N times its setting. This
// attaches a classic BPF program to the group (SO_ATTACH_REUSEPORT_CBPF) that picks the socket
// from the source address alone: the IPv4 address, or the /64 of an IPv6 one (what
// guard::SourceKey counts as one source).
//
// The program runs with the packet positioned at the UDP payload, so it loads the source
// address relative to the network header (SKF_NET_OFF): byte 12 of an IPv4 header, bytes 8-15
// of an IPv6 header. It returns an index into the group; the kernel falls back to its own hash
// while fewer sockets than that have joined (start-up).

#include <cstdint>
#include <string>

#include "base/address.h"

namespace tg::transport {

// Attaches the program to the reuseport group of the bound UDP socket `fd` (`ipv6`: its
// family). Returns the OS error text on failure, empty on success. groupSize < 2: nothing to
// steer, returns empty.
std::string steerBySourceAddress(int fd, bool ipv6, uint32_t groupSize);

// The index the program picks for `source` in a group of `groupSize` sockets (sockets are
// numbered in the order they joined), for tests and diagnostics.
uint32_t steeringIndex(const base::Address& source, uint32_t groupSize);

}  // namespace tg::transport
