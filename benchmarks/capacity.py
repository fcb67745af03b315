"""Capacity of the web app under a class of students: Locust (``benchmarks/locustfile.py``) over HTTP.

``levels``: for each user count, a fresh ``xai-demo serve`` (embedded teaching set, warm-up finished), then
``--seconds`` of students arriving over ``--ramp`` seconds. Per level: actions/s, p50/p95/p99 per action, errors,
busy answers to trainings, the server's peak resident memory, and the machine's load average (the machine is
shared: the load says how much of the 2 cores the server really had).

``replicas``: the same class through HAProxy in front of 1, then 2 replicas, in one run: the throughput ratio.

    python benchmarks/capacity.py levels --users 50 100 200 --seconds 120 --out benchmarks/results/capacity.json
    python benchmarks/capacity.py replicas --users 100 --seconds 90
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from deploy_support import (  # noqa: E402
    LocustRun,
    deployment,
    start_locust,
    start_replicas,
    students,
)

ACTIONS = ("open page", "explore case", "add artefact", "quiz question", "quiz answer", "train",
           "explain with own model")


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Sampler(threading.Thread):
    """Samples the servers' RSS and the load average every 2 s until stopped, and the CPU time the servers
    used meanwhile (on a shared machine, the share of the cores they really had)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.rss, self.load = pids, [], []
        self.halt = threading.Event()
        self.cpu0, self.t0 = sum(_cpu_seconds(p) for p in pids), time.monotonic()
        self.cpu1, self.t1 = self.cpu0, self.t0

    def run(self) -> None:
        while not self.halt.wait(2.0):
            self.rss.append(sum(_rss_mib(p) for p in self.pids))
            self.load.append(os.getloadavg()[0])
            self.cpu1, self.t1 = sum(_cpu_seconds(p) for p in self.pids), time.monotonic()

    def summary(self) -> dict:
        cpu = self.cpu1 - self.cpu0
        return {"server_cpu_s": round(cpu, 1), "server_cores_used": round(cpu / max(self.t1 - self.t0, 1e-9), 2),
                "rss_peak_mib": round(max(self.rss, default=0), 1),
                "rss_end_mib": round(self.rss[-1] if self.rss else 0, 1),
                "load_avg_1min": [round(min(self.load, default=0), 2), round(max(self.load, default=0), 2)]}


def _wait_warm(url: str, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if requests.get(url.rstrip("/") + "/healthz", timeout=10).json().get("warm"):
            return time.monotonic() - started
        time.sleep(2)
    return -1


def summarise(run: LocustRun, seconds: float) -> dict:
    """Per action: count, failures, actions/s, p50/p95/p99 (ms); the run's totals; busy answers."""
    out = {}
    for name in ACTIONS:
        row = run.rows.get(name)
        if row:
            out[name] = {"n": int(row["Request Count"]), "fails": int(row["Failure Count"]),
                         "per_s": round(float(row["Requests/s"]), 2),
                         **{f"p{q}_ms": int(float(row[f"{q}%"] or 0)) for q in (50, 95, 99)}}
    total = run.rows.get("Aggregated", {})
    busy = run.rows.get("train: busy, try again", {})
    seen = students(run)
    errors = sorted({e.split(":")[0] + ": " + e.split(":", 2)[-1][:80] for s in seen for e in s["errors"]})
    return {"actions": out, "actions_per_s": round(float(total.get("Requests/s", 0)), 2),
            "failures": int(total.get("Failure Count", 0)), "busy_answers": int(busy.get("Request Count", 0)),
            "students": len(seen), "students_completed": sum(s["completed"] for s in seen),
            "error_samples": errors[:6], "seconds": seconds}


def _per_action(result: dict) -> float | None:
    """Server CPU milliseconds per completed action (all actions of the run, trainings included)."""
    actions = sum(a["n"] for a in result["actions"].values())
    return round(1000 * result["server_cpu_s"] / actions, 1) if actions else None


def levels(args: argparse.Namespace, folder: Path) -> list[dict]:
    results = []
    for users in args.users:
        servers = start_replicas(["single"], folder / f"u{users}")
        server = servers["single"]
        try:
            warm = _wait_warm(server.url)
            sampler = Sampler([server.process.pid])
            sampler.start()
            run = start_locust(server.url, users, args.seconds, folder, spawn_rate=users / args.ramp,
                               stop_timeout=args.stop_timeout, name=f"u{users}")
            run.wait(args.seconds + args.stop_timeout + 120)
            sampler.halt.set()
            result = {"users": users, "warm_up_s": round(warm, 1), **summarise(run, args.seconds),
                      **sampler.summary()}
            result["server_cpu_ms_per_action"] = _per_action(result)
        finally:
            server.stop()
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def replicas(args: argparse.Namespace, folder: Path) -> list[dict]:
    results = []
    for count in args.replicas:
        names = [f"app{i + 1}" for i in range(count)]
        with deployment(names) as (servers, proxy):
            for server in servers.values():
                _wait_warm(server.url)
            sampler = Sampler([s.process.pid for s in servers.values()])
            sampler.start()
            users = args.users[0]
            run = start_locust(proxy.url, users, args.seconds, folder, spawn_rate=users / args.ramp,
                               stop_timeout=args.stop_timeout, name=f"r{count}")
            run.wait(args.seconds + args.stop_timeout + 120)
            sampler.halt.set()
            result = {"replicas": count, "users": users, **summarise(run, args.seconds), **sampler.summary()}
            result["server_cpu_ms_per_action"] = _per_action(result)
        print(json.dumps(result), flush=True)
        results.append(result)
    if len(results) == 2:
        ratio = results[1]["actions_per_s"] / max(results[0]["actions_per_s"], 1e-9)
        print(json.dumps({"throughput_ratio_2_vs_1": round(ratio, 2)}), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["levels", "replicas"])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--ramp", type=float, default=20, help="seconds over which the students arrive")
    parser.add_argument("--stop-timeout", type=float, default=20, help="seconds a visit may finish after the run")
    parser.add_argument("--out", "--json", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="xai_capacity_"))
    started = time.time()
    results = levels(args, folder) if args.mode == "levels" else replicas(args, folder)
    report = {"mode": args.mode, "started_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)),
              "cpus": os.cpu_count(), "seconds": args.seconds, "ramp": args.ramp, "results": results,
              "environment": {k: v for k, v in os.environ.items() if k.startswith("XAI_LOAD_")}}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
