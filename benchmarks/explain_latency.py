"""Per-method explanation latency and peak memory at 28, 64 and 128 px.

    python benchmarks/explain_latency.py            # all methods, sizes 28 64 128, writes a markdown table
    python benchmarks/explain_latency.py --sizes 128 --repeats 3

Latency: median wall time of ``explain()`` over ``--repeats`` runs after one warm-up, on the committed
model for that size when there is one (otherwise a freshly initialised small_cnn: latency does not depend on
the weights). Also reported as a ratio to Grad-CAM in the same run, which is robust to a noisy machine.
Peak memory: the rise of the process's peak resident set size (Linux VmHWM, reset through
/proc/self/clear_refs before each run) above its resident size when the run starts, after a warm-up run,
i.e. the extra memory one explanation needs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from xai_demo.checkpoints import load_checkpoint
from xai_demo.explain import explain, list_methods
from xai_demo.models import XaiModel, create_model
from xai_demo.paths import MODELS_DIR

COMMITTED = {28: "pneumoniamnist_28.pt", 64: "cxr_clean_64.pt", 128: "cxr_clean_128.pt"}


def model_for(size: int) -> XaiModel:
    path = MODELS_DIR / COMMITTED.get(size, "")
    if path.is_file():
        return load_checkpoint(path).model
    torch.manual_seed(0)
    return create_model("small_cnn", input_size=size)


def image(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    return np.clip(0.4 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy) + 0.05 * rng.random((size, size)), 0, 1)


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


PEAKS: list[float] = []  # absolute peak RSS seen during each measured run, MiB


def peak_extra_mib(run) -> float | None:
    """Extra peak RSS in MiB while ``run()`` executes, or None where /proc cannot be used."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        before = _status_mib("VmRSS")
        run()
        PEAKS.append(_status_mib("VmHWM"))
        return max(0.0, PEAKS[-1] - before)
    except (OSError, RuntimeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 64, 128])
    parser.add_argument("--methods", nargs="+", default=list_methods())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    rows = {}
    for size in args.sizes:
        model, x = model_for(size), image(size)
        for method in args.methods:
            explain(model, x, method)  # warm-up
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                explain(model, x, method)
                times.append(time.perf_counter() - start)
            mem = None if args.no_memory else peak_extra_mib(lambda m=method, mod=model, img=x: explain(mod, img, m))
            rows[(size, method)] = {"ms": 1000 * statistics.median(times), "peak_mib": mem}
    print(f"Machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}\n")
    header = "| method | " + " | ".join(f"{s} px ms (x Grad-CAM)" for s in args.sizes) + " | "
    header += " | ".join(f"{s} px peak MiB" for s in args.sizes) + " |"
    print(header)
    print("|---" * (1 + 2 * len(args.sizes)) + "|")
    for method in args.methods:
        cells = []
        for s in args.sizes:
            ms, ref = rows[(s, method)]["ms"], rows.get((s, "gradcam"), {}).get("ms")
            cells.append(f"{ms:.0f} ({ms / ref:.0f}x)" if ref else f"{ms:.0f}")
        cells += ["n/a" if rows[(s, method)]["peak_mib"] is None else f"{rows[(s, method)]['peak_mib']:.0f}"
                  for s in args.sizes]
        print(f"| {method} | " + " | ".join(cells) + " |")
    if PEAKS:
        print(f"\nWhole process (Python, torch, captum, the models, every run): peak RSS {max(PEAKS):.0f} MiB.")
    if args.json:
        args.json.write_text(json.dumps({f"{s}/{m}": v for (s, m), v in rows.items()}, indent=2))


if __name__ == "__main__":
    main()
