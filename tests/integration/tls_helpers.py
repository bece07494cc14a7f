"""TLS pieces of the integration tests (test_tls_*.py) and the load harness: a throw-away PKI
made with the openssl CLI, and stunnel (Debian's sipp has no TLS) terminating TLS in front of
a sipp over TCP, or originating TLS for a sipp UAC.

    pki = make_pki(workdir)                  # ca, server (localhost/127.0.0.1), other-host,
                                             # self-signed, client
    st = Stunnel(workdir, "carrier-a", accept=("127.0.0.1", 5061),
                 connect=("127.0.0.1", 5070), cert=pki["server"])       # TLS server
    st = Stunnel(..., client=True, ca=pki["ca"])                        # TLS client
"""
import os
import shutil
import socket
import subprocess
import time

import harness
from harness import check, log

STUNNEL = "stunnel"


def _openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"openssl {' '.join(args)} failed: {r.stderr.strip()[-400:]}")


def make_pki(workdir):
    """Writes the test PKI into workdir/pki; returns {name: (cert, key)} plus 'ca' -> cert."""
    d = os.path.join(workdir, "pki")
    os.makedirs(d, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=trunkguard-test-ca", cwd=d)

    def leaf(name, cn, san):
        _openssl("req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-copy_extensions", "copyall",
                 "-out", f"{name}.pem", cwd=d)

    leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3")
    leaf("other", "other.example", "DNS:other.example")
    leaf("client", "client.example", "DNS:client.example")
    _openssl("req", "-x509", *key, "-keyout", "self.key", "-out", "self.pem", "-days", "2",
             "-subj", "/CN=localhost", "-addext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3", cwd=d)
    p = lambda f: os.path.join(d, f)  # noqa: E731
    return {"ca": p("ca.pem"), "server": (p("server.pem"), p("server.key")),
            "other": (p("other.pem"), p("other.key")), "self": (p("self.pem"), p("self.key")),
            "client": (p("client.pem"), p("client.key")), "dir": d}


def wait_tcp_listening(addr, proc, what, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise harness.TestFailure(f"{what} exited early ({proc.returncode})")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(0.2)
            s.connect(addr)
            return
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    raise harness.TestFailure(f"{what} is not listening on {addr[0]}:{addr[1]}")


class Stunnel:
    """One stunnel process with one service. Server mode (default): TLS on `accept`, plain TCP
    to `connect`. Client mode: plain TCP on `accept`, TLS to `connect` (verified against `ca`
    when given). start(probe=True) waits for the accept port with a TCP connect."""

    def __init__(self, workdir, name, accept, connect, cert=None, client=False, ca=None,
                 verify_host=None, debug=5):
        check(shutil.which(STUNNEL) is not None,
              "stunnel is not installed: run scripts/install-deps.sh (Debian package stunnel4)")
        self.name = name
        self.accept = accept
        self.connect = connect
        self.conf_path = os.path.join(workdir, f"stunnel-{name}.conf")
        self.log_path = os.path.join(workdir, f"stunnel-{name}.log")
        lines = ["foreground = yes", "pid =", f"debug = {debug}", "syslog = no",
                 f"output = {self.log_path}", "",
                 f"[{name}]", f"accept = {accept[0]}:{accept[1]}",
                 f"connect = {connect[0]}:{connect[1]}", "sslVersionMin = TLSv1.2",
                 "TIMEOUTclose = 0", "socket = l:TCP_NODELAY=1", "socket = r:TCP_NODELAY=1"]
        if client:
            lines.append("client = yes")
            if ca:
                lines += ["verifyChain = yes", f"CAfile = {ca}"]
                if verify_host:
                    lines.append(f"checkHost = {verify_host}")
        if cert:
            lines += [f"cert = {cert[0]}", f"key = {cert[1]}"]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self, probe=True):
        self.proc = harness.spawn([STUNNEL, self.conf_path], f"stunnel-{self.name}",
                                  self.log_path + ".out", self.log_path + ".out")
        if probe:
            wait_tcp_listening(self.accept, self.proc, f"stunnel {self.name}")
        else:
            time.sleep(0.3)
            check(self.proc.poll() is None, f"stunnel {self.name} exited: "
                  f"{harness.tail(self.log_path + '.out', 10)}")
        log(f"stunnel {self.name}: {self.accept[0]}:{self.accept[1]} -> "
            f"{self.connect[0]}:{self.connect[1]}")
        return self

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            harness.stop_process(self.proc, timeout=5)
            self.proc = None

    def diagnostics(self):
        return (f"--- stunnel {self.name} log {self.log_path}\n{harness.tail(self.log_path, 25)}"
                f"\n{harness.tail(self.log_path + '.out', 10)}")


class TcpRecorder:
    """A TCP listener that accepts and records every byte it receives: the plaintext side of a
    provider that must never be reached."""

    def __init__(self, host, port):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.data = b""
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        conns = []
        while not self._stop:
            try:
                c, _ = self.sock.accept()
                c.setblocking(False)
                conns.append(c)
                self.connections += 1
            except OSError:
                pass
            for c in list(conns):
                try:
                    chunk = c.recv(65536)
                    if chunk:
                        self.data += chunk
                    else:
                        conns.remove(c)
                        c.close()
                except BlockingIOError:
                    pass
                except OSError:
                    conns.remove(c)
        for c in conns:
            c.close()

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()
