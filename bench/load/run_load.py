#!/usr/bin/env python3
"""End-to-end load harness for the gateway core, with Kamailio 5.6 as the peer baseline.

    sipp UAC (the PBX) --udp--> SUT --udp--> sipp UAS (carrier-a)      all on 127.0.0.1

The SUT is trunkguard (`trunkguard run --config ...`, a B2BUA) and/or Kamailio with
bench/load/kamailio.cfg (a stateful edge proxy: tm, sl, rr, maxfwd, sanity, pike, htable
ban table, scanner User-Agent filter, record-routing). Both run with one SIP worker.

Modes (see docs/benchmarks.md, "End-to-end load (gateway core)"):
  default       fixed offered load (--rate calls/s for --duration s, calls held --hold-ms):
                SUT CPU time per completed call (utime+stime from /proc/<pid>/stat, summed over
                the SUT's processes, over the run), failed calls, call-setup latency
                INVITE -> 200 p50/p99 (from sipp's -trace_shortmsg, microsecond timestamps),
                memory; then the line "cpu per call: trunkguard X us, kamailio Y us, ratio Y/X".
  --knee        steps the offered rate (--knee-start, --knee-step, --knee-max) until failed
                calls exceed --knee-threshold % (or sipp cannot offer the rate); reports the
                last rate that passed.
  --concurrent N
                N concurrent long calls (ramped at --concurrent-rate), holds them
                --plateau s, reports the SUT's memory growth per active call.
  --trunk-tls   every SUT is measured twice in the same run: as above, and with the provider
                reached over TLS (PBX still over UDP): stunnel terminates TLS in front of the
                sipp UAS (sipp has no TLS), the SUT keeps one long-lived TLS connection to it,
                its certificate verified against a test CA. Kamailio runs with its tls module
                (kamailio.cfg -A WITH_TLS). Prints "cpu per call ... tls/udp" and then new TLS
                handshakes per second per SUT core (--handshake-seconds of connect + TLS 1.3
                handshake + close against the SUT's tls:// listener, from --handshake-clients
                processes).
  --policy builtin | FILE.json
                trunkguard runs with the toll-fraud call policy on: `builtin` is 200 rules
                (the benchmark's calls match the last one, with a concurrency limit and a daily
                spend cap counted live) and a 10,000-prefix rate table; FILE.json is a `policy:`
                section written as JSON. --policy-compare measures trunkguard without and with
                it in the same run (--sut trunkguard implied).
  --admin-compare
                trunkguard twice in the same run: as above, and with the admin API on
                (admin.listen on loopback), an admin logged in, /metrics scraped every
                --scrape-interval s and one dashboard stream (GET /api/v1/stream, Server-Sent
                Events) held open the whole run; prints "cpu per call: admin off X us, admin
                on Y us, on/off Z" and how many scrapes and stream ticks were received.
  --store-compare
                trunkguard twice in the same run, both with the call policy on (--policy,
                default builtin): its counters in the memory store, then in a redis-server
                started here on loopback (store.type: redis, one node); prints the gateway's
                CPU per call and setup p99 for each, the ratio, and Redis's own CPU and
                scripts (EVALSHA) per call.
  --capture-compare
                trunkguard twice in the same run: as above, and with SIP capture on
                (capture.hep to a UDP collector on loopback that counts the packets); prints
                "cpu per call: capture off X us, capture on Y us, on/off Z" and the messages
                the gateway sent and dropped (`trunkguard status`) and the collector received.

Everything is bounded in time and stopped at the end; exit code 0 when every requested SUT
ran, 1 when one could not be measured.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import harness  # noqa: E402
import tls_helpers  # noqa: E402
from load_report import (admin_line, capture_line, fmt, policy_line, print_run,  # noqa: E402
                         ratio_line, store_line, tls_lines)
from redis_server import Redis  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------
# /proc measurements

def process_tree(pid):
    """pid and all its descendants (Kamailio forks its workers and timers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids):
    """utime + stime of the given processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / CLK_TCK


def memory_kb(pids):
    """(RSS, PSS) in kB summed over the processes. PSS splits shared pages (Kamailio's shared
    memory segment is mapped by every process) so that the sum is the real footprint."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped for a full receive buffer (all sockets)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(dict(zip(rows[0][1:], rows[1][1:])).get("RcvbufErrors", 0))


