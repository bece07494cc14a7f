#!/usr/bin/env python3
"""Digest authentication of remote phones against replays and tampering, with hand-made
REGISTERs over UDP (public.auth.mode gateway, SHA-256 and MD5 offered).

A right answer registers (the PBX, a raw peer, sees the REGISTER); then each of these gets a
challenge from trunkguard and never reaches the PBX:
  - the same credentials again (a replayed nonce-count): stale=true;
  - an answer for another realm, and one with an algorithm that was not offered: a fresh
    challenge without stale;
  - the right answer on a nonce past accounts.nonce.lifetime_s: stale=true (and the phone's
    answer to that new challenge registers again).
The next nonce-count on the same nonce is accepted, which shows the replay check is what
refused the first.
Finally a right answer sent on another Request-URI than the one it was computed for (RFC 7616
§3.4.6) gets 400 and never reaches the PBX; the same answer on its own Request-URI registers.
"""
import hashlib
import re
import select
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag, SipMessage  # noqa: E402
import guard_helpers as gh  # noqa: E402

USER = "201"
PHONE_IP = "127.0.0.40"
NONCE_LIFETIME_S = 10


def hash_hex(alg, text):
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(text.encode()).hexdigest()


def params(challenge):
    return dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))


class Phone:
    def __init__(self, pub):
        self.pub = pub
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PHONE_IP, 0))
        self.port = self.sock.getsockname()[1]
        self.call_id = f"{uuid.uuid4().hex}@{PHONE_IP}"
        self.tag = new_tag()
        self.cseq = 0

    def register(self, authorization=None, uri=None):
        self.cseq += 1
        uri = uri or f"sip:{self.pub[0]}:{self.pub[1]}"
        headers = [
            ("Via", f"SIP/2.0/UDP {PHONE_IP}:{self.port};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{USER}@{self.pub[0]}>;tag={self.tag}"),
            ("To", f"<sip:{USER}@{self.pub[0]}>"),
            ("Call-ID", self.call_id),
            ("CSeq", f"{self.cseq} REGISTER"),
            ("Contact", f"<sip:{USER}@{PHONE_IP}:{self.port}>"),
            ("Expires", "600"),
        ]
        if authorization:
            headers.append(("Authorization", authorization))
        self.sock.sendto(build_message(f"REGISTER {uri} SIP/2.0", headers), self.pub)
        deadline = time.time() + 5
        while time.time() < deadline:
            ready, _, _ = select.select([self.sock], [], [], 0.2)
            if not ready:
                continue
            msg = SipMessage(self.sock.recv(65535))
            if msg.is_response and msg.cseq[0] == self.cseq and msg.status >= 200:
                return msg
        raise harness.TestFailure(f"no final answer to REGISTER CSeq {self.cseq}")

    def challenge(self, msg, alg="SHA-256"):
        for value in msg.header_all("WWW-Authenticate"):
            p = params(value)
            if p.get("algorithm", "MD5") == alg:
                return p
        raise harness.TestFailure(f"no {alg} challenge in {msg.header_all('WWW-Authenticate')}")

    def answer(self, ch, nc="00000001", realm=None, alg=None, password=gh.PHONE_PASSWORD,
               cnonce="0a4f113b"):
        realm = realm or ch["realm"]
        alg_name = alg or ch.get("algorithm", "MD5")
        hash_alg = alg_name if alg_name in ("SHA-256", "MD5") else "MD5"
        uri = f"sip:{self.pub[0]}:{self.pub[1]}"
        ha1 = hash_hex(hash_alg, f"{USER}:{realm}:{password}")
        ha2 = hash_hex(hash_alg, f"REGISTER:{uri}")
        response = hash_hex(hash_alg, f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{USER}", realm="{realm}", nonce="{ch["nonce"]}", '
                f'uri="{uri}", response="{response}", algorithm={alg_name}, qop=auth, '
                f'nc={nc}, cnonce="{cnonce}"')


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    sut = ctx.sut(topo, extra=gh.phones_extra(topo, accounts={
        "algorithms": ["SHA-256", "MD5"], "nonce": {"lifetime_s": NONCE_LIFETIME_S}}))
    gh.add_account(ctx, sut, USER)
    sut.start()

    def pbx_registers():
        return len([m for m in pbx.messages() if m.method == "REGISTER"])

    phone = Phone(pub)
    first = phone.register()
    check(first.status == 401, f"expected a challenge, got {first.summary()}")
    ch = phone.challenge(first)
    good = phone.answer(ch)
    r = phone.register(good)
    check(r.status == 200, f"the right answer must register, got {r.summary()}")
    time.sleep(0.2)
    check(pbx_registers() == 1, f"the PBX saw {pbx_registers()} REGISTERs, expected 1")

    # A replayed nonce-count.
    r = phone.register(good)
    check(r.status == 401 and "stale=true" in (r.header("WWW-Authenticate") or "").lower(),
          f"a replayed nonce-count must get a stale challenge, got {r.summary()} "
          f"{r.header_all('WWW-Authenticate')}")
    # The next nonce-count on that nonce is fine.
    r = phone.register(phone.answer(ch, nc="00000002"))
    check(r.status == 200, f"nc=00000002 on a live nonce must register, got {r.summary()}")
    time.sleep(0.2)
    check(pbx_registers() == 2, f"the PBX saw {pbx_registers()} REGISTERs, expected 2")

    # Another realm, an algorithm not offered.
    for what, auth in (("a wrong realm", phone.answer(ch, nc="00000003", realm="evil.example")),
                       ("an unknown algorithm", phone.answer(ch, nc="00000004",
                                                             alg="AKAv1-MD5"))):
        r = phone.register(auth)
        check(r.status == 401, f"{what} must be challenged, got {r.summary()}")
        check(all("stale=true" not in v.lower() for v in r.header_all("WWW-Authenticate")),
              f"{what} must get a fresh challenge, not a stale one")
        check(r.header("WWW-Authenticate") and 'realm="tg.test"' in r.header("WWW-Authenticate"),
              f"{what}: the challenge must name our realm")
    time.sleep(0.2)
    check(pbx_registers() == 2, "a wrong realm or algorithm reached the PBX")

    # An expired nonce.
    fresh = phone.challenge(phone.register())
    log(f"waiting {NONCE_LIFETIME_S + 1}s for the nonce to expire")
    time.sleep(NONCE_LIFETIME_S + 1.2)
    r = phone.register(phone.answer(fresh))
    check(r.status == 401 and "stale=true" in (r.header("WWW-Authenticate") or "").lower(),
          f"an expired nonce must get stale=true, got {r.summary()} "
          f"{r.header_all('WWW-Authenticate')}")
    time.sleep(0.2)
    check(pbx_registers() == 2, "an expired nonce reached the PBX")
    r = phone.register(phone.answer(phone.challenge(r)))
    check(r.status == 200, f"the answer to the stale challenge must register: {r.summary()}")

    # A captured answer replayed on another Request-URI.
    before = pbx_registers()
    captured = phone.answer(phone.challenge(phone.register()))
    r = phone.register(captured, uri=f"sip:{USER}@{pub[0]}:{pub[1]}")
    check(r.status == 400 and r.reason == "Digest URI Does Not Match Request-URI",
          f"an answer for another Request-URI must get 400, got {r.summary()}")
    time.sleep(0.2)
    check(pbx_registers() == before, "an answer for another Request-URI reached the PBX")
    r = phone.register(captured)
    check(r.status == 200, f"the answer on its own Request-URI must register: {r.summary()}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
