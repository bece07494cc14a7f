#!/usr/bin/env python3
"""TLS handshake floods and stream offences on the public zone, with a TLS phone (Python ssl on
loopback) that must keep registering throughout. Two workers, public tls:// and tcp://
listeners, phones authenticated by trunkguard (public.auth.mode gateway), the PBX a raw peer.

1. Handshake flood: four threads handshake from 127.0.0.100 as fast as they can for a few
   seconds. Meanwhile the phone (127.0.0.50) registers over a fresh TLS connection every
   0.3 s: every REGISTER is answered 200, and every reconnect after the first resumes its TLS
   session (a ticket sealed by whichever worker accepted it). The flood completes no more
   handshakes than the per-source handshake rate (20/s) allows; the rest are reset at
   accept.
2. Offences: a source that sends garbage instead of a ClientHello (127.0.0.101), and one that
   sends a request with a broken Content-Length over tcp:// (127.0.0.102), are banned after
   10 such connections, and their next connection is reset. The phone still
   registers.
3. A table of three connections (one worker): the phone registered on one, a peer that only
   sends OPTIONS holds the other two. A newcomer evicts the chatty connection that spoke
   longest ago, never the phone's, which registers again on it.
"""
import hashlib
import re
import socket
import ssl
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import tls_helpers  # noqa: E402
import guard_helpers as gh  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag, SipMessage  # noqa: E402

