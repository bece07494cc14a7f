#!/usr/bin/env python3
"""Per-thread CPU of every running trunkguard process, once a second, for SECONDS seconds.

Prints "epoch_s pid tid ticks" for each thread that used CPU in that second (ticks: 1/100 s
on Linux, utime+stime from /proc/PID/task/TID/stat). Run it next to run_load.py to see which
worker threads did the work of a phase, e.g. the TLS handshake loop with `--workers 2`.

    python3 bench/load/thread_cpu.py 120 > threads.txt
"""
import glob
import sys
import time


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    previous = {}
    end = time.time() + seconds
    while time.time() < end:
        now = time.time()
        for proc in glob.glob("/proc/[0-9]*"):
            try:
                with open(proc + "/cmdline", "rb") as f:
                    if not f.read().split(b"\0")[0].endswith(b"trunkguard"):
                        continue
                for task in glob.glob(proc + "/task/*"):
                    with open(task + "/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    ticks = int(fields[11]) + int(fields[12])
                    key = (proc.rsplit("/", 1)[1], task.rsplit("/", 1)[1])
                    if key in previous and ticks > previous[key]:
                        print(f"{now:.0f} {key[0]} {key[1]} {ticks - previous[key]}", flush=True)
                    previous[key] = ticks
            except (OSError, IndexError):
                continue  # the process or thread ended meanwhile
        time.sleep(1)


if __name__ == "__main__":
    main()
