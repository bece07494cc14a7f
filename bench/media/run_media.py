#!/usr/bin/env python3
"""Media relay benchmark (issue 13, Performance): trunkguard's relay against rtpengine.

The same RTP calls (N calls, --pps packets per second each way, 12-byte header + 160-byte
payload: 20 ms of G.711) are relayed in one run through:
  - rtpengine (Debian's rtpengine-daemon) in userspace (--table=-1, no kernel module), its
    calls set up over its ng control socket (bencode over UDP: offer, answer, delete);
  - trunkguard's relay engine (media::RelayEngine, the daemon's media threads) in a process of
    its own (tg_media_relay), its streams opened as the offer/answer hook opens them.
Both relay plain RTP with one media thread and learn each leg's source from the packets.
tg_rtp_gen (C++, sendmmsg/recvmmsg) plays both ends of every call and measures loss, latency
through the relay and RFC 3550 jitter; its own CPU is printed so that a generator at its limit
shows. Each relay's CPU is read from /proc/PID/stat (utime + stime, every thread) over the
measured seconds, after a warm-up second in which the sources are learned.

    python3 bench/media/run_media.py --build build [--calls 125,500,1000] [--seconds 10]
                                     [--compare-relay /tmp/before/tg_media_relay]

Loopback only. Prints one table row per relay and call count and the ratio trunkguard /
rtpengine of CPU per packet.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")


def free_port_pair():
    """An even port whose pair is free on 127.0.0.1 (the generator's RTP and RTCP)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1] & ~1
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair on 127.0.0.1")


def udp_rcvbuf_errors():
    """Datagrams the kernel dropped because a UDP socket's receive buffer was full (any socket:
    the generator's or a relay's), from /proc/net/snmp."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# --- bencode (the ng protocol's encoding) ----------------------------------------------------

def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(type(value))


def bdecode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            v, i = bdecode(data, i)
            out[k.decode()] = v
        return out, i + 1
    colon = data.index(b":", i)
    length = int(data[i:colon])
    return data[colon + 1:colon + 1 + length], colon + 1 + length


class Ng:
    """rtpengine's ng control socket."""

    def __init__(self, port):
        self.addr = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(2)
        self.n = 0

    def command(self, **params):
        self.n += 1
        cookie = b"c%d" % self.n
        self.sock.sendto(cookie + b" " + bencode(params), self.addr)
        while True:
            data, _ = self.sock.recvfrom(65535)
            if data.startswith(cookie + b" "):
                break
        reply, _ = bdecode(data, len(cookie) + 1)
        if reply.get("result") not in (b"ok", b"pong"):
            raise RuntimeError(f"rtpengine {params['command']}: {reply}")
        return reply


def sdp(port, session):
    return ("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % (session, port))


def sdp_port(body):
    return int(re.search(rb"^m=audio (\d+) ", body, re.M).group(1))


# --- the relays --------------------------------------------------------------------------------

def wait_for_ng(ng, proc, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("rtpengine exited at start (see its stderr above)")
        try:
            ng.command(command="ping")
            return
        except (socket.timeout, ConnectionRefusedError, RuntimeError):
            time.sleep(0.2)
    raise RuntimeError("rtpengine's ng socket did not answer")


def start_rtpengine(calls, src_a, src_b, workdir):
    ng_port = free_port_pair()
    log = open(os.path.join(workdir, "rtpengine.log"), "w")
    proc = subprocess.Popen(
        ["rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=4",
         "--table=-1", "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{ng_port}",
         "--port-min=20000", "--port-max=29999", "--num-threads=1", "--timeout=600",
         "--delete-delay=0", f"--pidfile={workdir}/rtpengine.pid"],
        stdout=log, stderr=subprocess.STDOUT)
    ng = Ng(ng_port)
    try:
        wait_for_ng(ng, proc)
        return proc, ng, offer_answer(ng, calls, src_a, src_b)
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def offer_answer(ng, calls, src_a, src_b):
    ports = []
    for i in range(calls):
        call_id, from_tag, to_tag = f"bench-{i}", f"a{i}", f"b{i}"
        offer = ng.command(command="offer", **{"call-id": call_id, "from-tag": from_tag},
                           sdp=sdp(src_a, i), replace=["origin", "session-connection"])
        b_port = sdp_port(offer["sdp"])  # where the B end sends
        answer = ng.command(command="answer", **{"call-id": call_id, "from-tag": from_tag,
                                                 "to-tag": to_tag},
                            sdp=sdp(src_b, i), replace=["origin", "session-connection"])
        ports.append((sdp_port(answer["sdp"]), b_port))  # (where the A end sends, B end)
    return ports


def stop_rtpengine(proc, ng, calls):
    for i in range(calls):
        ng.command(command="delete", **{"call-id": f"bench-{i}", "from-tag": f"a{i}"})
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_trunkguard(binary, calls, src_a, src_b):
    proc = subprocess.Popen(
        [binary, "--streams", str(calls), "--peer-a", f"127.0.0.1:{src_a}",
         "--peer-b", f"127.0.0.1:{src_b}", "--port-min", "30000", "--port-max", "39999",
         "--threads", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ports = []
    for line in proc.stdout:
        if line.strip() == "ready":
            return proc, ports
        a, b = line.split()
        ports.append((int(a), int(b)))
    raise RuntimeError("tg_media_relay exited before it was ready")


def drive(generator, ports, src_a, src_b, seconds, pps, workdir, pid):
    """Warms the latches up for a second, then measures `seconds` with the relay's CPU."""
    targets = os.path.join(workdir, "targets.txt")
    with open(targets, "w") as f:
        f.writelines(f"{a} {b}\n" for a, b in ports)
    base = [generator, "--targets", targets, "--src-a", str(src_a), "--src-b", str(src_b),
            "--pps", str(pps)]
    subprocess.run(base + ["--seconds", "1"], check=True, capture_output=True)
    before = cpu_ticks(pid)
    drops_before = udp_rcvbuf_errors()
    out = subprocess.run(base + ["--seconds", str(seconds)], check=True, capture_output=True,
                         text=True).stdout
    after = cpu_ticks(pid)
    drops = udp_rcvbuf_errors() - drops_before
    result = json.loads(out)
    result["rcvbuf_drops"] = drops
    result["relay_cpu_s"] = (after - before) / TICK
    relayed = result["received"]
    result["relay_cpu_us_per_packet"] = (result["relay_cpu_s"] * 1e6 / relayed) if relayed else 0
    return result


def run_relay(binary, calls, src_a, src_b, generator, args, workdir, with_counters=False):
    proc, ports = start_trunkguard(binary, calls, src_a, src_b)
    try:
        result = drive(generator, ports, src_a, src_b, args.seconds, args.pps, workdir, proc.pid)
    finally:
        proc.stdin.close()
        counters = proc.stdout.read().strip()
        proc.wait(10)
    return (result, counters) if with_counters else result


def row(name, r, pps):
    loss = 100.0 * r["lost"] / r["sent"] if r["sent"] else 0
    # Behind by more than a packet interval, or losing packets: the machine (or the generator)
    # could not keep up, and the CPU per packet of that row is not the relay's alone.
    warning = ""
    if r["max_send_lag_us"] > 1e6 / pps or loss > 0.1:
        warning = " OVERLOADED: the generator fell behind or packets were lost; not comparable"
    return (f"| {name} | {r['calls']} | {r['calls'] * pps * 2:,} | {r['relay_cpu_s']:.2f} | "
            f"{r['relay_cpu_us_per_packet']:.2f} | {r['lost']} ({loss:.2f}%), "
            f"{r['rcvbuf_drops']} | "
            f"{r['latency_p50_us']:.0f} / {r['latency_p99_us']:.0f} | {r['jitter_mean_us']:.1f} | "
            f"{r['generator_cpu_s']:.2f} | {r['max_send_lag_us'] / 1000:.1f} |{warning}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build")
    # The 250, 1,000 and 2,000 one-way streams (12,500, 50,000 and 100,000 packets/s).
    parser.add_argument("--calls", default="125,500,1000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pps", type=int, default=50, help="packets per second each way")
    parser.add_argument("--compare-relay", metavar="PATH",
                        help="another tg_media_relay binary (an earlier commit's) run on the "
                             "same calls after trunkguard's, for a before/after in one run")
    args = parser.parse_args()
    relay = os.path.join(args.build, "bench", "tg_media_relay")
    generator = os.path.join(args.build, "bench", "tg_rtp_gen")
    for path in (relay, generator):
        if not os.access(path, os.X_OK):
            sys.exit(f"run_media: {path} is missing (cmake --build {args.build} "
                     "--target tg_media_relay tg_rtp_gen)")
    if shutil.which("rtpengine") is None:
        sys.exit("run_media: rtpengine is missing (apt-get install rtpengine-daemon, "
                 "scripts/install-deps.sh)")
    print(f"# load average at start: {os.getloadavg()[0]:.2f}; {args.seconds:g} s measured per "
          f"row after 1 s of warm-up; {args.pps} packets/s each way, 172-byte packets")
    print("| relay | calls | packets/s offered (both ways) | relay CPU s | CPU µs/packet | "
          "lost, UDP receive-buffer drops | latency p50 / p99 µs | jitter µs | "
          "generator CPU s | generator max lag ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    compared = []
    for calls in (int(c) for c in args.calls.split(",")):
        src_a, src_b = free_port_pair(), free_port_pair()
        while src_b == src_a:
            src_b = free_port_pair()
        with tempfile.TemporaryDirectory() as workdir:
            proc, ng, ports = start_rtpengine(calls, src_a, src_b, workdir)
            try:
                rtpengine = drive(generator, ports, src_a, src_b, args.seconds, args.pps,
                                  workdir, proc.pid)
            finally:
                stop_rtpengine(proc, ng, calls)
            print(row("rtpengine", rtpengine, args.pps), flush=True)
            ours, counters = run_relay(relay, calls, src_a, src_b, generator, args, workdir,
                                       with_counters=True)
            print(row("trunkguard", ours, args.pps), flush=True)
            print(f"#   trunkguard relay counters: {counters}")
            if args.compare_relay:
                other = run_relay(args.compare_relay, calls, src_a, src_b, generator, args,
                                  workdir)
                print(row("trunkguard (--compare-relay)", other, args.pps), flush=True)
                compared.append((calls, ours["relay_cpu_us_per_packet"] /
                                 other["relay_cpu_us_per_packet"]))
        if rtpengine["relay_cpu_us_per_packet"] > 0:
            ratios.append((calls, ours["relay_cpu_us_per_packet"] /
                           rtpengine["relay_cpu_us_per_packet"]))
    for calls, ratio in ratios:
        print(f"ratio trunkguard / rtpengine, CPU per packet, {calls} calls: {ratio:.2f}")
    for calls, ratio in compared:
        print(f"ratio trunkguard / --compare-relay, CPU per packet, {calls} calls: {ratio:.2f}")


if __name__ == "__main__":
    main()
