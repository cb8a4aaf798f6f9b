#!/usr/bin/python3
"""Scrapes Prometheus endpoints at a fixed interval and measures the CPU time of the processes behind them.

  scrape_window.py --interval S --warmup S --window S NAME=PID=URL ...

Each target gets its own scraper thread that fetches URL every S seconds on a fixed schedule (no drift; a
new connection per scrape, as curl or Prometheus without keep-alive would). After the warm-up, the CPU time of
each PID is read from /proc/PID/stat (utime + stime + cutime + cstime, in clock ticks / sysconf(SC_CLK_TCK))
and, as a finer cross-check, from /proc/PID/task/*/schedstat (nanoseconds on the CPU, threads alive at both
reads); again after the window. Prints one JSON object: per target the CPU seconds, % of one core over the
window, scrapes done and failed, mean scrape latency. The scraper's own CPU is not charged to anyone.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.request

TCK = os.sysconf("SC_CLK_TCK")


def stat_ticks(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state is field 3
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))  # fields 14-17 of proc(5)
    return utime + stime + cutime + cstime


def schedstat_ns(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
                out[tid] = int(f.read().split()[0])
        except OSError:
            pass
    return out


class Scraper(threading.Thread):
    def __init__(self, url, interval, stop_at):
        super().__init__(daemon=True)
        self.url, self.interval, self.stop_at = url, interval, stop_at
        self.ok = self.failed = 0
        self.latency_s = 0.0
        self.bytes = 0
        self.counting = False
        self.first_error = ""

    def run(self):
        tick = time.monotonic()
        while tick < self.stop_at:
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=max(self.interval, 1.0)) as r:
                    body = r.read()
                if self.counting:
                    self.ok += 1
                    self.bytes = len(body)
                    self.latency_s += time.monotonic() - t0
            except Exception as e:  # noqa: BLE001 - any failure is counted and reported
                if self.counting:
                    self.failed += 1
                    self.first_error = self.first_error or str(e)
            tick += self.interval
            delay = tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, required=True)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("targets", nargs="+", help="NAME=PID=URL")
    a = ap.parse_args()
    targets = []
    start = time.monotonic()
    stop_at = start + a.warmup + a.window
    for spec in a.targets:
        name, pid, url = spec.split("=", 2)
        targets.append({"name": name, "pid": int(pid), "url": url, "scraper": Scraper(url, a.interval, stop_at)})
    for t in targets:
        t["scraper"].start()
    time.sleep(a.warmup)
    for t in targets:
        t["scraper"].counting = True
        t["ticks0"], t["sched0"] = stat_ticks(t["pid"]), schedstat_ns(t["pid"])
    w0 = time.monotonic()
    time.sleep(max(0.0, stop_at - time.monotonic()))
    wall = time.monotonic() - w0
    for t in targets:
        t["ticks1"], t["sched1"] = stat_ticks(t["pid"]), schedstat_ns(t["pid"])
        t["scraper"].counting = False
    result = {"interval_s": a.interval, "window_s": wall, "clock_ticks_per_s": TCK, "targets": {}}
    for t in targets:
        s = t["scraper"]
        cpu_s = (t["ticks1"] - t["ticks0"]) / TCK
        common = set(t["sched0"]) & set(t["sched1"])
        sched_s = sum(t["sched1"][k] - t["sched0"][k] for k in common) / 1e9
        result["targets"][t["name"]] = {
            "pid": t["pid"], "url": t["url"],
            "cpu_s": cpu_s, "percent_of_one_core": 100.0 * cpu_s / wall,
            "schedstat_cpu_s": sched_s, "schedstat_percent_of_one_core": 100.0 * sched_s / wall,
            "schedstat_threads": len(common),
            "scrapes_ok": s.ok, "scrapes_failed": s.failed, "first_error": s.first_error,
            "mean_scrape_latency_s": s.latency_s / s.ok if s.ok else None, "last_body_bytes": s.bytes}
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0 if all(t["scraper"].failed == 0 for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
