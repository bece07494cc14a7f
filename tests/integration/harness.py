"""Shared helpers for trunkguard's integration tests (Python 3 standard library only).

Every test script is self-contained and run by ctest as

    python3 tests/integration/test_X.py --binary build/trunkguard --source-dir .

It starts what it needs on loopback (127.0.0.0/8) ports it picked itself, stops everything it
started (finally/atexit, and a parent-death signal so nothing outlives a killed test), exits 0
on success and non-zero with a clear message on failure, printing the tail of the gateway's log
and of the peers' error logs.

Pieces:
  free_port / free_ports        a port free for both UDP and TCP on a loopback address
  Topology                      the ports of one test: gateway sides, PBX, two providers
  Gateway                       trunkguard: config YAML from a template, start (waits for an
                                OPTIONS 200), SIGTERM stop, `cdr list --json`
  KamailioSut                   the same interface over Kamailio 5.6 (bench/load/kamailio.cfg):
                                `--sut kamailio` runs a test's call flows against a real proxy,
                                which validates the scenarios and this harness; B2BUA-only
                                assertions (CDRs, topology hiding) are reported as skipped
  Sipp / SippResult             a sipp UAC or UAS with a scenario from scenarios/, its result
                                from the exit code and the -trace_stat CSV, its message trace
  RawPeer / SipMessage          a UDP peer that sends hand-made messages and records (and can
                                answer) whatever it receives
  run(test_fn)                  argument parsing, working directory, cleanup, PASS/FAIL output
"""

import argparse
import atexit
import csv
import random
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")

SIPP = "sipp"
KAMAILIO = "kamailio"


class TestFailure(AssertionError):
    """A check of the test failed: the message says what was expected and what was seen."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Processes: every process a test starts is registered here and killed at exit.

_processes = []
_processes_lock = threading.Lock()


def _pdeath_prefix():
    # setpriv (util-linux) makes the kernel kill the child if this test process dies (e.g. a
    # ctest timeout sends SIGKILL), without a preexec_fn (unsafe once threads run).
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL"] if setpriv else []


def spawn(cmd, name, stdout_path, stderr_path, cwd=None, env=None):
    """Starts cmd in its own process group with output to files; registered for cleanup."""
    out = open(stdout_path, "ab")
    err = open(stderr_path, "ab") if stderr_path != stdout_path else subprocess.STDOUT
    proc = subprocess.Popen(_pdeath_prefix() + list(cmd), stdin=subprocess.DEVNULL, stdout=out,
                            stderr=err, cwd=cwd, env=env, start_new_session=True)
    out.close()
    if err is not subprocess.STDOUT:
        err.close()
    proc.tg_name = name
    with _processes_lock:
        _processes.append(proc)
    return proc


def kill_process(proc, sig=signal.SIGKILL):
    """Kills the process group of one process started by spawn() (only ours, by its id)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


def stop_process(proc, timeout=10.0, sig=signal.SIGTERM):
    """Sends sig to the process, waits up to timeout, then SIGKILLs the group. Returns
    (returncode, stopped_cleanly)."""
    if proc.poll() is not None:
        return proc.returncode, True
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout)
        # Anything the process left in its group (it should leave nothing) goes too.
        kill_process_group_leftovers(proc)
        return proc.returncode, True
    except subprocess.TimeoutExpired:
        kill_process(proc)
        proc.wait(5)
        return proc.returncode, False


def kill_process_group_leftovers(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup_processes():
    with _processes_lock:
        procs = list(_processes)
        _processes.clear()
    for p in procs:
        kill_process(p)
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass


atexit.register(cleanup_processes)


def _on_signal(signum, _frame):
    cleanup_processes()
    sys.exit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except (ValueError, OSError):
        pass


# ---------------------------------------------------------------------------------------------
# Ports

_handed_out = set()


def free_port(host="127.0.0.1"):
    """A port that is free for both UDP and TCP on host (bound with port 0, then released).
    Never hands out the same port twice in one test process."""
    for _ in range(200):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            if (host, port) in _handed_out or port in _handed_out:
                continue
            try:
                tcp.bind((host, port))
            except OSError:
                continue
            _handed_out.add(port)
            _handed_out.add((host, port))
            return port
        finally:
            udp.close()
            tcp.close()
    raise RuntimeError(f"no free UDP+TCP port on {host}")


def free_ports(n, host="127.0.0.1"):
    return [free_port(host) for _ in range(n)]


class Topology:
    """Where everything listens in one test. Hosts are loopback only: the PBX and carrier-a
    on 127.0.0.1, carrier-b on 127.0.0.2 (so provider sources differ by address, as in life)."""

    def __init__(self, pbx_transport="udp", trunk_transport="udp"):
        self.host = "127.0.0.1"
        self.pbx_transport = pbx_transport      # PBX <-> gateway
        self.trunk_transport = trunk_transport  # gateway <-> providers
        self.pbx_side = free_port()             # gateway's PBX-facing listener
        self.trunk_side = free_port()           # gateway's trunk-facing listener
        self.pbx_host = "127.0.0.1"
        self.pbx_port = free_port()             # the PBX (sipp or raw peer)
        self.prov1_host = "127.0.0.1"
        self.prov1_port = free_port(self.prov1_host)
        self.prov2_host = "127.0.0.2"
        self.prov2_port = free_port(self.prov2_host)
        self.dialled = "15551234567"

    def pbx_side_addr(self):
        return (self.host, self.pbx_side)

    def trunk_side_addr(self):
        return (self.host, self.trunk_side)

    def __repr__(self):
        return (f"Topology(gateway pbx-side {self.pbx_transport}:{self.pbx_side}, trunk-side "
                f"{self.trunk_transport}:{self.trunk_side}, PBX {self.pbx_host}:{self.pbx_port}, "
                f"carrier-a {self.prov1_host}:{self.prov1_port}, carrier-b "
                f"{self.prov2_host}:{self.prov2_port})")


# ---------------------------------------------------------------------------------------------
# SIP messages (just enough to build, parse and assert on them)

COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact", "l":
           "content-length", "c": "content-type", "k": "supported", "s": "subject", "e":
           "content-encoding", "o": "event", "r": "refer-to", "b": "referred-by", "x":
           "session-expires", "u": "allow-events", "y": "identity"}


