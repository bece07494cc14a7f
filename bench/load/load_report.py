"""What run_load.py prints: one run's measurements, and the line that compares the SUTs (or
the two configurations) of a compare mode, each a ratio measured in the same run."""


def fmt(v, unit="", digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}{unit}"
    return f"{v}{unit}"


def print_run(r):
    reasons = f" {r['failure_reasons']}" if r["failure_reasons"] else ""
    print(f"  {r['sut']:<10} offered {r['offered_rate']} cps ({fmt(r['achieved_rate'])} "
          f"achieved), {r['created']} calls: {r['successful']} ok, {r['failed']} failed "
          f"({fmt(r['failed_pct'], '%', 2)}){reasons}", flush=True)
    print(f"             cpu {fmt(r['cpu_s'], ' s', 2)} = {fmt(r['cpu_us_per_call'], ' us')}"
          f"/call ({fmt(r['cpu_util_pct'], '%')} of a core); setup INVITE->200 p50 "
          f"{fmt(r['setup_p50_ms'], ' ms', 3)}, p99 {fmt(r['setup_p99_ms'], ' ms', 3)}, max "
          f"{fmt(r['setup_max_ms'], ' ms', 2)} ({r['setup_samples']} calls); RSS "
          f"{r['rss_kb_after'] / 1024:.1f} MB, PSS {r['pss_kb_after'] / 1024:.1f} MB over "
          f"{r['processes']} process(es)" + (f"; ERROR {r['error']}" if r.get("error") else ""),
          flush=True)
    edge = (f", provider TLS edge (stunnel) {r['tls_edge_cpu_s']} s CPU"
            if r.get("tls_edge_cpu_s") is not None else "")
    print(f"             conditions: {r['sipp_retransmissions']} sipp retransmissions, "
          f"{r['udp_rcvbuf_drops']} UDP receive-buffer drops (kernel, all sockets), machine "
          f"{r['machine_busy_pct']}% busy over {r['machine_cpus']} CPUs, provider sipp "
          f"{r['uas_cpu_s']} s CPU{edge}", flush=True)
    if r.get("admin"):
        a = r["admin"]
        print(f"             admin API during the run (counted since start): {a['scrapes']} "
              f"/metrics scrapes ({a['scrape_failures']} failed), {a['stream_ticks']} stream "
              "ticks", flush=True)
    if r.get("capture"):
        c = r["capture"]
        print(f"             capture during the run (counted since start): {c['sent']} HEP "
              f"messages sent, {c['dropped']} dropped, {c['send_errors']} send errors; the "
              f"collector received {c['collector_packets']}", flush=True)
    if r["udp_rcvbuf_drops"] or r["sipp_retransmissions"] > 0.01 * max(r["created"], 1):
        print("             WARNING: datagrams were dropped or retransmitted: the numbers above "
              "include overload of the machine or of the load generator, not only the SUT",
              flush=True)


def ratio_line(results):
    tg = next((r for r in results if r["sut"] == "trunkguard"), None)
    ka = next((r for r in results if r["sut"] == "kamailio"), None)
    x = tg["cpu_us_per_call"] if tg else None
    y = ka["cpu_us_per_call"] if ka else None
    ratio = f"{y / x:.2f}" if x and y else "n/a"
    return (f"cpu per call: trunkguard {fmt(x, ' us')}, kamailio {fmt(y, ' us')}, "
            f"ratio Y/X {ratio}")


def tls_lines(results):
    """--trunk-tls: CPU per call over UDP and TLS per SUT, and the handshake rates."""
    def pick(kind, key, name=None):
        vals = [r[key] for r in results if r.get("sut") == kind and r.get(key) is not None
                and (name is None or r.get("name") == name)]
        return vals[-1] if vals else None
    lines = []
    parts = []
    for base in ("trunkguard", "kamailio"):
        u, t = pick(base, "cpu_us_per_call"), pick(base + "+tls", "cpu_us_per_call")
        if u is None and t is None:
            continue
        ratio = f"{t / u:.2f}" if u and t else "n/a"
        parts.append(f"{base} udp {fmt(u, ' us')}, tls {fmt(t, ' us')} (tls/udp {ratio})")
    lines.append("cpu per call: " + "; ".join(parts))
    tg, ka = pick("trunkguard+tls", "cpu_us_per_call"), pick("kamailio+tls", "cpu_us_per_call")
    if tg and ka:
        lines.append(f"tls cpu per call: trunkguard {fmt(tg, ' us')}, kamailio {fmt(ka, ' us')}, "
                     f"trunkguard/kamailio {tg / ka:.2f}")
    for kind in ("trunkguard+tls", "kamailio+tls"):
        h = next((r for r in results if r.get("sut") == kind and r.get("name") == "handshakes"),
                 None)
        if h:
            name = kind.split("+")[0]
            lines.append(f"new tls handshakes: {name} {fmt(h['handshakes_per_cpu_s'])}"
                         f" per core-second ({h['handshakes_per_s']}/s achieved at "
                         f"{h['cpu_util_pct']}% of a core, {h['clients']} client processes, "
                         f"{h['failed']} failed)")
    return lines


def last(results, kind, key):
    """The last measured `key` of the SUT `kind` in `results`, or None."""
    vals = [r[key] for r in results if r.get("sut") == kind and r.get(key) is not None]
    return vals[-1] if vals else None


def ratio(x, y):
    return f"{y / x:.2f}" if x and y else "n/a"


def policy_line(results):
    """--policy-compare: the knee (or CPU per call) without and with the call policy."""
    off, on = (last(results, k, "knee_last_ok_cps") for k in ("trunkguard", "trunkguard+policy"))
    if off is not None or on is not None:
        return (f"knee: policy off {off or 'none'} cps, policy on {on or 'none'} cps, on/off "
                f"{ratio(off, on)}")
    x, y = (last(results, k, "cpu_us_per_call") for k in ("trunkguard", "trunkguard+policy"))
    return (f"cpu per call: policy off {fmt(x, ' us')}, policy on {fmt(y, ' us')}, "
            f"on/off {ratio(x, y)}")


def store_line(results):
    """--store-compare: the gateway's CPU per call and setup p99 with the memory store and with
    Redis, and what each call cost Redis itself."""
    mem, red = "trunkguard+policy", "trunkguard+redis"
    x, y = last(results, mem, "cpu_us_per_call"), last(results, red, "cpu_us_per_call")
    return (f"cpu per call: memory store {fmt(x, ' us')}, redis store {fmt(y, ' us')}, "
            f"redis/memory {ratio(x, y)}; setup p99 memory "
            f"{fmt(last(results, mem, 'setup_p99_ms'), ' ms', 3)}, redis "
            f"{fmt(last(results, red, 'setup_p99_ms'), ' ms', 3)}; redis-server "
            f"{fmt(last(results, red, 'redis_cpu_us_per_call'), ' us')} CPU and "
            f"{fmt(last(results, red, 'redis_scripts_per_call'), '', 2)} scripts per call")


def on_off_line(results, kind, what, on_label):
    """--admin-compare / --capture-compare: CPU per call of plain trunkguard and of `kind`."""
    x, y = last(results, "trunkguard", "cpu_us_per_call"), last(results, kind, "cpu_us_per_call")
    return (f"cpu per call: {what} off {fmt(x, ' us')}, {what} on ({on_label}) {fmt(y, ' us')}, "
            f"on/off {ratio(x, y)}")


def admin_line(results):
    return on_off_line(results, "trunkguard+admin", "admin", "/metrics scraped, one stream open")


def capture_line(results):
    return on_off_line(results, "trunkguard+capture", "capture", "HEP over UDP")
