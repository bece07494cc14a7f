"""SIP capture tests' pieces: a HEP v3 collector on loopback that decodes every packet's chunks
(written from the HEP v3 chunk table, apart from the gateway's encoder), and a pcap reader for
what sngrep writes."""
import socket
import struct
import threading
import time

import harness

FAMILIES = {2: "ipv4", 10: "ipv6"}
PROTOCOLS = {17: "udp", 6: "tcp", 22: "tls"}


def decode_hep(data):
    """The chunks of one HEP3 packet as a dict; raises ValueError when it is not one."""
    if len(data) < 6 or data[:4] != b"HEP3":
        raise ValueError(f"not a HEP3 packet: {data[:16]!r}")
    total = struct.unpack("!H", data[4:6])[0]
    if total != len(data):
        raise ValueError(f"HEP3 length {total}, datagram {len(data)} bytes")
    chunks = {}
    at = 6
    while at < len(data):
        vendor, kind, length = struct.unpack("!HHH", data[at:at + 6])
        if length < 6 or at + length > len(data):
            raise ValueError(f"chunk {kind} at {at}: bad length {length}")
        if vendor == 0:
            chunks[kind] = data[at + 6:at + length]
        at += length
    u = lambda k, fmt: struct.unpack(fmt, chunks[k])[0]  # noqa: E731
    family = u(1, "!B")
    if family == 2:
        src, dst = socket.inet_ntop(socket.AF_INET, chunks[3]), socket.inet_ntop(
            socket.AF_INET, chunks[4])
    else:
        src, dst = socket.inet_ntop(socket.AF_INET6, chunks[5]), socket.inet_ntop(
            socket.AF_INET6, chunks[6])
    payload = chunks[15].decode("utf-8", errors="replace")
    return {
        "family": FAMILIES.get(family, family),
        "protocol": PROTOCOLS.get(u(2, "!B"), u(2, "!B")),
        "src": (src, u(7, "!H")),
        "dst": (dst, u(8, "!H")),
        "time": u(9, "!I") + u(10, "!I") / 1e6,
        "type": u(11, "!B"),
        "agent": u(12, "!I"),
        "auth": chunks.get(14, b"").decode(),
        "correlation": chunks.get(17, b"").decode(),
        "payload": payload,
        "sip": harness.SipMessage(payload),
    }


class HepCollector:
    """A UDP HEP collector on 127.0.0.1: every packet decoded, in arrival order."""

    def __init__(self, port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.packets = []
        self.errors = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                p = decode_hep(data)
            except (ValueError, KeyError, struct.error) as e:
                with self.lock:
                    self.errors.append(f"{e}: {data[:60]!r}")
                continue
            with self.lock:
                self.packets.append(p)

    def snapshot(self):
        with self.lock:
            return list(self.packets)

    def wait_for(self, predicate, timeout=10.0, what="HEP packets"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.snapshot()):
                return self.snapshot()
            time.sleep(0.1)
        raise harness.TestFailure(f"timed out waiting for {what}; got {len(self.snapshot())}"
                                  f" packet(s):\n" + "\n".join(self.describe()[-40:]))

    def describe(self):
        return [f"  {p['protocol']} {p['src'][0]}:{p['src'][1]} -> {p['dst'][0]}:{p['dst'][1]} "
                f"{p['sip'].summary()} [{p['correlation']}]" for p in self.snapshot()]

    def close(self):
        self.running = False
        self.sock.close()
        self.thread.join(timeout=2)


def pcap_records(path):
    """The packet data of each record of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    records = []
    at = 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        records.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return records
