"""Load test of the web app: N concurrent users through the explore flow, over loopback only.

Starts the app in this process on a free 127.0.0.1 port (or uses --url), then:

1. server time: the explore handler (prediction + maps + overlays) timed inside the server, sequentially,
   with Grad-CAM on the largest model (128 px when available);
2. load: ``--clients`` gradio_client users at once, each picking a case then sending ``--requests`` explore
   requests; reports errors and latency percentiles (p50, p95, max), bounded by ``--timeout`` seconds.

    XAI_DEMO_DATA=../shared/data .venv/bin/python benchmarks/load_app.py --clients 20 --requests 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    arr = np.asarray(values) * 1000.0
    return {"n": len(values), "p50_ms": round(float(np.percentile(arr, 50)), 1),
            "p95_ms": round(float(np.percentile(arr, 95)), 1), "max_ms": round(float(arr.max()), 1),
            "mean_ms": round(float(arr.mean()), 1)}


def _start(models: str | None, data_root: str | None, timings: list[float]):
    """Build the app with the explore handler timed server-side, and launch it on loopback."""
    from xai_demo.ui.app import Callbacks, build_app, launch

    original = Callbacks.explore

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            timings.append(time.perf_counter() - started)

    Callbacks.explore = timed  # bound into the event handlers when the app is built
    demo = build_app(models, data_root_dir=data_root)
    port = _free_port()
    launch(demo, "127.0.0.1", port, warm_up=False, prevent_thread_lock=True)
    return demo, f"http://127.0.0.1:{port}/"


def _pick_model(demo) -> str:
    models = demo.xai_context.models
    if not models:
        sys.exit("no models found; pass --models a folder of checkpoints")
    return max(models.values(), key=lambda e: (e.size, e.artefact is None)).key


def _user(url: str, model: str, requests: int, deadline: float) -> tuple[list[float], list[str]]:
    from gradio_client import Client

    latencies, errors = [], []
    try:
        client = Client(url, verbose=False)
        client.predict(model, ["gradcam"], 0.5, "positive", api_name="/next_case")
    except Exception as exc:  # report, don't crash the benchmark
        return latencies, [f"connect/case: {type(exc).__name__}: {exc}"]
    for _ in range(requests):
        if time.monotonic() > deadline:
            errors.append("deadline")
            break
        started = time.perf_counter()
        try:
            out = client.predict(model, ["gradcam"], 0.5, "positive", api_name="/explore")
            if "predicts" not in str(out[0]):
                errors.append(f"unexpected output: {str(out[0])[:80]}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)
    return latencies, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=None, help="models folder (default: the repository's models/)")
    parser.add_argument("--data-root", default=os.environ.get("XAI_DEMO_DATA"))
    parser.add_argument("--url", default=None, help="an already running app (its explore handler is not timed)")
    parser.add_argument("--model", default=None, help="model key (default: the largest model)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5, help="explore requests per client")
    parser.add_argument("--server-runs", type=int, default=30, help="sequential requests for the server time")
    parser.add_argument("--timeout", type=float, default=240.0, help="stop sending after this many seconds")
    args = parser.parse_args(argv)

    timings: list[float] = []
    demo = None
    if args.url:
        url, model = args.url, args.model
        if not model:
            sys.exit("--model is required with --url")
    else:
        demo, url = _start(args.models, args.data_root, timings)
        model = args.model or _pick_model(demo)
    size = demo.xai_context.models[model].size if demo else None

    # 1. sequential: server-side handler time and loopback latency, one user
    latencies, errors = _user(url, model, args.server_runs, time.monotonic() + args.timeout)
    sequential = {"client": _percentiles(latencies[1:]), "server_handler": _percentiles(timings[2:]),
                  "errors": errors}
    timings.clear()

    # 1b. the same handler on a non-curated image (an upload: nothing cached), called in-process
    if demo is not None:
        from xai_demo.ui.app import new_state

        cb = demo.xai_callbacks
        rng = np.random.default_rng(0)
        uncached = []
        for _ in range(args.server_runs):
            state = replace(new_state("en"), image=rng.integers(0, 255, (224, 224), dtype=np.uint8))
            started = time.perf_counter()
            cb.explore(state, model, ["gradcam"], 0.5, "positive")
            uncached.append(time.perf_counter() - started)
        sequential["server_handler_uncached"] = _percentiles(uncached[1:])
        timings.clear()

    # 2. concurrent users
    deadline = time.monotonic() + args.timeout
    all_latencies, all_errors = [], []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        futures = [pool.submit(_user, url, model, args.requests, deadline) for _ in range(args.clients)]
        for future in as_completed(futures):
            lat, err = future.result()
            all_latencies += lat
            all_errors += err
    wall = time.perf_counter() - started
    report = {
        "model": model, "input_size": size, "method": "gradcam", "cpu_threads": os.cpu_count(),
        "sequential": sequential,
        "concurrent": {"clients": args.clients, "requests_per_client": args.requests,
                       "completed": len(all_latencies), "errors": len(all_errors),
                       "error_samples": sorted(set(all_errors))[:5], "wall_s": round(wall, 1),
                       "throughput_rps": round(len(all_latencies) / wall, 2) if wall else None,
                       "client": _percentiles(all_latencies), "server_handler": _percentiles(timings)},
    }
    if demo is not None:
        demo.close()  # prints a line of its own: the JSON report comes last
    print(json.dumps(report, indent=2))
    return 1 if all_errors or sequential["errors"] else 0


if __name__ == "__main__":
    threading.current_thread().name = "load_app"
    sys.exit(main())
