#!/usr/bin/env python3
"""Connection admission on the public zone's tcp:// listener, two workers, raw sockets.

1. A phone from 127.0.0.60 connects and gets its OPTIONS answered; then an attacker fills the
   connection table with idle connections from 127.0.0.100-109. The oldest silent ones are
   evicted to make room, never the phone's: it still gets answers on its connection, and a
   phone from a fresh address (127.0.0.61) connects and is answered too.
2. First-message deadline: an idle connection is closed after tcp.first_message_timeout_ms.
3. Slowloris: a connection that sent one OPTIONS and then sends the next one byte every 0.4 s
   is never idle, but is closed once that message is incomplete for tcp.message_timeout_ms.
4. Per-prefix budget (a second gateway): every 127.0.0.N is in one /24, so connections from
   many addresses stop at tcp.max_connections_per_prefix.
"""
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

FIRST_MESSAGE_MS = 2000
MESSAGE_MS = 3000


def connect(addr, source):
    return socket.create_connection(addr, timeout=2, source_address=(source, 0))


def closed_within(sock, seconds):
    """Whether the gateway closes (or resets) `sock` within `seconds`, reading what comes."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


def refused(addr, source, seconds):
    """Whether a new connection from `source` is reset (at connect or within `seconds`)."""
    try:
        sock = connect(addr, source)
    except OSError:
        return True  # the reset came before connect() returned
    with sock:
        return closed_within(sock, seconds)


def options(addr, sock):
    lhost, lport = sock.getsockname()
    return harness.build_message(f"OPTIONS sip:{addr[0]}:{addr[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/TCP {lhost}:{lport};branch={harness.new_branch()}"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:probe@{lhost}:{lport}>;tag={harness.new_tag()}"),
        ("To", f"<sip:{addr[0]}:{addr[1]}>"),
        ("Call-ID", f"{uuid.uuid4().hex}@probe"),
        ("CSeq", "1 OPTIONS"),
    ])


def answered(addr, sock, timeout=3.0):
    """Sends OPTIONS on `sock`; whether a final response comes back in time."""
    sock.sendall(options(addr, sock))
    deadline = time.time() + timeout
    data = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65535)
        except (socket.timeout, OSError):
            return False
        if not chunk:
            return False
        data += chunk
        if b"SIP/2.0 " in data and b"\r\n\r\n" in data:
            return True
    return False


def gateway(ctx, tcp, workers=2):
    topo = gh.public_topology()
    extra = gh.guard_extra(topo)
    extra["public"]["listen"].append(f"tcp://{topo.host}:{topo.public_side}")
    extra["tcp"] = tcp
    sut = ctx.sut(topo, name=f"gateway-{len(ctx.suts)}", workers=workers, extra=extra).start()
    return sut, (topo.host, topo.public_side)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("connection admission is a trunkguard feature")
        return
    sut, pub = gateway(ctx, {"max_connections": 30, "reserved_for_peers": 0,
                             "max_connections_per_source": 16,
                             "first_message_timeout_ms": FIRST_MESSAGE_MS,
                             "message_timeout_ms": MESSAGE_MS})

    # 1. Eviction order.
    phone = connect(pub, "127.0.0.60")
    check(answered(pub, phone), "the phone's OPTIONS over TCP got no answer")
    flood = []
    reset_at_connect = 0  # refused so fast that connect() saw the reset
    for i in range(40):
        try:
            flood.append(connect(pub, f"127.0.0.{100 + i % 10}"))
        except OSError:
            reset_at_connect += 1
    time.sleep(0.3)
    check(answered(pub, phone), "the phone that spoke lost its connection to the idle flood")
    fresh = connect(pub, "127.0.0.61")
    check(answered(pub, fresh), "a phone from a fresh address got no answer during the flood")
    evicted = reset_at_connect + sum(closed_within(s, 0.05) for s in flood)
    log(f"{evicted} of 40 idle connections evicted or refused")
    check(evicted >= 10, f"only {evicted} idle connections were closed for 40 over a table of 30")

    # 2. The first-message deadline closes the idle ones that are left.
    started = time.time()
    survivors = [s for s in flood if not closed_within(s, 0.01)]
    check(survivors, "no idle connection was left to time out")
    limit = FIRST_MESSAGE_MS / 1000 + 2.0
    still_open = [s for s in survivors if not closed_within(s, max(0.05, limit -
                                                                  (time.time() - started)))]
    check(not still_open, f"{len(still_open)} silent connections outlived the first-message "
          f"deadline ({FIRST_MESSAGE_MS} ms)")
    check(answered(pub, phone), "the phone's connection must outlive the deadline: it spoke")

    # 3. Slowloris: a byte every 0.4 s.
    slow = connect(pub, "127.0.0.70")
    check(answered(pub, slow), "the slow sender's first OPTIONS got no answer")
    request = options(pub, slow)  # the next one comes a byte at a time
    started = time.time()
    closed_at = None
    for i in range(40):
        try:
            slow.sendall(request[i:i + 1])
        except OSError:
            closed_at = time.time()
            break
        if closed_within(slow, 0.4):
            closed_at = time.time()
            break
    check(closed_at is not None, "a slowloris connection was never closed")
    took = closed_at - started
    log(f"slowloris closed after {took:.1f} s")
    check(MESSAGE_MS / 1000 - 0.5 <= took <= MESSAGE_MS / 1000 + 2.0,
          f"slowloris closed after {took:.1f} s, expected about {MESSAGE_MS} ms")
    for s in flood + [phone, fresh, slow]:
        s.close()
    sut.stop()

    # 4. Per-prefix budget.
    _, pub2 = gateway(ctx, {"max_connections_per_prefix": 6, "max_connections_per_source": 16})
    held = [connect(pub2, f"127.0.0.{120 + i}") for i in range(6)]
    time.sleep(0.3)
    check(not any(closed_within(s, 0.05) for s in held), "connections within the budget closed")
    check(refused(pub2, "127.0.0.130", 2.0), "the 7th connection from the /24 was not refused")
    check(refused(pub2, "127.0.0.1", 1.0), "127.0.0.1 is in the same /24: refused as well")
    for s in held:
        s.close()


if __name__ == "__main__":
    harness.run(test)