class SipMessage:
    """A parsed SIP message: start line, headers in wire order, body. Lenient on purpose:
    it records what arrived, it does not validate."""

    def __init__(self, raw):
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        self.raw = raw
        head, sep, body = raw.partition("\r\n\r\n")
        if not sep:
            head, _, body = raw.partition("\n\n")
        lines = re.split(r"\r?\n", head)
        self.start_line = lines[0] if lines else ""
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded continuation
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
                continue
            name, colon, value = line.partition(":")
            if colon:
                self.headers.append((name.strip(), value.strip()))
        self.body = body
        parts = self.start_line.split(" ", 2)
        self.is_response = self.start_line.startswith("SIP/")
        self.method = None if self.is_response else (parts[0] if parts else "")
        self.uri = parts[1] if not self.is_response and len(parts) > 1 else None
        self.status = None
        self.reason = None
        if self.is_response and len(parts) >= 2:
            try:
                self.status = int(parts[1])
            except ValueError:
                self.status = None
            self.reason = parts[2] if len(parts) > 2 else ""

    @staticmethod
    def _norm(name):
        n = name.strip().lower()
        return COMPACT.get(n, n)

    def header(self, name, default=None):
        want = self._norm(name)
        for n, v in self.headers:
            if self._norm(n) == want:
                return v
        return default

    def header_all(self, name):
        want = self._norm(name)
        return [v for n, v in self.headers if self._norm(n) == want]

    def header_names(self):
        return [n for n, _ in self.headers]

    @property
    def call_id(self):
        return self.header("Call-ID")

    @property
    def cseq(self):
        v = self.header("CSeq") or ""
        parts = v.split()
        try:
            return int(parts[0]), parts[1] if len(parts) > 1 else ""
        except (ValueError, IndexError):
            return None, v

    def tag(self, header):
        m = re.search(r";\s*tag=([^;>\s]+)", self.header(header) or "")
        return m.group(1) if m else None

    @property
    def top_via_branch(self):
        vias = self.header_all("Via")
        if not vias:
            return None
        m = re.search(r"branch=([^;,\s]+)", vias[0])
        return m.group(1) if m else None

    def contact_uri(self):
        v = self.header("Contact") or ""
        m = re.search(r"<([^>]+)>", v)
        return m.group(1) if m else v.split(";")[0].strip()

    def summary(self):
        return self.start_line

    def __repr__(self):
        return f"SipMessage({self.start_line!r})"


def distinct_requests(messages):
    """Each request once, in order: retransmissions (same top Via branch and CSeq) dropped, so
    that counts do not depend on how slow a loaded machine made a peer."""
    seen = set()
    out = []
    for m in messages:
        key = (m.call_id, m.cseq, m.top_via_branch)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def new_branch():
    return "z9hG4bK" + uuid.uuid4().hex[:16]


def new_tag():
    return uuid.uuid4().hex[:10]


def build_message(start_line, headers, body=""):
    """headers: list of (name, value); Content-Length is added."""
    if isinstance(body, bytes):
        body = body.decode()
    lines = [start_line] + [f"{n}: {v}" for n, v in headers]
    if not any(n.lower() in ("content-length", "l") for n, _ in headers):
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def build_response(request, code, reason, to_tag=None, headers=(), body="", copy_rr=True):
    """A response to request: Via, From, To (plus to_tag if it has none), Call-ID, CSeq and
    Record-Route copied as RFC 3261 §8.2.6 says."""
    hs = [("Via", v) for v in request.header_all("Via")]
    hs.append(("From", request.header("From")))
    to = request.header("To") or ""
    if to_tag and ";tag=" not in to:
        to += f";tag={to_tag}"
    hs.append(("To", to))
    hs.append(("Call-ID", request.call_id))
    hs.append(("CSeq", request.header("CSeq")))
    if copy_rr:
        hs += [("Record-Route", v) for v in request.header_all("Record-Route")]
    hs += list(headers)
    return build_message(f"SIP/2.0 {code} {reason}", hs, body)


