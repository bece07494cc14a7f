#!/usr/bin/python3
"""SRTP interop: trunkguard's SRTP layer (tg_srtp, driven through srtp_interop_peer) against
Debian's python3-pylibsrtp, for every suite both speak (pylibsrtp has no AES_256_CM profile).

For each suite, with one random SDES key:
  - RTP and RTCP protected by trunkguard are unprotected by pylibsrtp, bit-exact;
  - RTP and RTCP protected by pylibsrtp are unprotected by trunkguard, bit-exact;
  - trunkguard refuses a tampered and a replayed pylibsrtp packet.
The RTP sequence numbers cross 65535, so both sides must agree on the rollover counter.

Usage: test_srtp_pylibsrtp.py <path to srtp_interop_peer>. Exits 0 on success, 1 on a failed
check; pylibsrtp missing is a failure (scripts/install-deps.sh installs it).
"""

import base64
import os
import struct
import subprocess
import sys

try:
    import pylibsrtp
except ImportError:
    print("FAIL: python3-pylibsrtp is not installed (scripts/install-deps.sh)")
    sys.exit(1)

Policy = pylibsrtp.Policy

# SDES suite name -> (pylibsrtp profile, key || salt length)
SUITES = {
    "AES_CM_128_HMAC_SHA1_80": (Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
    "AES_CM_128_HMAC_SHA1_32": (Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 30),
    "AEAD_AES_128_GCM": (Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
    "AEAD_AES_256_GCM": (Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44),
}

SSRC = 0x5EC0DE01
FIRST_SEQUENCE = 65530
PACKETS = 12


def rtp_packets():
    """20 ms G.711 packets: 12-byte header and 160 bytes of payload."""
    packets = []
    for i in range(PACKETS):
        seq = (FIRST_SEQUENCE + i) & 0xFFFF
        header = struct.pack("!BBHII", 0x80, 0, seq, i * 160, SSRC)
        packets.append(header + os.urandom(160))
    return packets


def rtcp_packets():
    """Receiver reports with one report block."""
    return [struct.pack("!BBHI", 0x81, 201, 7, SSRC) + os.urandom(24) for _ in range(3)]


def run_peer(peer, operation, kind, crypto, packets):
    lines = "".join(p.hex() + "\n" for p in packets)
    done = subprocess.run([peer, operation, kind, crypto], input=lines, capture_output=True,
                          text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"srtp_interop_peer {operation} {kind} exited {done.returncode}: "
                             f"{done.stderr.strip()}")
    return done.stdout.splitlines()


def session(key, profile, ssrc_type):
    return pylibsrtp.Session(Policy(key=key, ssrc_type=ssrc_type, srtp_profile=profile))


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def interop(peer, suite, profile, key_length):
    key = os.urandom(key_length)
    crypto = f"1 {suite} inline:{base64.b64encode(key).decode()}"

    for kind, packets in (("rtp", rtp_packets()), ("rtcp", rtcp_packets())):
        # trunkguard protects, pylibsrtp unprotects.
        protected = run_peer(peer, "protect", kind, crypto, packets)
        check(len(protected) == len(packets), f"{suite} {kind}: {len(protected)} answers")
        receiver = session(key, profile, Policy.SSRC_ANY_INBOUND)
        for i, (plain, line) in enumerate(zip(packets, protected)):
            check(not line.startswith("error"), f"{suite} {kind} protect #{i}: {line}")
            wire = bytes.fromhex(line)
            check(wire[12:len(plain)] != plain[12:], f"{suite} {kind} #{i} left in clear")
            unprotect = receiver.unprotect if kind == "rtp" else receiver.unprotect_rtcp
            check(unprotect(wire) == plain, f"{suite} {kind} #{i}: pylibsrtp got other bytes")

        # pylibsrtp protects, trunkguard unprotects; then a tampered copy and a replay.
        sender = session(key, profile, Policy.SSRC_ANY_OUTBOUND)
        protect = sender.protect if kind == "rtp" else sender.protect_rtcp
        wires = [protect(p) for p in packets]
        tampered = bytearray(wires[-1])
        tampered[20] ^= 0x01
        answers = run_peer(peer, "unprotect", kind, crypto, wires[:-1] + [bytes(tampered)] +
                           [wires[-1], wires[0]])
        for i, plain in enumerate(packets[:-1]):
            check(answers[i] == plain.hex(), f"{suite} {kind} #{i}: trunkguard got "
                                             f"{answers[i][:40]}")
        check(answers[-3] == "error authentication failure",
              f"{suite} {kind} tampered: {answers[-3]}")
        check(answers[-2] == packets[-1].hex(), f"{suite} {kind} last: {answers[-2][:40]}")
        check(answers[-1] == "error replay", f"{suite} {kind} replayed: {answers[-1]}")
    print(f"ok   {suite}: RTP and RTCP both ways, tampered and replayed packets refused")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    peer = sys.argv[1]
    failed = False
    for suite, (profile, key_length) in SUITES.items():
        try:
            interop(peer, suite, profile, key_length)
        except AssertionError as error:
            print(f"FAIL {suite}: {error}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