def machine_cpu():
    """(busy, total) jiffies of the whole machine, to show how contended it was."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def setup_latencies_ms(shortmsg_path):
    """INVITE sent -> 200 received per call, in ms, from a sipp -trace_shortmsg file (tab
    separated: date, time, epoch.usec, S|R, Call-ID, CSeq, first line)."""
    sent, lat = {}, []
    try:
        f = open(shortmsg_path, errors="replace")
    except OSError:
        return lat
    with f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7 or parts[5] != "CSeq:1 INVITE":
                continue
            try:
                ts = float(parts[2])
            except ValueError:
                continue
            call_id, first = parts[4], parts[6]
            if parts[3] == "S" and first.startswith("INVITE") and call_id not in sent:
                sent[call_id] = ts
            elif parts[3] == "R" and first.startswith("SIP/2.0 200") and call_id in sent:
                lat.append((ts - sent.pop(call_id)) * 1000.0)
    return lat


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


# ----------------------------------------------------------------------------------------------
# The call policy for `--policy builtin`

def builtin_policy(workdir, rules=200, prefixes=10000):
    """200 rules, the last of which admits the benchmark's calls (uac_basic.xml: From 2001,
    dialled 15551234567 -> +15551234567), so every INVITE walks all of them; the admitting rule
    counts concurrency and spend live. The rate table has `prefixes` entries."""
    rates = os.path.join(workdir, "bench-rates.csv")
    with open(rates, "w") as f:
        f.write("prefix,price_per_minute,increments\n1555,0.01,60/60\n")
        for i in range(prefixes - 1):
            f.write(f"44{i:05d},0.{i % 90 + 10:02d},1/1\n")
    out = []
    for i in range(rules - 1):
        if i % 3 == 0:
            out.append({"name": f"deny-{i}", "prefixes": [f"+44{i:04d}"], "action": "deny"})
        elif i % 3 == 1:
            out.append({"name": f"acct-{i}", "accounts": [f"9{i:03d}"], "action": "allow",
                        "max_concurrent": 5})
        else:
            out.append({"name": f"class-{i}", "classes": ["premium", "satellite"],
                        "action": "deny"})
    out.append({"name": "bench-domestic", "prefixes": ["+1"], "action": "allow",
                "max_concurrent": 100000, "spend_per_day": 1000000})
    return {
        "enabled": True,
        "numbering": {"pbx": {"country": "US"}},
        "default_action": {"pbx": "deny"},
        "rate_table": rates,
        "rules": out,
    }


def policy_section(args, workdir):
    if args.policy == "builtin":
        return builtin_policy(workdir)
    with open(args.policy) as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------
# One SUT with its provider-side UAS, for one or more measured runs

class Bench:
    def __init__(self, args, kind, workdir):
        self.args = args
        self.kind = kind
        self.workdir = os.path.join(workdir, kind)
        os.makedirs(self.workdir, exist_ok=True)
        self.tls = kind.endswith("+tls")
        self.topo = harness.Topology(trunk_transport="tls" if self.tls else "udp")
        self.sut = None
        self.uas = None
        self.edge = None  # stunnel in front of the UAS (--trunk-tls)
        self.admin = None  # the /metrics scraper and stream client (--admin-compare)
        self.redis = None  # the shared store (--store-compare)
        self.collector = None  # the HEP packet counter (--capture-compare)
        self.runs = 0
        # Extra settings for the SUT (run_dos.py adds a public listener and a guard section).
        self.gateway_args = {}
        self.kamailio_args = {}

    def setup_tls(self):
        """The provider's TLS edge: stunnel on prov1_port (where the SUT sends) in front of the
        sipp UAS over TCP on a port of its own; the SUT's certificate and its trust in the CA."""
        self.pki = tls_helpers.make_pki(self.workdir)
        t = self.topo
        self.uas_port = harness.free_port(t.prov1_host)
        cert, key = self.pki["server"]
        if self.kind.startswith("trunkguard"):
            self.gateway_args["providers"] = [
                {"name": "carrier-a", "host": t.prov1_host, "port": t.prov1_port,
                 "transport": "tls", "priority": 10, "tls": {"ca_file": self.pki["ca"]}}]
            self.gateway_args.setdefault("extra", {})["tls"] = {"certificate": cert,
                                                                "private_key": key}
            # The handshake loop connects hundreds of times a second from 127.0.0.1.
            self.gateway_args["extra"]["tcp"] = {"max_accepts_per_source_per_s": 0}
        else:
            cfg = os.path.join(self.workdir, "kamailio-tls.cfg")
            with open(cfg, "w") as f:
                f.write(f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                        f"require_certificate = no\ncertificate = {cert}\n"
                        f"private_key = {key}\n\n"
                        f"[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\n"
                        f"require_certificate = yes\nca_list = {self.pki['ca']}\n")
            self.kamailio_args["defines"] = ["WITH_TCP", "WITH_TLS", f'TLS_CFG="{cfg}"']

    def start(self):
        a = self.args
        if self.kind in ("trunkguard+policy", "trunkguard+redis"):
            self.gateway_args.setdefault("extra", {})["policy"] = policy_section(a, self.workdir)
        if self.kind == "trunkguard+redis":
            self.redis = Redis(self.workdir).start()
            self.gateway_args.setdefault("extra", {})["store"] = {
                "type": "redis", "url": self.redis.url, "node_id": "bench", "nodes": 1}
        if self.kind == "trunkguard+admin":
            self.admin_port = harness.free_port()
            self.gateway_args.setdefault("extra", {})["admin"] = {
                "listen": f"127.0.0.1:{self.admin_port}"}
        if self.kind == "trunkguard+capture":
            self.collector = HepCounter()
            self.gateway_args.setdefault("extra", {})["capture"] = {
                "hep": {"url": f"udp://127.0.0.1:{self.collector.port}", "agent_id": 1}}
        if self.kind.startswith("trunkguard") and a.no_media:
            # Signalling only, as Kamailio relays it: the SDP crosses unchanged, no RTP relay.
            self.gateway_args.setdefault("extra", {})["media"] = {"anchor": False}
        if self.tls:
            self.setup_tls()
        if self.kind.startswith("trunkguard"):
            self.sut = harness.Gateway(a.binary, self.workdir, self.topo, name="trunkguard",
                                       workers=a.workers, log_level=a.log_level,
                                       **self.gateway_args)
        else:
            self.sut = harness.KamailioSut(a.source_dir, self.workdir, self.topo,
                                           name="kamailio", children=a.kamailio_children,
                                           shm_mb=1024, pkg_mb=64, **self.kamailio_args)
        self.sut.start(ready_timeout=15)
        if self.kind == "trunkguard+admin":
            self.admin = AdminLoad(self.sut, self.admin_port, a.scrape_interval)
            self.admin.start()
        # The provider: answers every call (180, 200), waits for the BYE. Runs until stopped.
        self.uas = harness.Sipp("uas", "uas_basic.xml", self.workdir,
                                local_ip=self.topo.prov1_host,
                                local_port=self.uas_port if self.tls else self.topo.prov1_port,
                                transport="t1" if self.tls else "u1",
                                contact=f"{self.topo.prov1_host}:{self.topo.prov1_port}",
                                timeout_s=a.max_seconds, trace_msg=False, stat_freq_s=5,
                                extra=["-buff_size", "8388608", "-max_recv_loops", "10000",
                                       "-max_sched_loops", "10000"])
        self.uas.start()
        self.uas.wait_listening()
        if self.tls:
            self.edge = tls_helpers.Stunnel(self.workdir, "provider-edge",
                                            (self.topo.prov1_host, self.topo.prov1_port),
                                            (self.topo.prov1_host, self.uas_port),
                                            cert=self.pki["server"], debug=3)
            self.edge.start()
        if a.warmup_calls:
            self.calls(rate=min(500, a.rate), calls=a.warmup_calls, hold_ms=a.hold_ms,
                       name="warmup")

    def uac(self, name, rate, calls, hold_ms, limit, shortmsg=True, timeout_s=None):
        extra = ["-buff_size", "8388608", "-max_recv_loops", "10000",
                 "-max_sched_loops", "10000"]
        if shortmsg:
            extra += ["-trace_shortmsg", "-shortmessage_file",
                      os.path.join(self.workdir, f"{name}.short.log")]
        return harness.Sipp(name, "uac_basic.xml", self.workdir, local_ip=self.topo.pbx_host,
                            local_port=self.topo.pbx_port, remote=self.topo.pbx_side_addr(),
                            service=self.topo.dialled, calls=calls, rate=rate, limit=limit,
                            duration_ms=hold_ms, trace_msg=False, stat_freq_s=1,
                            timeout_s=timeout_s or int(calls / max(rate, 1) + hold_ms / 1000
                                                       + 60), extra=extra)

    def calls(self, rate, calls, hold_ms, name=None):
        """Runs `calls` calls at `rate` and returns the measurements."""
        self.runs += 1
        name = name or f"run{self.runs}-{rate}cps"
        limit = max(1000, int(rate * (hold_ms / 1000.0 + 2) * 3))
        uac = self.uac(name, rate, calls, hold_ms, limit)
        pids = process_tree(self.sut.pid)
        cpu0 = cpu_seconds(pids)
        mem0 = memory_kb(pids)
        gen0 = cpu_seconds([self.uas.proc.pid])
        edge0 = cpu_seconds([self.edge.proc.pid]) if self.edge else 0.0
        redis0 = self.redis_counts()
        drops0 = udp_rcvbuf_errors()
        busy0, total0 = machine_cpu()
        t0 = time.time()
        uac.start()
        res = uac.wait()
        elapsed = time.time() - t0
        pids = process_tree(self.sut.pid)
        cpu1 = cpu_seconds(pids)
        mem1 = memory_kb(pids)
        gen1 = cpu_seconds([self.uas.proc.pid])
        edge1 = cpu_seconds([self.edge.proc.pid]) if self.edge else 0.0
        redis1 = self.redis_counts()
        drops1 = udp_rcvbuf_errors()
        busy1, total1 = machine_cpu()
        ncpu = os.cpu_count() or 1
        lat = setup_latencies_ms(os.path.join(self.workdir, f"{name}.short.log"))
        ok = res.successful
        created = res.created
        out = {
            "sut": self.kind, "name": name, "offered_rate": rate, "calls": calls,
            "hold_ms": hold_ms, "created": created, "successful": ok, "failed": res.failed,
            "failed_pct": 100.0 * res.failed / created if created else None,
            "failure_reasons": res.failure_reasons(), "sipp_exit": res.returncode,
            "timed_out": res.timed_out, "elapsed_s": round(elapsed, 2),
            "achieved_rate": round(created / max(elapsed - hold_ms / 1000.0, 0.001), 1),
            "cpu_s": round(cpu1 - cpu0, 3),
            "cpu_us_per_call": round((cpu1 - cpu0) * 1e6 / ok, 1) if ok else None,
            "cpu_util_pct": round(100.0 * (cpu1 - cpu0) / elapsed, 1),
            "setup_p50_ms": percentile(lat, 50), "setup_p99_ms": percentile(lat, 99),
            "setup_max_ms": max(lat) if lat else None, "setup_samples": len(lat),
            "rss_kb_before": mem0[0], "rss_kb_after": mem1[0],
            "pss_kb_before": mem0[1], "pss_kb_after": mem1[1],
            "processes": len(pids),
            "sipp_retransmissions": int(res.stats.get("Retransmissions(C)", 0) or 0),
            "udp_rcvbuf_drops": drops1 - drops0,
            "uas_cpu_s": round(gen1 - gen0, 2),
            "tls_edge_cpu_s": round(edge1 - edge0, 2) if self.edge else None,
            "machine_busy_pct": round(100.0 * (busy1 - busy0) / max(total1 - total0, 1), 1),
            "machine_cpus": ncpu,
        }
        if self.redis is not None and ok:
            out["redis_cpu_us_per_call"] = round((redis1[0] - redis0[0]) * 1e6 / ok, 1)
            if redis1[1] is not None and redis0[1] is not None:
                out["redis_scripts_per_call"] = round((redis1[1] - redis0[1]) / ok, 2)
        if self.admin is not None:
            out["admin"] = self.admin.counts()
            if self.admin.error:
                out["error"] = f"admin API client: {self.admin.error}"
        if self.collector is not None:
            out["capture"] = self.capture_counts()
        if not self.sut.alive():
            out["error"] = "the SUT exited during the run"
        return out

    def redis_counts(self):
        """(CPU seconds, scripts run) of the store's redis-server, or (0, None)."""
        if self.redis is None:
            return (0.0, None)
        return (cpu_seconds([self.redis.proc.pid]), self.redis.scripts_run())
    def capture_counts(self):
        """The gateway's capture counters (`status --json`) and what the collector got."""
        import subprocess
        time.sleep(0.5)  # the capture thread's last packets
        r = subprocess.run([self.sut.binary, "status", "-c", self.sut.config_path, "--json"],
                           capture_output=True, text=True, timeout=30)
        c = json.loads(r.stdout).get("capture") or {} if r.returncode == 0 else {}
        return {"sent": c.get("sent"), "dropped": c.get("dropped"),
                "send_errors": c.get("send_errors"), "collector_packets": self.collector.packets}

    def concurrent(self, n, rate, plateau_s):
        """n concurrent calls held for the ramp plus plateau_s; memory per active call."""
        hold_ms = int((n / rate + plateau_s + 2) * 1000)
        name = f"concurrent{n}"
        uac = self.uac(name, rate, n, hold_ms, limit=n + 10, shortmsg=False,
                       timeout_s=int(hold_ms / 1000 + n / rate + 90))
        pids = process_tree(self.sut.pid)
        cpu0 = cpu_seconds(pids)
        mem0 = memory_kb(pids)
        uac.start()
        peak, active_at_peak, samples = mem0, 0, []
        deadline = time.time() + n / rate + plateau_s + 30
        while time.time() < deadline and uac.proc.poll() is None:
            time.sleep(1)
            rows = harness.read_sipp_stats(uac.stat_path)
            current = int(rows[-1].get("CurrentCall", 0) or 0) if rows else 0
            created = int(rows[-1].get("TotalCallCreated", 0) or 0) if rows else 0
            mem = memory_kb(process_tree(self.sut.pid))
            samples.append((round(time.time(), 1), current, mem[0], mem[1]))
            if current >= active_at_peak:
                peak, active_at_peak = mem, current
            if created >= n and time.time() > deadline - 30 - plateau_s / 2:
                # Ramp done and half the plateau seen: enough samples at full occupancy.
                break
        res = uac.wait()
        pids = process_tree(self.sut.pid)
        cpu1 = cpu_seconds(pids)
        mem_end = memory_kb(pids)
        return {
            "sut": self.kind, "name": name, "concurrent_target": n, "ramp_rate": rate,
            "hold_ms": hold_ms, "active_at_peak": active_at_peak,
            "successful": res.successful, "failed": res.failed,
            "failure_reasons": res.failure_reasons(),
            "rss_kb_idle": mem0[0], "rss_kb_peak": peak[0], "rss_kb_end": mem_end[0],
            "pss_kb_idle": mem0[1], "pss_kb_peak": peak[1], "pss_kb_end": mem_end[1],
            "rss_bytes_per_call": round((peak[0] - mem0[0]) * 1024 / active_at_peak, 1)
            if active_at_peak else None,
            "pss_bytes_per_call": round((peak[1] - mem0[1]) * 1024 / active_at_peak, 1)
            if active_at_peak else None,
            "cpu_us_per_call": round((cpu1 - cpu0) * 1e6 / res.successful, 1)
            if res.successful else None,
            "samples": samples,
        }

    def handshakes(self, seconds, clients):
        """New TLS handshakes against the SUT's tls:// listener: `clients` processes each
        connect, handshake (TLS 1.3, certificate verified) and close in a loop for `seconds`.
        Returns handshakes per second and per second of SUT CPU (= per core)."""
        import multiprocessing
        pids = process_tree(self.sut.pid)
        cpu0 = cpu_seconds(pids)
        t0 = time.time()
        with multiprocessing.Pool(clients) as pool:
            counts = pool.starmap(handshake_loop, [(self.topo.trunk_side_addr(), self.pki["ca"],
                                                    seconds)] * clients)
        elapsed = time.time() - t0
        cpu = cpu_seconds(process_tree(self.sut.pid)) - cpu0
        done = sum(c[0] for c in counts)
        failed = sum(c[1] for c in counts)
        return {"sut": self.kind, "name": "handshakes", "handshakes": done, "failed": failed,
                "clients": clients, "elapsed_s": round(elapsed, 2), "cpu_s": round(cpu, 3),
                "handshakes_per_s": round(done / elapsed, 1),
                "handshakes_per_cpu_s": round(done / cpu, 1) if cpu > 0 else None,
                "cpu_util_pct": round(100.0 * cpu / elapsed, 1)}

    def stop(self):
        if self.admin is not None:
            self.admin.stop()
        if self.collector is not None:
            self.collector.close()
        if self.edge is not None:
            self.edge.stop()
        if self.uas is not None:
            self.uas.stop()
        if self.sut is not None and self.sut.proc is not None:
            self.sut.stop(timeout=15, require_clean=False)
        if self.redis is not None:
            self.redis.kill()