def sdp(ip="127.0.0.1", port=40000, version=1, user="tg"):
    return (f"v=0\r\no={user} 1 {version} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


# ---------------------------------------------------------------------------------------------
# Raw UDP peer

class RawPeer:
    """A UDP socket on a loopback address that records every datagram it receives (parsed as a
    SipMessage) and can answer through a handler(peer, msg, addr) called on its thread."""

    def __init__(self, name, host="127.0.0.1", port=0, handler=None):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.addr = self.sock.getsockname()
        self.handler = handler
        self.received = []  # (time, addr, SipMessage)
        self.sent = []      # (time, addr, SipMessage)
        self.errors = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"rawpeer-{name}", daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            msg = SipMessage(data)
            with self._cond:
                self.received.append((time.time(), addr, msg))
                self._cond.notify_all()
            if self.handler:
                try:
                    self.handler(self, msg, addr)
                except Exception:  # recorded and reported by the test, never swallowed
                    self.errors.append(traceback.format_exc())

    def send(self, data, addr):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendto(data, addr)
        with self._cond:
            self.sent.append((time.time(), addr, SipMessage(data)))

    def wait_for(self, predicate, timeout=5.0, start=0, what="a matching message"):
        """Returns the first received message (index >= start) for which predicate(msg) holds;
        raises TestFailure after timeout seconds."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                for _, _, msg in self.received[start:]:
                    if predicate(msg):
                        return msg
                left = deadline - time.time()
                if left <= 0:
                    seen = [m.summary() for _, _, m in self.received[start:]]
                    raise TestFailure(f"{self.name}: no {what} within {timeout:.1f}s; "
                                      f"received {seen}")
                self._cond.wait(left)

    def wait_quiet(self, seconds, start=0):
        """Waits seconds and returns what arrived since index start."""
        time.sleep(seconds)
        with self._cond:
            return [m for _, _, m in self.received[start:]]

    def messages(self):
        with self._cond:
            return [m for _, _, m in self.received]

    def count(self):
        with self._cond:
            return len(self.received)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class LossyRelay:
    """A UDP relay that drops a seeded fraction of datagrams in each direction, to put packet
    loss on one hop. `front` is the address the SUT talks to (configured as the peer's address);
    every datagram arriving there goes to `upstream` from the `back` socket, and every datagram
    the upstream sends to `back` goes to the last sender seen on `front`. At most
    `max_consecutive` datagrams in a row are dropped per direction, so retransmission (at least
    4 attempts everywhere) always gets through: the test measures recovery, not bad luck."""

    def __init__(self, name, front, upstream, loss=0.10, seed=1, max_consecutive=2,
                 back_host=None):
        self.name = name
        self.upstream = upstream
        self.loss = loss
        self.max_consecutive = max_consecutive
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(front)
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind((back_host or front[0], 0))
        self.front_addr = self.front.getsockname()
        self.client = None
        self.rng = {"up": random.Random(seed),
                    "down": random.Random(seed + 1)}
        self.run_of_drops = {"up": 0, "down": 0}
        self.forwarded = {"up": 0, "down": 0}
        self.dropped = {"up": 0, "down": 0}
        self.dropped_kinds = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"relay-{name}", daemon=True)
        self._thread.start()

    def _drop(self, direction, data):
        if self.loss <= 0:
            return False
        roll = self.rng[direction].random()
        if roll < self.loss and self.run_of_drops[direction] < self.max_consecutive:
            self.run_of_drops[direction] += 1
            self.dropped[direction] += 1
            self.dropped_kinds.append((direction, SipMessage(data).summary()))
            return True
        self.run_of_drops[direction] = 0
        return False

    def _loop(self):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.front, self.back], [], [], 0.05)
            except (OSError, ValueError):
                return
            for sock in ready:
                try:
                    data, addr = sock.recvfrom(65535)
                except OSError:
                    continue
                if sock is self.front:
                    self.client = addr
                    direction, out, dest = "up", self.back, self.upstream
                else:
                    if addr != tuple(self.upstream) or self.client is None:
                        continue
                    direction, out, dest = "down", self.front, self.client
                if self._drop(direction, data):
                    continue
                try:
                    out.sendto(data, dest)
                    self.forwarded[direction] += 1
                except OSError:
                    pass

    def describe(self):
        return (f"relay {self.name}: forwarded {self.forwarded}, dropped {self.dropped}")

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.front.close()
        self.back.close()


def send_options(addr, timeout=0.5, source=("127.0.0.1", 0), transport="udp"):
    """Sends one OPTIONS to addr over UDP and returns the response's SipMessage or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(source)
        lhost, lport = s.getsockname()
        req = build_message(f"OPTIONS sip:{addr[0]}:{addr[1]} SIP/2.0", [
            ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:probe@{lhost}:{lport}>;tag={new_tag()}"),
            ("To", f"<sip:{addr[0]}:{addr[1]}>"),
            ("Call-ID", f"{uuid.uuid4().hex}@probe"),
            ("CSeq", "1 OPTIONS"),
            ("Accept", "application/sdp"),
        ])
        s.sendto(req, addr)
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            try:
                data, _ = s.recvfrom(65535)
            except OSError:  # ICMP port unreachable: nothing listens yet
                time.sleep(0.05)
                return None
            msg = SipMessage(data)
            if msg.is_response and msg.cseq[1] == "OPTIONS" and msg.status and msg.status >= 200:
                return msg
        return None
    finally:
        s.close()


def wait_for_options_200(addr, timeout=10.0, proc=None, what="SUT"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise TestFailure(f"{what} exited with code {proc.returncode} while starting")
        last = send_options(addr, timeout=0.3)
        if last is not None and last.status == 200:
            return last
        time.sleep(0.1)
    raise TestFailure(f"{what} did not answer OPTIONS with 200 on udp {addr[0]}:{addr[1]} within "
                      f"{timeout:.0f}s (last answer: {last.summary() if last else 'none'})")


# ---------------------------------------------------------------------------------------------
# Systems under test

def tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(data[-lines:])
    except OSError:
        return f"(no {path})"


def yaml_scalar(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v)  # nested in a flow item (e.g. a policy rule's prefixes): JSON is YAML
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    """A small YAML emitter: mappings in block style, sequences of scalars or mappings in flow
    style ({k: v} items), enough for trunkguard's config."""
    pad = "  " * indent
    out = []
    for key, value in obj.items():
        if isinstance(value, dict):
            if not value:
                out.append(f"{pad}{key}: {{}}")
            elif all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 4:
                inner = ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in value.items())
                out.append(f"{pad}{key}: {{ {inner} }}")
            else:
                out.append(f"{pad}{key}:")
                out.append(to_yaml(value, indent + 1))
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                out.append(f"{pad}{key}: [ " + ", ".join(yaml_scalar(v) for v in value) + " ]")
            else:
                out.append(f"{pad}{key}:")
                for item in value:
                    inner = ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in item.items())
                    out.append(f"{pad}  - {{ {inner} }}")
        else:
            out.append(f"{pad}{key}: {yaml_scalar(value)}")
    return "\n".join(out)


def gateway_config(topo, db_path, t1_ms=500, t2_ms=4000, t4_ms=5000, workers=1,
                   log_level="info", providers=None, extra=None):
    """The gateway's config as a dict, from the brief's schema; `extra` is merged on top
    (nested dicts merged key by key; a value None removes the key)."""
    if providers is None:
        providers = [
            {"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
             "transport": topo.trunk_transport, "priority": 10, "allow_plaintext": True},
            {"name": "carrier-b", "host": topo.prov2_host, "port": topo.prov2_port,
             "transport": topo.trunk_transport, "priority": 20, "allow_plaintext": True},
        ]
    cfg = {
        "workers": workers,
        "pbx": {
            "listen": [f"{topo.pbx_transport}://{topo.host}:{topo.pbx_side}"],
            "targets": [{"host": topo.pbx_host, "port": topo.pbx_port,
                         "transport": topo.pbx_transport}],
        },
        "trunk": {
            "listen": [f"{topo.trunk_transport}://{topo.host}:{topo.trunk_side}"],
            "providers": providers,
        },
        "timers": {"t1_ms": t1_ms, "t2_ms": t2_ms, "t4_ms": t4_ms},
        "health": {"interval_ms": 0},
        "log": {"level": log_level, "format": "json"},
        "database": {"path": db_path},
        # The policy is on by default (docs/policy.md, "Safe defaults"). The suite's calls go
        # from one sipp account on the PBX side to fictional +1 555 numbers, many at once and
        # many per minute: this rule says so, and its own limit keeps the default per-account
        # caps off. Tests about the policy replace `rules` with their own.
        "policy": {
            "rules": [{"name": "suite-numbers", "zones": ["pbx"], "prefixes": ["+1555"],
                       "action": "allow", "max_concurrent": 10000}],
        },
    }
    # The readiness probe (OPTIONS over UDP) needs a UDP listener on the PBX side as well.
    if topo.pbx_transport != "udp":
        cfg["pbx"]["listen"].append(f"udp://{topo.host}:{topo.pbx_side}")
    if topo.trunk_transport != "udp":
        cfg["trunk"]["listen"].append(f"udp://{topo.host}:{topo.trunk_side}")
    for key, value in (extra or {}).items():
        if value is None:
            cfg.pop(key, None)
        elif isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


class Gateway:
    """trunkguard as the system under test."""

    kind = "trunkguard"
    is_b2bua = True

    def __init__(self, binary, workdir, topo, name="gateway", db_path=None, **config_args):
        self.binary = os.path.abspath(binary)
        self.workdir = workdir
        self.topo = topo
        self.name = name
        self.db_path = db_path or os.path.join(workdir, "cdr.db")
        self.config_args = config_args
        self.config_path = os.path.join(workdir, f"{name}.yaml")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout.log")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr.log")
        self.proc = None
        self.starts = 0

    def write_config(self):
        cfg = gateway_config(self.topo, self.db_path, **self.config_args)
        with open(self.config_path, "w") as f:
            f.write(f"# written by tests/integration/harness.py for {self.topo!r}\n")
            f.write(to_yaml(cfg) + "\n")
        return self.config_path

    def start(self, ready_timeout=10.0):
        check(os.access(self.binary, os.X_OK), f"gateway binary {self.binary} is not executable")
        self.write_config()
        self.starts += 1
        for path in (self.stdout_path, self.stderr_path):
            with open(path, "a") as f:
                f.write(f"==== start #{self.starts} {time.strftime('%H:%M:%S')} ====\n")
        self.proc = spawn([self.binary, "run", "--config", self.config_path], self.name,
                          self.stdout_path, self.stderr_path, cwd=self.workdir)
        wait_for_options_200(self.topo.pbx_side_addr(), ready_timeout, self.proc, "trunkguard")
        log(f"{self.name} ready (pid {self.proc.pid}); stdout: "
            f"{tail(self.stdout_path, 8).strip()!r}")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0, require_clean=True):
        """SIGTERM; the gateway must exit 0 within timeout (else TestFailure if require_clean)."""
        if self.proc is None:
            return None
        rc, clean = stop_process(self.proc, timeout)
        self.proc = None
        if require_clean:
            check(clean, f"trunkguard did not stop within {timeout:.0f}s of SIGTERM")
            check(rc == 0, f"trunkguard exited with code {rc} after SIGTERM (expected 0)")
        return rc

    def cdr_list(self):
        r = subprocess.run([self.binary, "cdr", "list", "--db", self.db_path, "--json"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"`trunkguard cdr list` failed ({r.returncode}): "
              f"{r.stderr.strip()[-500:]}")
        try:
            rows = json.loads(r.stdout)
        except json.JSONDecodeError as e:
            raise TestFailure(f"`trunkguard cdr list --json` printed invalid JSON ({e}): "
                              f"{r.stdout[:300]!r}")
        check(isinstance(rows, list), f"`cdr list --json` printed {type(rows).__name__}, "
              "expected a JSON array")
        return rows

    def wait_for_cdrs(self, predicate, timeout=10.0, what="CDRs"):
        """Polls `cdr list` until predicate(rows) is true (writes are committed in batches)."""
        deadline = time.time() + timeout
        rows = []
        while True:
            rows = self.cdr_list()
            if predicate(rows):
                return rows
            if time.time() > deadline:
                summary = [(r.get("direction"), r.get("disposition"), r.get("sip_code"))
                           for r in rows[:20]]
                raise TestFailure(f"{what} not there after {timeout:.0f}s; {len(rows)} rows, "
                                  f"first: {summary}")
            time.sleep(0.25)

    def diagnostics(self):
        return (f"--- {self.name} stdout (tail) {self.stdout_path}\n{tail(self.stdout_path)}\n"
                f"--- {self.name} stderr (tail) {self.stderr_path}\n{tail(self.stderr_path)}\n"
                f"--- {self.name} config {self.config_path}\n{tail(self.config_path, 40)}")


class KamailioSut:
    """Kamailio 5.6 with bench/load/kamailio.cfg as the system under test: a stateful proxy,
    not a B2BUA. Same interface as Gateway; CDRs are not available."""

    kind = "kamailio"
    is_b2bua = False

    def __init__(self, source_dir, workdir, topo, name="kamailio", t1_ms=500, children=1,
                 shm_mb=256, pkg_mb=32, debug=False, defines=(), **_ignored):
        self.cfg = os.path.join(source_dir, "bench", "load", "kamailio.cfg")
        self.workdir = workdir
        self.topo = topo
        self.name = name
        self.t1_ms = t1_ms
        self.children = children
        self.shm_mb = shm_mb
        self.pkg_mb = pkg_mb
        self.debug = debug
        self.defines = list(defines)  # extra -A NAME[=VALUE] for kamailio.cfg
        self.stdout_path = os.path.join(workdir, f"{name}.log")
        self.stderr_path = self.stdout_path
        self.proc = None

    def command(self):
        t = self.topo
        tcp = "tcp" in (t.pbx_transport, t.trunk_transport)
        listen = []
        for proto in sorted({"udp", t.pbx_transport}):
            listen += ["-l", f"{proto}:{t.host}:{t.pbx_side}"]
        for proto in sorted({"udp", t.trunk_transport}):
            listen += ["-l", f"{proto}:{t.host}:{t.trunk_side}"]
        pbx_uri = f"sip:{t.pbx_host}:{t.pbx_port}" + (
            f";transport={t.pbx_transport}" if t.pbx_transport != "udp" else "")
        prov_suffix = (f";transport={t.trunk_transport}" if t.trunk_transport != "udp" else "")
        fr_timer = 64 * self.t1_ms
        defines = [
            f"PBX_SIDE_PORT={t.pbx_side}",
            f'PBX_SOCKET="{t.pbx_transport}:{t.host}:{t.pbx_side}"',
            f'TRUNK_SOCKET="{t.trunk_transport}:{t.host}:{t.trunk_side}"',
            f'PBX_URI="{pbx_uri}"',
            f'PROV1_URI="sip:{t.prov1_host}:{t.prov1_port}{prov_suffix}"',
            f'PROV2_URI="sip:{t.prov2_host}:{t.prov2_port}{prov_suffix}"',
            f"FR_TIMER_MS={fr_timer}",
        ]
        if tcp:
            defines.append("WITH_TCP")
        if self.debug:
            defines.append("WITH_DEBUG")
        defines += self.defines
        cmd = [KAMAILIO, "-f", self.cfg] + listen
        for d in defines:
            cmd += ["-A", d]
        rundir = os.path.join(self.workdir, f"{self.name}-run")
        os.makedirs(rundir, exist_ok=True)
        cmd += ["-m", str(self.shm_mb), "-M", str(self.pkg_mb), "-n", str(self.children),
                "-DD", "-E", "-Y", rundir, "-w", self.workdir]
        return cmd

    def start(self, ready_timeout=10.0):
        check(shutil.which(KAMAILIO) is not None,
              "kamailio is not installed (Debian package `kamailio`)")
        cmd = self.command()
        with open(self.stdout_path, "a") as f:
            f.write("==== " + " ".join(cmd) + "\n")
        self.proc = spawn(cmd, self.name, self.stdout_path, self.stdout_path, cwd=self.workdir)
        wait_for_options_200(self.topo.pbx_side_addr(), ready_timeout, self.proc, "kamailio")
        log(f"{self.name} ready (pid {self.proc.pid})")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0, require_clean=True):
        if self.proc is None:
            return None
        rc, clean = stop_process(self.proc, timeout)
        self.proc = None
        if require_clean:
            check(clean, f"kamailio did not stop within {timeout:.0f}s of SIGTERM")
        return rc

    def cdr_list(self):
        raise NotImplementedError("Kamailio keeps no CDRs here")

    def diagnostics(self):
        return f"--- {self.name} log (tail) {self.stdout_path}\n{tail(self.stdout_path)}"