USER = "301"
PHONE_IP = "127.0.0.50"
FLOOD_IP = "127.0.0.100"
GARBAGE_IP = "127.0.0.101"
FRAMING_IP = "127.0.0.102"
CHATTY_IP = "127.0.0.103"
FRESH_IP = "127.0.0.104"
HANDSHAKES_PER_S = 20  # the per-source TLS handshake rate (docs/security.md)
OFFENCES = 10  # offences before a ban
FLOOD_SECONDS = 4.0
WORKERS = 2


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def read_message(sock, timeout=3.0):
    """One SIP message from a stream socket (header block plus Content-Length body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65535)
        if not chunk:
            raise harness.TestFailure(f"connection closed after {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(body) < need:
        body += sock.recv(65535)
    return SipMessage(head + b"\r\n\r\n" + body)


class TlsPhone:
    """A phone that registers over a new TLS connection each time, resuming its session and
    answering the challenge once (then the same nonce with the next nonce-count)."""

    def __init__(self, pub, ca):
        self.pub = pub
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.check_hostname = False  # the chain is checked; the name is 127.0.0.1's
        self.session = None
        self.call_id = f"{uuid.uuid4().hex}@{PHONE_IP}"
        self.tag = new_tag()
        self.cseq = 0
        self.challenge = None
        self.nc = 0
        self.resumed = []

    def _register(self, sock, authorization):
        self.cseq += 1
        lhost, lport = sock.getsockname()
        uri = f"sip:{self.pub[0]}:{self.pub[1]}"
        headers = [
            ("Via", f"SIP/2.0/TLS {lhost}:{lport};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{USER}@{self.pub[0]}>;tag={self.tag}"),
            ("To", f"<sip:{USER}@{self.pub[0]}>"),
            ("Call-ID", self.call_id),
            ("CSeq", f"{self.cseq} REGISTER"),
            ("Contact", f"<sip:{USER}@{lhost}:{lport};transport=tls>"),
            ("Expires", "600"),
        ]
        if authorization:
            headers.append(("Authorization", authorization))
        sock.sendall(build_message(f"REGISTER {uri} SIP/2.0", headers))
        while True:
            msg = read_message(sock)
            if msg.is_response and msg.cseq[0] == self.cseq and msg.status >= 200:
                return msg

    def _authorization(self):
        if self.challenge is None:
            return None
        self.nc += 1
        ch = self.challenge
        nc = f"{self.nc:08x}"
        uri = f"sip:{self.pub[0]}:{self.pub[1]}"
        ha1 = md5(f"{USER}:{ch['realm']}:{gh.PHONE_PASSWORD}")
        response = md5(f"{ha1}:{ch['nonce']}:{nc}:0a4f113b:auth:{md5(f'REGISTER:{uri}')}")
        return (f'Digest username="{USER}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
                f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, '
                f'cnonce="0a4f113b"')

    def connect(self):
        raw = socket.create_connection(self.pub, timeout=3, source_address=(PHONE_IP, 0))
        s = self.ctx.wrap_socket(raw, server_hostname="localhost", session=self.session)
        self.resumed.append(s.session_reused)
        return s

    def register_on(self, s):
        """One registration on the connection `s`; returns the final status."""
        r = self._register(s, self._authorization())
        if r.status == 401:
            value = r.header("WWW-Authenticate") or ""
            self.challenge = dict(re.findall(r'(\w+)="?([^",]*)"?', value.split(" ", 1)[1]))
            self.nc = 0
            r = self._register(s, self._authorization())
        # The tickets came with the first records after the handshake (TLS 1.3).
        self.session = s.session
        return r.status

    def register(self):
        """One registration on a fresh connection; returns the final status."""
        with self.connect() as s:
            return self.register_on(s)


def flood(addr, ca, stop, counts, lock):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    done = refused = 0
    while not stop.is_set():
        try:
            raw = socket.create_connection(addr, timeout=2, source_address=(FLOOD_IP, 0))
            with ctx.wrap_socket(raw, server_hostname="localhost"):
                done += 1
        except (OSError, ssl.SSLError):
            refused += 1
    with lock:
        counts["done"] += done
        counts["refused"] += refused


def offend_until_banned(ctx, sut, addr, source, payload, workers):
    """Connections from `source` that each send `payload` and are closed for it. Each worker
    counts the offences of the connections it accepted, and the kernel spreads them: with N
    workers a source is banned within N * (OFFENCES - 1) + 1 of them."""
    for _ in range(workers * (OFFENCES - 1) + 1):
        try:
            s = socket.create_connection(addr, timeout=2, source_address=(source, 0))
        except OSError:
            continue  # already banned
        with s:
            try:
                s.sendall(payload)
                s.settimeout(2)
                while s.recv(4096):
                    pass
            except OSError:
                pass
    gh.wait_banned(ctx, sut, source, timeout=10.0)


def reset_at_accept(addr, source):
    try:
        s = socket.create_connection(addr, timeout=2, source_address=(source, 0))
    except OSError:
        return True
    with s:
        s.settimeout(2)
        try:
            return s.recv(1) == b""
        except socket.timeout:
            return False
        except OSError:
            return True


def options_answered(sock, pub):
    lhost, lport = sock.getsockname()
    sock.sendall(build_message(f"OPTIONS sip:{pub[0]}:{pub[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/TCP {lhost}:{lport};branch={new_branch()}"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:probe@{lhost}:{lport}>;tag={new_tag()}"),
        ("To", f"<sip:{pub[0]}:{pub[1]}>"),
        ("Call-ID", f"{uuid.uuid4().hex}@probe"),
        ("CSeq", "1 OPTIONS"),
    ]))
    try:
        return read_message(sock).is_response
    except (OSError, harness.TestFailure):
        return False


def reset_or_closed(sock, seconds=2.0):
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("TLS handshake limits are a trunkguard feature")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    topo = gh.public_topology()
    tls_port = harness.free_port(topo.host)
    tcp_port = harness.free_port(topo.host)
    pub_tls = (topo.host, tls_port)
    pub_tcp = (topo.host, tcp_port)
    ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    extra = gh.phones_extra(topo)
    extra["public"]["listen"] += [f"tls://{topo.host}:{tls_port}", f"tcp://{topo.host}:{tcp_port}"]
    cert, key = pki["server"]
    extra["tls"] = {"certificate": cert, "private_key": key}
    sut = ctx.sut(topo, workers=WORKERS, extra=extra)
    gh.add_account(ctx, sut, USER)
    sut.start()

    phone = TlsPhone(pub_tls, pki["ca"])
    status = phone.register()
    check(status == 200, f"the TLS phone could not register before the flood ({status})")

    # 1. Handshake flood.
    stop = threading.Event()
    counts = {"done": 0, "refused": 0}
    lock = threading.Lock()
    threads = [threading.Thread(target=flood, args=(pub_tls, pki["ca"], stop, counts, lock))
               for _ in range(4)]
    started = time.time()
    for t in threads:
        t.start()
    statuses = []
    try:
        while time.time() - started < FLOOD_SECONDS:
            statuses.append(phone.register())
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    elapsed = time.time() - started
    log(f"flood: {counts['done']} handshakes completed, {counts['refused']} refused in "
        f"{elapsed:.1f} s; phone: {statuses.count(200)}/{len(statuses)} registered, "
        f"resumed {phone.resumed.count(True)}/{len(phone.resumed)}")
    check(statuses and all(s == 200 for s in statuses),
          f"the phone's registrations during the flood: {statuses}")
    check(all(phone.resumed[1:]), f"a reconnect did not resume its session: {phone.resumed}")
    check(counts["refused"] > 0, f"no flood connection was refused: {counts}")
    allowed = HANDSHAKES_PER_S * (elapsed + 2)  # a window on either side of the run
    check(counts["done"] <= allowed,
          f"{counts['done']} flood handshakes in {elapsed:.1f} s, more than {allowed:.0f}")

    # 2. Offences end in a ban.
    offend_until_banned(ctx, sut, pub_tls, GARBAGE_IP, b"GET / HTTP/1.0\r\n\r\n" * 4, WORKERS)
    check(reset_at_accept(pub_tls, GARBAGE_IP), "a banned source still got a TLS connection")
    bad = (b"OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.102:5060\r\n"
           b"Content-Length: lots\r\n\r\n")
    offend_until_banned(ctx, sut, pub_tcp, FRAMING_IP, bad, WORKERS)
    check(reset_at_accept(pub_tcp, FRAMING_IP), "a banned source still got a TCP connection")
    check(phone.register() == 200, "the phone could not register after the bans")
    check(FLOOD_IP + "/32" not in gh.banned_networks(ctx, sut),
          "completed handshakes are no offence")
    sut.stop()

    # 3. A full table evicts a peer that only chattered, never the registered phone.
    extra["tcp"] = {"max_connections": 3, "reserved_for_peers": 0}
    sut2 = ctx.sut(topo, name="gateway-table", workers=1, extra=extra)
    sut2.start()  # the same database: the account is there
    phone2 = TlsPhone(pub_tls, pki["ca"])
    held = phone2.connect()
    check(phone2.register_on(held) == 200, "the phone could not register on a small table")
    chatty = []
    for _ in range(2):
        c = socket.create_connection(pub_tcp, timeout=2, source_address=(CHATTY_IP, 0))
        check(options_answered(c, pub_tcp), "a chatty connection's OPTIONS got no answer")
        chatty.append(c)
    fresh = socket.create_connection(pub_tcp, timeout=2, source_address=(FRESH_IP, 0))
    check(options_answered(fresh, pub_tcp), "a newcomer got no answer on a full table")
    check(reset_or_closed(chatty[0]), "the chatty connection that spoke first was not evicted")
    check(phone2.register_on(held) == 200,
          "the registered phone lost its connection when the table filled")
    for c in chatty + [fresh, held]:
        c.close()


if __name__ == "__main__":
    harness.run(test)