class HepCounter:
    """--capture-compare: a HEP collector that only counts packets (decoding them in Python
    would compete with the SUT for the machine's cores)."""

    def __init__(self):
        import socket, threading  # noqa: E401
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.packets = 0
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                if self.sock.recv(70000)[:4] == b"HEP3":
                    self.packets += 1
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class AdminLoad:
    """--admin-compare: what a Prometheus server and one open dashboard do to the gateway: an
    admin enrolled and logged in (test_admin_api.py's helpers), GET /metrics every `interval`
    seconds, and GET /api/v1/stream held open and read (one `tick` a second)."""

    def __init__(self, gw, port, interval):
        import threading
        import test_admin_api as admin
        self.admin, self.gw, self.port, self.interval = admin, gw, port, interval
        self.done = threading.Event()
        self.scrapes = self.scrape_failures = self.ticks = 0
        self.error = None
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self.scrape_loop, self.stream_loop)]

    def start(self):
        secret = self.admin.add_admin(self.gw, "bench")
        self.api = self.admin.Api(self.port)
        status, headers, body = self.api.call("POST", "/api/v1/login",
                                              {"user": "bench",
                                               "code": self.admin.totp(secret)})
        harness.check(status == 200, f"admin login: {status} {body}")
        self.api.cookie = headers.get("Set-Cookie", "").split(";")[0]
        for t in self.threads:
            t.start()

    def scrape_loop(self):
        while not self.done.wait(self.interval):
            status, _, text = self.api.call("GET", "/metrics")
            if status == 200 and "trunkguard_" in text:
                self.scrapes += 1
            else:
                self.scrape_failures += 1

    def stream_loop(self):
        import http.client
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            conn.request("GET", "/api/v1/stream", headers={"Cookie": self.api.cookie,
                                                          "Accept": "text/event-stream"})
            r = conn.getresponse()
            if r.status != 200:
                self.error = f"/api/v1/stream: {r.status}"
                return
            while not self.done.is_set():
                line = r.fp.readline()
                if not line:
                    if not self.done.is_set():
                        self.error = "/api/v1/stream ended during the run"
                    return
                if line.startswith(b"event: tick"):
                    self.ticks += 1
        except OSError as e:
            if not self.done.is_set():
                self.error = f"/api/v1/stream: {e}"

    def counts(self):
        return {"scrapes": self.scrapes, "scrape_failures": self.scrape_failures,
                "stream_ticks": self.ticks}

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(timeout=25)