# ---------------------------------------------------------------------------------------------
# sipp

class SippResult:
    def __init__(self, name, returncode, stats, screen, errors, timed_out, elapsed=None):
        self.name = name
        self.elapsed = elapsed      # seconds from start to exit (None if unknown)
        self.returncode = returncode
        self.stats = stats          # last row of the -trace_stat CSV as a dict ({} if none)
        self.screen = screen
        self.errors = errors
        self.timed_out = timed_out

    def _int(self, key):
        try:
            return int(float(self.stats.get(key, "0") or 0))
        except ValueError:
            return 0

    @property
    def successful(self):
        return self._int("SuccessfulCall(C)")

    @property
    def failed(self):
        return self._int("FailedCall(C)")

    @property
    def created(self):
        return self._int("TotalCallCreated")

    def failure_reasons(self):
        return {k[:-3]: v for k, v in self.stats.items()
                if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)"
                and v not in ("0", "")}

    def rtd_ms(self, n=1):
        """Average of response-time n ('ResponseTime{n}(C)', hh:mm:ss:usec) in ms."""
        return parse_sipp_duration_ms(self.stats.get(f"ResponseTime{n}(C)", ""))

    def describe(self):
        took = f" in {self.elapsed:.1f}s" if self.elapsed is not None else ""
        return (f"{self.name}: exit {self.returncode}{' (timed out)' if self.timed_out else ''}"
                f"{took}, successful {self.successful}, failed {self.failed}, "
                f"created {self.created}"
                + (f", reasons {self.failure_reasons()}" if self.failure_reasons() else ""))


