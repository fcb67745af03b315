"""Every benchmark in a short configuration, and the numbers behind the README's tables in one JSON file.

    python benchmarks/run_all.py                      # or: make benchmark; writes benchmarks/results.json
    python benchmarks/run_all.py --only explain_latency train_sizes --out /tmp/results.json
    python benchmarks/run_all.py --full               # the README's configurations (much longer)

The short configuration (about 6 minutes on 2 cores, see the README) runs each script with fewer repeats,
sizes or clients than the README tables, so its numbers are noisier but come from the same code. Each script
runs in its own process, one after the other; a failing script is recorded (return code, last lines of its
stderr) and the others still run. Results are taken from the script's ``--json`` file when it has one, else
from its standard output: a JSON object, or else its markdown tables as lists of rows.

Adding a benchmark: append a :class:`Benchmark` to :data:`BENCHMARKS`. A script in this folder that is not
listed is reported under ``"not_listed"`` so that nothing is forgotten silently.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Benchmark:
    """One script: its short and README (``full``) arguments, and whether it writes ``--json FILE``."""

    name: str  # benchmarks/<name>.py
    short: tuple[str, ...]
    full: tuple[str, ...] = ()
    json_flag: bool = False
    timeout: float = 900.0  # seconds


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("explain_latency", ("--sizes", "28", "64", "128", "--repeats", "2"), json_flag=True),
    Benchmark("train_sizes", ("--from-cards",), ()),  # the committed checkpoints' cards; `full` retrains (~10 min)
    Benchmark("load_app", ("--clients", "4", "--requests", "2", "--server-runs", "5", "--timeout", "60"),
              ("--clients", "20", "--requests", "5", "--server-runs", "30")),
    Benchmark("cold_start", ("--runs", "1"), ("--runs", "3"), json_flag=True),
    Benchmark("fuzz_loaders", ("--examples", "300"), ("--examples", "20000"), timeout=3600.0),
    Benchmark("soak_app", ("--sessions", "4", "--minutes", "1", "--sample", "5"), ("--sessions", "8", "--minutes", "3"),
              timeout=1800.0),
    # a class over HTTP with Locust (one server per level; the 1 vs 2 replicas run is `capacity.py replicas`)
    Benchmark("capacity", ("levels", "--users", "20", "--seconds", "30"),
              ("levels", "--users", "50", "100", "200", "--seconds", "120"), json_flag=True, timeout=1800.0),
)
NOT_BENCHMARKS = {"run_all", "locustfile", "gradio_http"}  # scripts in this folder that are not benchmarks


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every markdown table in ``text`` as a list of rows ``{column header: cell}``."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if len(block) >= 2:
            header, rows = block[0], [r for r in block[1:] if not set("".join(r)) <= set("-: ")]
            tables.append([dict(zip(header, r, strict=False)) for r in rows])
        block = []
    return tables


def json_object(text: str) -> dict | None:
    """The first JSON object in ``text`` that starts a line (a script may print other lines around it)."""
    decoder = json.JSONDecoder()
    for start in [i for i in range(len(text)) if text[i] == "{" and (i == 0 or text[i - 1] == "\n")]:
        try:
            return decoder.raw_decode(text, start)[0]
        except ValueError:
            continue
    return None


def run(bench: Benchmark, full: bool) -> dict:
    """Run one script; returns ``{"args", "seconds", "returncode", "results" or "error"}``."""
    args = list(bench.full if full else bench.short)
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "out.json"
        if bench.json_flag:
            args += ["--json", str(json_path)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(HERE / f"{bench.name}.py"), *args], capture_output=True,
                                  text=True, timeout=bench.timeout, env=env, cwd=ROOT)
        except subprocess.TimeoutExpired:
            return {"args": args, "seconds": bench.timeout, "returncode": None,
                    "error": f"timed out after {bench.timeout:.0f} s"}
        entry: dict = {"args": args, "seconds": round(time.perf_counter() - started, 1), "returncode": done.returncode}
        if done.returncode != 0:
            entry["error"] = done.stderr.strip()[-2000:]
            return entry
        if bench.json_flag and json_path.is_file():
            entry["results"] = json.loads(json_path.read_text())
        else:
            found = json_object(done.stdout)
            entry["results"] = found if found is not None else {"tables": markdown_tables(done.stdout)}
        entry["stdout"] = done.stdout.strip()[-4000:]
        return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="(default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHMARKS], help="run these only")
    parser.add_argument("--full", action="store_true", help="the README's configurations instead of short ones")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    listed = {b.name for b in BENCHMARKS} | NOT_BENCHMARKS
    report: dict = {
        "configuration": "full" if args.full else "short",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"load {os.getloadavg()[0]:.2f}",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "not_listed": sorted(p.stem for p in HERE.glob("*.py") if p.stem not in listed),
        "benchmarks": {},
    }
    started = time.perf_counter()
    for bench in chosen:
        print(f"{bench.name} ...", end=" ", flush=True)
        report["benchmarks"][bench.name] = entry = run(bench, args.full)
        print(f"{entry['seconds']:.0f} s" + ("" if entry.get("returncode") == 0 else " FAILED"), flush=True)
        report["seconds"] = round(time.perf_counter() - started, 1)
        args.out.write_text(json.dumps(report, indent=2))  # after each script: partial results survive a crash
    failed = [n for n, e in report["benchmarks"].items() if e.get("returncode") != 0]
    print(f"{report['seconds']:.0f} s in all; results in {args.out}" + (f"; FAILED: {failed}" if failed else ""))
    if report["not_listed"]:
        print(f"not run (add them to BENCHMARKS in {Path(__file__).name}): {report['not_listed']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
