#!/usr/bin/env python3
"""The blocklist URL (guard.bans.blocklist_url): a periodic HTTP pull of a ban feed.

A small HTTP server on 127.0.0.1 serves a plain list under a path that carries an API key, as
APIBAN's URLs do; the gateway pulls it every second (blocklist_interval_s: 1).
1. The listed sources (127.0.0.77, 127.0.0.78/32) get silence; 127.0.0.79 is answered.
2. The served list changes (.77 dropped, .80 added): the next pull applies it.
3. The server answers 500: a warning is logged, the bans of the last good pull stay.
4. SIGHUP with the URL removed: the pull stops and its bans are lifted.
No log line shows the URL's path (it holds the key), only scheme://host:port.
"""
import http.server
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
import guard_helpers as gh  # noqa: E402

SECRET = "SECRETKEY123"
PATH = f"/api/{SECRET}/banned"


class Feed:
    """What the feed server answers, changed by the test while it runs."""

    def __init__(self):
        self.lock = threading.Lock()
        self.status = 200
        self.body = ""
        self.requests = 0

    def set(self, status, body=""):
        with self.lock:
            self.status = status
            self.body = body

    def count(self):
        with self.lock:
            return self.requests


def start_feed_server(feed):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            with feed.lock:
                feed.requests += 1
                status, body = feed.status, feed.body
            if self.path != PATH:
                status, body = 404, "no such feed\n"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
    thread.start()
    return server


def gateway_log(sut):
    text = ""
    for path in (sut.stdout_path, sut.stderr_path):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def wait_until(what, predicate, timeout=30.0, interval=0.25):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise harness.TestFailure(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


def wait_answered(pub, source, answered, timeout=15.0):
    """Polls twice a second (under the public zone's OPTIONS limit) until `source` is answered
    (or, with answered=False, gets silence)."""
    wait_until(f"{source} {'answered' if answered else 'silenced'}",
               lambda: gh.options_answered(pub, source, timeout=0.3) == answered,
               timeout=timeout, interval=0.5)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("blocklist feeds are a trunkguard feature")
        return
    feed = Feed()
    feed.set(200, "# test feed\n127.0.0.77\n127.0.0.78/32\n")
    server = start_feed_server(feed)
    try:
        run_checks(ctx, feed, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def run_checks(ctx, feed, port):
    origin = f"http://127.0.0.1:{port}"
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    guard = {"bans": {"blocklist_url": origin + PATH, "blocklist_interval_s": 1}}
    sut = ctx.sut(topo, extra=gh.guard_extra(topo, guard=guard)).start()

    # 1. The first pull bans the listed sources.
    wait_until("the first pull's bans in the table",
               lambda: {"127.0.0.77/32", "127.0.0.78/32"} <= gh.banned_networks(ctx, sut))
    check(not gh.options_answered(pub, "127.0.0.77"), "127.0.0.77 is listed: must get silence")
    check(not gh.options_answered(pub, "127.0.0.78"), "127.0.0.78 is listed: must get silence")
    wait_answered(pub, "127.0.0.79", True)
    wait_until("the pull's info line",
               lambda: f"blocklist pull from {origin}: 2 entries" in gateway_log(sut))
    log("first pull applied: .77 and .78 silenced, .79 answered")

    # 2. A changed list: the next pull replaces the feed's bans.
    feed.set(200, "127.0.0.78/32\n127.0.0.80\n")
    wait_until("the changed list applied",
               lambda: (lambda nets: "127.0.0.80/32" in nets and "127.0.0.77/32" not in nets)(
                   gh.banned_networks(ctx, sut)))
    wait_answered(pub, "127.0.0.77", True)
    check(not gh.options_answered(pub, "127.0.0.80"), "127.0.0.80 is listed now: must get silence")
    check(not gh.options_answered(pub, "127.0.0.78"), "127.0.0.78 is still listed")
    log("second pull applied: .77 answered again, .80 silenced")

    # 3. The feed fails: a warning, and the last good pull's bans stay.
    feed.set(500, "internal error\n")
    before = feed.count()
    wait_until("a warning about the failed pull",
               lambda: any('"level":"warn"' in line and "HTTP 500" in line
                           and "blocklist pull" in line
                           for line in gateway_log(sut).splitlines()))
    wait_until("two more pulls while the feed fails", lambda: feed.count() >= before + 2)
    nets = gh.banned_networks(ctx, sut)
    check({"127.0.0.78/32", "127.0.0.80/32"} <= nets,
          f"the last good pull's bans must stay while the feed fails: {sorted(nets)}")
    check(not gh.options_answered(pub, "127.0.0.80"), "127.0.0.80 must stay silenced")
    log("failed pulls keep the bans")

    # 4. SIGHUP without the URL: the pull stops, its bans are lifted.
    feed.set(200, "127.0.0.78/32\n127.0.0.80\n")
    del sut.config_args["extra"]["guard"]["bans"]["blocklist_url"]
    sut.write_config()
    os.kill(sut.pid, signal.SIGHUP)
    wait_until("the reload", lambda: "configuration reloaded" in gateway_log(sut))
    wait_until("the URL's bans lifted",
               lambda: not ({"127.0.0.78/32", "127.0.0.80/32"} & gh.banned_networks(ctx, sut)))
    wait_answered(pub, "127.0.0.80", True)
    stopped_at = feed.count()
    time.sleep(3)
    check(feed.count() <= stopped_at + 1, "the pull must stop once the URL is removed "
          f"({feed.count() - stopped_at} requests after the reload)")
    log("URL removed: bans lifted, no more pulls")

    # The key in the URL's path never reaches a log line.
    text = gateway_log(sut)
    leaks = [line for line in text.splitlines() if SECRET in line or "/api/" in line]
    check(not leaks, f"log lines show the feed URL's path: {leaks[:3]}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