def parse_sipp_duration_ms(text):
    m = re.match(r"(\d+):(\d+):(\d+):(\d+)", text or "")
    if not m:
        return None
    h, mi, s, us = (int(x) for x in m.groups())
    return ((h * 60 + mi) * 60 + s) * 1000.0 + us / 1000.0


def read_sipp_stats(path):
    """All rows of a sipp -trace_stat CSV (';' separated, header first) as dicts."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return []
    if not rows:
        return []
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if len(r) >= len(header) - 1]


def parse_sipp_messages(path):
    """sipp -trace_msg log -> list of (direction 'sent'|'received', SipMessage)."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    out = []
    blocks = re.split(r"\n-{20,} [^\n]*\n", "\n" + text)
    for block in blocks:
        m = re.match(r"\s*(UDP|TCP|TLS|SCTP) message (sent|received)[^\n]*\n\n?(.*)", block,
                     re.S)
        if not m:
            continue
        body = m.group(3).strip("\n")
        if not body.strip():
            continue
        # sipp writes messages with bare \n or \r\n; normalise for SipMessage.
        out.append((m.group(2), SipMessage(body.replace("\r\n", "\n").replace("\n", "\r\n"))))
    return out


class Sipp:
    """One sipp instance (UAC when remote is given, UAS otherwise), run in the foreground
    under a Python timeout. Files go to workdir/<name>.*."""

    def __init__(self, name, scenario, workdir, local_ip="127.0.0.1", local_port=None,
                 remote=None, transport="u1", service=None, calls=None, rate=None,
                 rate_period_ms=None, limit=None, duration_ms=None, timeout_s=60,
                 recv_timeout_ms=None, lost=None, trace_msg=True, trace_rtt=False,
                 stat_freq_s=1, contact=None, ruri_scheme="sip", extra=()):
        self.name = name
        self.ruri_scheme = ruri_scheme  # uac_basic.xml's Request-URI: sip or sips
        self.scenario = scenario if os.path.isabs(scenario) else os.path.join(SCENARIOS,
                                                                              scenario)
        self.workdir = workdir
        self.local_ip = local_ip
        self.local_port = local_port
        self.remote = remote
        self.transport = transport
        self.service = service
        self.calls = calls
        self.rate = rate
        self.rate_period_ms = rate_period_ms
        self.limit = limit
        self.duration_ms = duration_ms
        self.timeout_s = timeout_s
        self.recv_timeout_ms = recv_timeout_ms
        self.lost = lost
        self.trace_msg = trace_msg
        self.trace_rtt = trace_rtt
        self.stat_freq_s = stat_freq_s
        # [contact_hostport] in the UAS scenarios: where in-dialog requests should go.
        self.contact = contact or (f"{local_ip}:{local_port}" if local_port else local_ip)
        self.extra = list(extra)
        self.proc = None
        self.started_at = None
        self.ended_at = None
        base = os.path.join(workdir, name)
        self.stat_path = base + ".stat.csv"
        self.screen_path = base + ".screen.log"
        self.error_path = base + ".errors.log"
        self.message_path = base + ".messages.log"
        self.out_path = base + ".out.log"
        self.rtt_path = None  # sipp names it <scenario>_<pid>_rtt.csv in its cwd
        self.rundir = base + ".run"
        os.makedirs(self.rundir, exist_ok=True)

    def command(self):
        check(shutil.which(SIPP) is not None,
              "sipp is not installed: run scripts/install-deps.sh (Debian package sip-tester)")
        cmd = [SIPP]
        if self.remote:
            cmd.append(f"{self.remote[0]}:{self.remote[1]}")
        cmd += ["-sf", self.scenario, "-i", self.local_ip, "-bind_local", "-t", self.transport,
                "-nostdin", "-trace_err", "-error_file", self.error_path,
                "-trace_stat", "-stf", self.stat_path, "-fd", str(self.stat_freq_s),
                "-trace_screen", "-screen_file", self.screen_path,
                "-timeout", f"{self.timeout_s}s", "-timeout_error",
                "-mi", self.local_ip, "-key", "contact_hostport", self.contact,
                "-key", "ruri_scheme", self.ruri_scheme]
        if self.local_port:
            cmd += ["-p", str(self.local_port)]
        if self.service:
            cmd += ["-s", self.service]
        if self.calls is not None:
            cmd += ["-m", str(self.calls)]
        if self.rate is not None:
            cmd += ["-r", str(self.rate)]
        if self.rate_period_ms is not None:
            cmd += ["-rp", str(self.rate_period_ms)]
        if self.limit is not None:
            cmd += ["-l", str(self.limit)]
        if self.duration_ms is not None:
            cmd += ["-d", str(self.duration_ms)]
        if self.recv_timeout_ms is not None:
            cmd += ["-recv_timeout", str(self.recv_timeout_ms)]
        if self.lost is not None:
            cmd += ["-lost", str(self.lost)]
        if self.trace_msg:
            cmd += ["-trace_msg", "-message_file", self.message_path]
        if self.trace_rtt:
            cmd += ["-trace_rtt", "-rtt_freq", "1"]
        return cmd + self.extra

    def start(self):
        cmd = self.command()
        with open(self.out_path, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
        self.started_at = time.time()
        self.proc = spawn(cmd, self.name, self.out_path, self.out_path, cwd=self.rundir)
        return self

    def wait_listening(self, timeout=5.0):
        """For a UAS: waits until its port is bound (sipp binds before it reads the scenario's
        first message). UDP check by trying to bind the same port."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure(f"sipp {self.name} exited early ({self.proc.returncode}): "
                                  f"{tail(self.out_path, 15)}")
            if port_in_use(self.local_ip, self.local_port, self.transport.startswith("t")):
                time.sleep(0.1)
                return self
            time.sleep(0.05)
        raise TestFailure(f"sipp {self.name} did not bind {self.local_ip}:{self.local_port}")

    def wait(self, timeout=None):
        """Waits for sipp to exit (timeout defaults to its -timeout + 15 s) and returns a
        SippResult. A sipp still running then is killed and reported as timed out."""
        timeout = timeout if timeout is not None else self.timeout_s + 15
        timed_out = False
        try:
            self.proc.wait(timeout)
            self.ended_at = time.time()
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_process(self.proc)
            self.proc.wait(5)
        return self.result(timed_out)

    def stop(self):
        """Ends a sipp that runs open-ended (a UAS without -m): SIGUSR1 asks it to finish the
        calls in progress and quit; SIGKILL if it has not after 5 s."""
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGUSR1)
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                kill_process(self.proc)
                self.proc.wait(5)
        return self.result(False)

    def result(self, timed_out=False):
        rows = read_sipp_stats(self.stat_path)
        elapsed = (self.ended_at - self.started_at) if self.ended_at and self.started_at else None
        return SippResult(self.name, self.proc.returncode if self.proc else None,
                          rows[-1] if rows else {}, tail(self.screen_path, 80),
                          tail(self.error_path, 40), timed_out, elapsed)

    def messages(self):
        return parse_sipp_messages(self.message_path)

    def received(self, method=None, status=None):
        out = []
        for direction, m in self.messages():
            if direction != "received":
                continue
            if method and m.method != method:
                continue
            if status and m.status != status:
                continue
            out.append(m)
        return out

    def sent(self, method=None):
        return [m for d, m in self.messages() if d == "sent" and (method is None or
                                                                  m.method == method)]

    def rtt_files(self):
        return [os.path.join(self.rundir, f) for f in os.listdir(self.rundir)
                if f.endswith("_rtt.csv")]

    def diagnostics(self):
        return (f"--- sipp {self.name} output {self.out_path}\n{tail(self.out_path, 15)}\n"
                f"--- sipp {self.name} errors {self.error_path}\n{tail(self.error_path, 30)}\n"
                f"--- sipp {self.name} screen {self.screen_path}\n{tail(self.screen_path, 45)}")


def port_in_use(host, port, tcp=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    try:
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def expect_calls(result, successful, failed=0, what=""):
    """Asserts a sipp run: exactly `successful` successful and `failed` failed calls."""
    msg = f"{what}: " if what else ""
    check(not result.timed_out, f"{msg}sipp {result.name} did not finish in time; "
          f"{result.describe()}")
    check(result.successful == successful and result.failed == failed,
          f"{msg}expected {successful} successful / {failed} failed calls, got "
          f"{result.describe()}")
    if failed == 0:
        check(result.returncode == 0, f"{msg}sipp {result.name} exit code {result.returncode} "
              "(0 means every call succeeded)")


# ---------------------------------------------------------------------------------------------
# Test context and runner

class Context:
    def __init__(self, args):
        self.args = args
        self.sut_kind = args.sut
        self.source_dir = os.path.abspath(args.source_dir)
        self.binary = args.binary
        self.workdir = tempfile.mkdtemp(prefix=f"tg-it-{args.test_name}-")
        self.suts = []
        self.sipps = []
        self.peers = []
        self.relays = []
        self.skipped = []

    @property
    def b2bua(self):
        return self.sut_kind == "trunkguard"

    def sut(self, topo, name=None, **config_args):
        """The system under test for this run (not started)."""
        if self.sut_kind == "kamailio":
            s = KamailioSut(self.source_dir, self.workdir, topo, name=name or "kamailio",
                            **config_args)
        else:
            check(self.binary, "--binary is required for --sut trunkguard")
            s = Gateway(self.binary, self.workdir, topo, name=name or "gateway", **config_args)
        self.suts.append(s)
        return s

    def sipp(self, name, scenario, **kw):
        s = Sipp(name, scenario, self.workdir, **kw)
        self.sipps.append(s)
        return s

    def peer(self, name, host="127.0.0.1", port=0, handler=None):
        p = RawPeer(name, host, port, handler)
        self.peers.append(p)
        return p

    def relay(self, name, front, upstream, **kw):
        r = LossyRelay(name, front, upstream, **kw)
        self.relays.append(r)
        return r

    def skip(self, what):
        """Records a check that does not apply to this SUT (Kamailio is a proxy)."""
        self.skipped.append(what)
        log(f"SKIP ({self.sut_kind}): {what}")

    def run_calls(self, uac, uas_list, uas_timeout=None):
        """Starts the UASes, waits until they listen, runs the UAC to completion, then waits for
        the UASes. Returns (uac_result, [uas_results])."""
        for uas in uas_list:
            uas.start()
        for uas in uas_list:
            uas.wait_listening()
        uac.start()
        uac_result = uac.wait()
        uas_results = []
        for uas in uas_list:
            if uas.calls is not None:
                uas_results.append(uas.wait(uas_timeout if uas_timeout is not None else 30))
            else:
                uas_results.append(uas.stop())
        return uac_result, uas_results

    def diagnostics(self):
        parts = [f"working directory (kept): {self.workdir}"]
        for s in self.suts:
            parts.append(s.diagnostics())
        for s in self.sipps:
            if s.proc is not None:
                parts.append(s.diagnostics())
        for p in self.peers:
            msgs = [f"  {t:.3f} {addr[0]}:{addr[1]} {m.summary()}" for t, addr, m in
                    p.received[-30:]]
            parts.append(f"--- raw peer {p.name} {p.addr}: last received\n" + "\n".join(msgs))
            if p.errors:
                parts.append(f"--- raw peer {p.name} handler errors\n" + "\n".join(p.errors))
        for r in self.relays:
            parts.append(r.describe())
        return "\n".join(parts)

    def close(self, keep):
        for p in self.peers:
            p.close()
        for r in self.relays:
            r.close()
        for s in self.suts:
            try:
                if s.proc is not None:
                    s.stop(require_clean=False)
            except Exception:
                pass
        cleanup_processes()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def parse_args(test_name, argv=None):
    p = argparse.ArgumentParser(description=f"trunkguard integration test {test_name}")
    p.add_argument("--binary", help="path to the trunkguard executable")
    p.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)),
                   help="repository root")
    p.add_argument("--sut", choices=("trunkguard", "kamailio"), default="trunkguard",
                   help="system under test; kamailio (a proxy) validates the call flows and "
                        "the harness, skipping B2BUA-only checks")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    args = p.parse_args(argv)
    args.test_name = test_name
    return args


def run(test_fn, argv=None):
    """Runs test_fn(ctx) and exits: 0 passed, 1 failed (a check), 2 error (the harness or an
    exception). Everything started is stopped; the working directory is kept on failure."""
    test_name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    args = parse_args(test_name, argv)
    ctx = Context(args)
    log(f"{test_name}: SUT {args.sut}, working directory {ctx.workdir}")
    if not shutil.which(SIPP):
        print(f"FAIL {test_name}: sipp is not installed; run scripts/install-deps.sh "
              "(Debian package sip-tester)", flush=True)
        sys.exit(1)
    code = 0
    started = time.time()
    try:
        test_fn(ctx)
        for p in ctx.peers:
            check(not p.errors, f"raw peer {p.name} handler raised:\n" + "\n".join(p.errors))
    except TestFailure as e:
        code = 1
        print(f"\nFAIL {test_name}: {e}\n", flush=True)
        print(ctx.diagnostics(), flush=True)
    except Exception:
        code = 2
        print(f"\nERROR {test_name}:\n{traceback.format_exc()}", flush=True)
        print(ctx.diagnostics(), flush=True)
    finally:
        ctx.close(keep=args.keep or code != 0)
    if code == 0:
        skipped = f" ({len(ctx.skipped)} checks skipped for {args.sut})" if ctx.skipped else ""
        print(f"PASS {test_name} in {time.time() - started:.1f}s{skipped}", flush=True)
    sys.exit(code)
