#!/usr/bin/env python3
"""A labelled call trace for `trunkguard replay` (docs/fraud.md, "Trace format").

A US business of --accounts extensions working Monday to Friday, --history-days of normal
calling (domestic, mobile, some international to each account's usual countries, inbound calls
to the DIDs), then one attack day that mixes, with the normal traffic of that day:

  irsf     a hijacked extension at 03:00 UTC: a few short test calls into one international
           range, then parallel long calls into it (revenue share pumping);
  wangiri  extensions calling back one-ring numbers (the inbound one-ring calls themselves are
           labelled wangiri-bait);
  slow     another hijacked extension: one international call into a new range every 40 min
           through the night (low-volume fraud);
  legit    everything else, including two benign surprises that must not be blocked: a sales
           trip (an extension calling a country it never called, in office hours) and a
           marketing campaign day (three extensions calling three times their usual volume).

Seeded: the same arguments give the same trace. No network.
"""
import argparse
import csv
import datetime as dt
import random
import sys

USUAL_COUNTRIES = [("44", 10), ("49", 10), ("52", 10), ("33", 9), ("34", 9), ("39", 10)]
ATTACK_RANGE = "3712091"      # Latvia: "international" class, a typical IRSF range
SLOW_RANGES = ["3706112", "3726911", "4219221"]
WANGIRI_PREFIXES = ["2332", "2348", "2524"]  # Ghana, Nigeria (international), Somalia (high-risk)
TRIP_COUNTRY = ("81", 10)     # Japan: new for the whole site


def nanp(rng):
    return f"1{rng.choice(['212', '415', '617', '312', '646'])}{rng.randint(2000000, 9999999)}"


def intl(rng, cc, length):
    return "011" + cc + "".join(str(rng.randint(0, 9)) for _ in range(length - len(cc)))


class Writer:
    def __init__(self, out):
        self.rows = []
        self.out = out

    def call(self, start, zone, source, account, frm, to, answer_after, duration, label,
             ring=None):
        self.rows.append({
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "zone": zone, "source": source,
            "account": account, "from": frm, "to": to,
            "answer_after_s": "" if answer_after is None else f"{answer_after:.0f}",
            "duration_s": f"{duration:.0f}", "ring_s": "" if ring is None else f"{ring:.0f}",
            "label": label})

    def write(self):
        self.rows.sort(key=lambda r: r["start"])
        w = csv.DictWriter(self.out, fieldnames=["start", "zone", "source", "account", "from",
                                                 "to", "answer_after_s", "duration_s",
                                                 "ring_s", "label"])
        w.writeheader()
        w.writerows(self.rows)


def normal_day(rng, w, day, accounts, usual, volume):
    """One working day of legitimate traffic."""
    if day.weekday() >= 5:
        return
    for acct in accounts:
        for _ in range(int(rng.gauss(12, 3) * volume.get(acct, 1))):
            t = day + dt.timedelta(hours=rng.uniform(8, 18))
            r = rng.random()
            if r < 0.05:
                cc, n = rng.choice(usual[acct])
                to = intl(rng, cc, n + 1)
            else:
                to = nanp(rng)
            answered = rng.random() < 0.7
            w.call(t, "pbx", "10.0.0.10", acct, "12125550100", to,
                   rng.uniform(3, 20) if answered else None,
                   rng.expovariate(1 / 180) if answered else 0, "legit",
                   ring=None if answered else rng.uniform(15, 30))
    for _ in range(int(rng.gauss(80, 10))):  # inbound to the DIDs
        t = day + dt.timedelta(hours=rng.uniform(8, 18))
        answered = rng.random() < 0.8
        w.call(t, "trunk", "203.0.113.5", "", "+" + nanp(rng), "12125550100",
               rng.uniform(2, 15) if answered else None,
               rng.expovariate(1 / 200) if answered else 0, "legit",
               ring=None if answered else rng.uniform(10, 30))


def attack_day(rng, w, day, accounts):
    # IRSF: test calls, then parallel pumping, from a hijacked extension at night.
    victim = accounts[7 % len(accounts)]
    t = day + dt.timedelta(hours=3)
    for i in range(4):
        w.call(t + dt.timedelta(seconds=20 * i), "pbx", "10.0.0.10", victim, "12125550100",
               f"011{ATTACK_RANGE}{rng.randint(100, 999)}", 2, rng.uniform(2, 6), "irsf")
    t += dt.timedelta(minutes=2)
    for i in range(40):
        w.call(t + dt.timedelta(seconds=3 * i), "pbx", "10.0.0.10", victim, "12125550100",
               f"011{ATTACK_RANGE}{rng.randint(100, 999)}", 3, rng.uniform(1800, 3600), "irsf")
    # Wangiri: one-ring calls in, then callbacks from several extensions.
    baits = []
    for i in range(6):
        number = rng.choice(WANGIRI_PREFIXES) + str(rng.randint(100000, 999999))
        baits.append(number)
        w.call(day + dt.timedelta(hours=9, minutes=5 * i), "trunk", "203.0.113.5", "",
               "+" + number, "12125550100", None, 0, "wangiri-bait", ring=rng.uniform(1, 3))
    for i, number in enumerate(baits[:4]):
        w.call(day + dt.timedelta(hours=10, minutes=7 * i), "pbx", "10.0.0.10",
               accounts[(3 + i) % len(accounts)], "12125550100", "011" + number, 5, 120,
               "wangiri")
    # Slow fraud: one call every 40 minutes through the night into changing ranges.
    slow = accounts[11 % len(accounts)]
    for i in range(12):
        rng_prefix = SLOW_RANGES[i % len(SLOW_RANGES)]
        w.call(day + dt.timedelta(hours=0, minutes=40 * i), "pbx", "10.0.0.10", slow,
               "12125550100", f"011{rng_prefix}{rng.randint(100, 999)}", 4, 1500, "slow")
    # Benign surprise: a sales trip to Japan (new for the site), office hours.
    seller = accounts[12 % len(accounts)]
    for i in range(6):
        w.call(day + dt.timedelta(hours=9 + i, minutes=rng.randint(0, 50)), "pbx", "10.0.0.10",
               seller, "12125550100", intl(rng, *TRIP_COUNTRY), 6, rng.uniform(60, 900),
               "legit")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=40)
    ap.add_argument("--history-days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2026-03-02", help="first day (UTC), a Monday is best")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    accounts = [str(1001 + i) for i in range(a.accounts)]
    usual = {acct: rng.sample(USUAL_COUNTRIES, 2) for acct in accounts}
    out = sys.stdout if a.output == "-" else open(a.output, "w", newline="")
    w = Writer(out)
    first = dt.datetime.fromisoformat(a.start)
    for d in range(a.history_days):
        normal_day(rng, w, first + dt.timedelta(days=d), accounts, usual, {})
    attack = first + dt.timedelta(days=a.history_days)
    while attack.weekday() >= 5:  # an office day, so the benign surprises happen too
        attack += dt.timedelta(days=1)
    campaign = {acct: 3 for acct in accounts[20:23]}  # marketing campaign: 3x volume
    normal_day(rng, w, attack, accounts, usual, campaign)
    attack_day(rng, w, attack, accounts)
    w.write()


if __name__ == "__main__":
    main()
