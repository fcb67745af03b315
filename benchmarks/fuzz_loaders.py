"""Long fuzzing run of load_image and load_checkpoint (the bounded version is tests/test_fuzz_loaders.py).

Draws ``--examples`` inputs per loader from the Hypothesis strategies of :mod:`xai_demo.testing.fuzz`
(mutated PNG/JPEG/TIFF/BMP/WebP/16-bit/float images and checkpoints, re-zipped checkpoints with a mutated
pickle, random bytes) and counts the outcomes. An "escape" is any exception other than ImageError /
CheckpointError, a call longer than ``--hang`` seconds, or running out of the address space allowed
(``--memory`` MiB above what the process had after start-up, enforced with RLIMIT_AS). Escaping inputs
are written to ``--save`` for reproduction. Prints one JSON report; exits 1 if anything escaped.

    .venv/bin/python benchmarks/fuzz_loaders.py --examples 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, seed, settings

from xai_demo.testing.fuzz import check_checkpoint, check_image, checkpoint_inputs, image_inputs, time_limit


def _vm_bytes() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


def _run(name: str, strategy, check, examples: int, hang: float, save: Path, seed_value: int) -> dict:
    outcomes: Counter[str] = Counter()
    times: list[float] = []
    escapes: list[str] = []

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def property_(data: bytes) -> None:
        started = time.perf_counter()
        try:
            with time_limit(hang):
                outcomes[check(data)] += 1
        except Exception as exc:  # an escape: recorded and saved, the run goes on
            outcomes["escape"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            escapes.append(f"{type(exc).__name__}: {str(exc)[:120]} ({Path(where.filename).name}:{where.lineno})")
            (save / f"{name}_{len(escapes):04d}.bin").write_bytes(data)
        times.append(time.perf_counter() - started)

    property_()
    arr = np.asarray(times) * 1000
    return {"tried": int(sum(outcomes.values())), "outcomes": dict(outcomes), "escapes": len(escapes),
            "escape_kinds": dict(Counter(escapes).most_common(10)),
            "ms_per_call": {"p50": round(float(np.percentile(arr, 50)), 2),
                            "p99": round(float(np.percentile(arr, 99)), 2), "max": round(float(arr.max()), 1)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="inputs per loader")
    parser.add_argument("--hang", type=float, default=10.0, help="seconds after which a call counts as hung")
    parser.add_argument("--memory", type=int, default=2048, help="MiB of address space allowed above start-up")
    parser.add_argument("--save", default=None, help="folder for escaping inputs (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["image", "checkpoint"], default=None)
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore")
    save = Path(args.save or tempfile.mkdtemp(prefix="xai_fuzz_"))
    save.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="xai_fuzz_work_"))
    check_checkpoint(b"", work)  # import torch and build the seeds before the memory limit is set
    image_inputs(), checkpoint_inputs()
    rss_after_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    limit = _vm_bytes() + args.memory * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    report: dict = {"examples_per_loader": args.examples, "hang_s": args.hang, "memory_mib_above_start": args.memory,
                    "escapes_saved_to": str(save)}
    started = time.perf_counter()
    if args.only in (None, "image"):
        report["load_image"] = _run("image", image_inputs(), check_image, args.examples, args.hang, save, args.seed)
    if args.only in (None, "checkpoint"):
        report["load_checkpoint"] = _run("checkpoint", checkpoint_inputs(), lambda d: check_checkpoint(d, work),
                                         args.examples, args.hang, save, args.seed)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    report["peak_rss_mib_after_setup"] = round(rss_after_setup, 1)
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, indent=2))
    escaped = sum(report[k]["escapes"] for k in ("load_image", "load_checkpoint") if k in report)
    return 1 if escaped else 0


if __name__ == "__main__":
    sys.exit(main())