def handshake_loop(addr, ca, seconds):
    """One client process of Bench.handshakes: (completed, failed) handshakes."""
    import socket
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False  # the certificate is for 127.0.0.1 and localhost; chain checked
    done = failed = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(addr, timeout=2) as raw:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00"
                               b"\x00\x00")  # RST on close: no TIME_WAIT pile-up
                with ctx.wrap_socket(raw) as tls:
                    tls.do_handshake()
                    done += 1
        except (OSError, ssl.SSLError):
            failed += 1
            time.sleep(0.001)
    return done, failed


# ----------------------------------------------------------------------------------------------

def environment():
    """One line saying what was measured where, to go with the numbers."""
    import platform
    import subprocess

    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10,
                                  cwd=REPO).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                         "?")
    except OSError:
        pass
    commit = run(["git", "describe", "--always", "--dirty"])
    sipp = run(["sipp", "-v"]).split("\n")[0].strip() or "?"
    kam = run(["kamailio", "-v"]).split("\n")[0].strip() or "?"
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S')}; commit {commit}; {os.cpu_count()} CPUs "
            f"({model}); kernel {platform.release()}; {sipp}; {kam}; load average "
            f"{os.getloadavg()[0]:.2f}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(REPO, "build", "trunkguard"))
    p.add_argument("--source-dir", default=REPO)
    p.add_argument("--sut", choices=("both", "trunkguard", "kamailio"), default="both")
    p.add_argument("--rate", type=int, default=2000, help="offered calls/s (default 2000)")
    p.add_argument("--duration", type=float, default=10, help="seconds of load (default 10)")
    p.add_argument("--hold-ms", type=int, default=100, help="call duration (default 100 ms)")
    p.add_argument("--warmup-calls", type=int, default=500,
                   help="calls before measuring (default 500, at up to 500 cps)")
    p.add_argument("--workers", type=int, default=1, help="trunkguard workers (default 1)")
    p.add_argument("--kamailio-children", type=int, default=1,
                   help="Kamailio UDP workers (default 1: more reorder 180/200 under load)")
    p.add_argument("--log-level", default="warn", help="trunkguard log level (default warn)")
    p.add_argument("--knee", action="store_true", help="step the rate to the knee")
    p.add_argument("--knee-start", type=int, default=500)
    p.add_argument("--knee-step", type=int, default=500)
    p.add_argument("--knee-max", type=int, default=10000)
    p.add_argument("--knee-threshold", type=float, default=0.5, help="failed %% (default 0.5)")
    p.add_argument("--concurrent", type=int, metavar="N",
                   help="hold N concurrent calls and report memory per active call")
    p.add_argument("--concurrent-rate", type=int, default=1000,
                   help="ramp rate for --concurrent (default 1000 cps)")
    p.add_argument("--plateau", type=float, default=20,
                   help="seconds at full occupancy for --concurrent (default 20)")
    p.add_argument("--max-seconds", type=int, default=900,
                   help="hard bound on every sipp process (default 900)")
    p.add_argument("--trunk-tls", action="store_true",
                   help="also measure each SUT with the provider reached over TLS (stunnel in "
                   "front of the sipp UAS) and new TLS handshakes per second")
    p.add_argument("--handshake-seconds", type=float, default=5,
                   help="--trunk-tls: seconds of the handshake loop (default 5; 0 skips it)")
    p.add_argument("--handshake-clients", type=int, default=2,
                   help="--trunk-tls: client processes of the handshake loop (default 2)")
    p.add_argument("--policy", help="run trunkguard with the call policy on: 'builtin' (200 "
                   "rules, 10,000 rated prefixes) or a JSON file holding a policy section")
    p.add_argument("--no-media", action="store_true",
                   help="run trunkguard with media.anchor: false (signalling only, like the "
                        "Kamailio baseline; the default anchors every call's media)")
    p.add_argument("--policy-compare", action="store_true",
                   help="measure trunkguard without and with --policy (default builtin)")
    p.add_argument("--admin-compare", action="store_true",
                   help="measure trunkguard without and with the admin API on, /metrics "
                   "scraped and one /api/v1/stream client open")
    p.add_argument("--store-compare", action="store_true",
                   help="measure trunkguard with the call policy's counters in the memory "
                   "store and in Redis (a redis-server started here)")
    p.add_argument("--capture-compare", action="store_true",
                   help="trunkguard without and with SIP capture (HEP over UDP)")
    p.add_argument("--scrape-interval", type=float, default=1.0,
                   help="--admin-compare: seconds between /metrics scrapes (default 1)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    return p.parse_args()


def main():
    args = parse_args()
    kinds = ["trunkguard", "kamailio"] if args.sut == "both" else [args.sut]
    if args.policy_compare:
        args.policy = args.policy or "builtin"
        kinds = ["trunkguard", "trunkguard+policy"]
    elif args.admin_compare:
        kinds = ["trunkguard", "trunkguard+admin"]
    elif args.store_compare:
        args.policy = args.policy or "builtin"
        kinds = ["trunkguard+policy", "trunkguard+redis"]
    elif args.capture_compare:
        kinds = ["trunkguard", "trunkguard+capture"]
    elif args.policy:
        kinds = ["trunkguard+policy" if k == "trunkguard" else k for k in kinds]
    if args.trunk_tls:
        kinds = [k for base in kinds for k in (base, base + "+tls")]
    import tempfile
    workdir = tempfile.mkdtemp(prefix="tg-load-")
    print(f"load: {', '.join(kinds)}; working directory {workdir}", flush=True)
    env = environment()
    print(f"environment: {env}", flush=True)
    results, errors = [], []
    for kind in kinds:
        bench = Bench(args, kind, workdir)
        try:
            bench.start()
            if args.concurrent:
                print(f"{kind}: {args.concurrent} concurrent calls (ramp "
                      f"{args.concurrent_rate} cps, plateau {args.plateau:.0f} s)", flush=True)
                r = bench.concurrent(args.concurrent, args.concurrent_rate, args.plateau)
                results.append(r)
                print(f"  {kind}: {r['active_at_peak']} active at peak; RSS "
                      f"{r['rss_kb_idle'] / 1024:.1f} -> {r['rss_kb_peak'] / 1024:.1f} MB "
                      f"({fmt(r['rss_bytes_per_call'], ' B')}/call), PSS "
                      f"{r['pss_kb_idle'] / 1024:.1f} -> {r['pss_kb_peak'] / 1024:.1f} MB "
                      f"({fmt(r['pss_bytes_per_call'], ' B')}/call), after the calls "
                      f"{r['rss_kb_end'] / 1024:.1f} MB RSS; {r['successful']} ok, "
                      f"{r['failed']} failed", flush=True)
            elif args.knee:
                last_ok = None
                rate = args.knee_start
                while rate <= args.knee_max:
                    r = bench.calls(rate, int(rate * args.duration), args.hold_ms)
                    results.append(r)
                    print_run(r)
                    short = r["achieved_rate"] < 0.9 * rate
                    if (r["failed_pct"] or 0) > args.knee_threshold or short or r.get("error"):
                        why = ("sipp could not offer the rate" if short and not r["failed"]
                               else f"{fmt(r['failed_pct'], '%', 2)} failed")
                        print(f"  {kind}: knee passed at {rate} cps ({why}); last rate "
                              f"within {args.knee_threshold}%: {last_ok or 'none'} cps",
                              flush=True)
                        break
                    last_ok = rate
                    rate += args.knee_step
                else:
                    print(f"  {kind}: no knee up to {args.knee_max} cps", flush=True)
                results.append({"sut": kind, "knee_last_ok_cps": last_ok})
            else:
                print(f"{kind}: {args.rate} cps for {args.duration:.0f} s, hold "
                      f"{args.hold_ms} ms", flush=True)
                r = bench.calls(args.rate, int(args.rate * args.duration), args.hold_ms)
                results.append(r)
                print_run(r)
                if bench.tls and args.handshake_seconds > 0:
                    h = bench.handshakes(args.handshake_seconds, args.handshake_clients)
                    results.append(h)
                    print(f"  {kind}: {h['handshakes']} new TLS handshakes in {h['elapsed_s']} s"
                          f" ({h['failed']} failed), SUT cpu {h['cpu_s']} s = "
                          f"{fmt(h['handshakes_per_cpu_s'])} handshakes per core-second",
                          flush=True)
        except harness.TestFailure as e:
            errors.append(f"{kind}: {e}")
            print(f"  {kind}: NOT MEASURED: {e}", flush=True)
            if bench.sut is not None:
                print(bench.sut.diagnostics(), flush=True)
        finally:
            bench.stop()
            harness.cleanup_processes()
    if args.policy_compare:
        print(policy_line(results), flush=True)
    elif args.admin_compare and not args.concurrent and not args.knee:
        print(admin_line(results), flush=True)
    elif args.store_compare and not args.concurrent and not args.knee:
        print(store_line(results), flush=True)
    elif args.capture_compare and not args.concurrent and not args.knee:
        print(capture_line(results), flush=True)
    elif args.trunk_tls and not args.concurrent and not args.knee:
        print(ratio_line([r for r in results if r.get("name") != "handshakes"]), flush=True)
        for line in tls_lines(results):
            print(line, flush=True)
    elif not args.concurrent and not args.knee:
        print(ratio_line(results), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "args": vars(args), "results": results,
                   "errors": errors}, f, indent=2)
    if not args.keep and not errors:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)
    elif errors:
        print(f"working directory kept: {workdir}", flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
