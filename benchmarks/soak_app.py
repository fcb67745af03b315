"""Soak test of the web app: simulated students calling the app's callbacks for minutes, in one process.

``--sessions`` threads each play one student after another until ``--minutes`` have passed. A student opens
a session, explores curated cases and an uploaded picture with several methods, uses the shortcut lab,
answers quiz questions, runs one sanity check and trains one small model of their own (one training at a
time, as in the app), then leaves: the session state is dropped. Every ``--sample`` seconds the process's
resident memory, open file descriptors, threads, pictures on disk and cache size are recorded.

Reported: calls and errors per callback, latencies, RSS at the start (app built), the middle and the end
of the phase when every student is active, and the drift from the middle to the end (after warm-up), the
shared result cache's size (bounded), file descriptors, and after the students have left: how many of
their models are still alive (should be 0) and how many pictures remain once the store prunes.

    XAI_DEMO_DATA=../shared/data .venv/bin/python benchmarks/soak_app.py --sessions 8 --minutes 3
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
import weakref
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def _sample(cb, started: float, active: int) -> dict:
    store = cb.ctx.store.folder
    return {"t_s": round(time.monotonic() - started, 1), "students_active": active, "rss_mib": round(_rss_mib(), 1),
            "fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count(),
            "pictures": sum(1 for _ in store.iterdir()), "cache": len(cb.ctx.cache)}


class Student:
    """One simulated student session after another, on one thread."""

    def __init__(self, cb, number: int, deadline: float, stats: dict, lock: threading.Lock,
                 user_models: list, upload_dir: Path) -> None:
        self.cb, self.rng, self.deadline = cb, random.Random(number), deadline
        self.stats, self.lock, self.user_models, self.upload_dir = stats, lock, user_models, upload_dir
        self.number = number

    def call(self, name: str, fn, *args):
        """Run one callback, timing it; an exception or an error message counts as an error."""
        started = time.perf_counter()
        try:
            out = fn(*args)
            failed = any(isinstance(x, str) and ("⚠" in x or "error" in x.lower()) for x in
                         (out if isinstance(out, tuple) else (out,)))
            error = f"{name}: {str(out)[:100]}" if failed else None
        except Exception as exc:
            out, error = None, f"{name}: {type(exc).__name__}: {exc}"
        with self.lock:
            entry = self.stats[name]
            entry["calls"] += 1
            entry["seconds"].append(time.perf_counter() - started)
            if error:
                entry["errors"].append(error)
        return out

    def upload(self) -> str:
        side = self.rng.randint(120, 400)
        pixels = np.random.default_rng(self.rng.randint(0, 2**31)).integers(0, 255, (side, side + 17), np.uint8)
        path = self.upload_dir / f"{self.number}_{time.monotonic_ns()}.png"
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG")
        path.write_bytes(buf.getvalue())
        return str(path)

    def session(self, train_choice: str | None) -> None:
        from xai_demo.ui.app import new_state
        from xai_demo.ui.logic import FAST_METHODS

        cb, rng = self.cb, self.rng
        state = new_state(rng.choice(["en", "fr"]))
        models = list(cb.ctx.models)
        for _ in range(rng.randint(2, 4)):  # explore a few cases
            state = self.call("case_image", cb.case_image, rng.randrange(len(cb.ctx.cases)), state) or state
            methods = rng.sample(FAST_METHODS, 2)
            out = self.call("explore", cb.explore, state, rng.choice(models), methods, 0.5, "positive")
            state = out[0] if out else state
            self.call("rerender", cb.rerender, state, 0.8, "signed")
        out = self.call("upload_image", cb.upload_image, self.upload(), state)
        state = out[0] if out else state
        out = self.call("explore", cb.explore, state, rng.choice(models), ["gradcam"], 0.5, "positive")
        state = out[0] if out else state
        if cb.ctx.pairs:
            pair = rng.choice(cb.ctx.pairs)
            out = self.call("shortcut", cb.shortcut, state, pair.key, True, pair.shortcut.artefact,
                            rng.choice(["top_left", "bottom_right", "top"]), 0.15, "gradcam")
            state = out[0] if out else state
        for _ in range(rng.randint(2, 4)):
            out = self.call("quiz_next", cb.quiz_next, state)
            state = out[0] if out else state
            out = self.call("quiz_answer", cb.quiz_answer, state, rng.choice(["artefact", "pathology"]))
            state = out[0] if out else state
        out = self.call("sanity", cb.sanity, state, rng.choice(models), ["gradcam", "saliency"])
        state = out[0] if out else state
        self.call("sanity_view", cb.sanity_view, state, 1)
        if train_choice is not None and time.monotonic() < self.deadline:
            out = self.call("train", cb.train, state, train_choice, "laterality_marker", 90, 0, 1, 300)
            if out:
                state = out[0]
                for entry in state.user_models:
                    self.user_models.append(weakref.ref(entry.model))
                out = self.call("explore", cb.explore, state, "user:1", ["gradcam"], 0.5, "positive")
        # the student leaves: the state goes out of scope, as gradio drops it when the session ends

    def run(self, train_choice: str | None) -> int:
        sessions = 0
        while time.monotonic() < self.deadline:
            self.session(train_choice)
            sessions += 1
        return sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8, help="students at the same time")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between resource samples")
    parser.add_argument("--picture-age", type=float, default=60.0, help="seconds a picture is kept on disk")
    parser.add_argument("--models", default=None, help="models folder (default: the repository's models/)")
    parser.add_argument("--data-root", default=os.environ.get("XAI_DEMO_DATA"))
    parser.add_argument("--no-train", action="store_true", help="students do not train models")
    args = parser.parse_args(argv)

    import torch

    from xai_demo.ui.app import build_app

    torch.set_num_threads(min(2, torch.get_num_threads()))
    demo = build_app(args.models, data_root_dir=args.data_root)
    cb = demo.xai_callbacks
    if not cb.ctx.models or not cb.ctx.cases:
        sys.exit("the soak needs models and cases: pass --models and --data-root (or $XAI_DEMO_DATA)")
    cb.ctx.store.max_age = args.picture_age
    train_choice = None if args.no_train or not cb.ctx.train_choices else cb.ctx.train_choices[0].key
    stats: dict = defaultdict(lambda: {"calls": 0, "errors": [], "seconds": []})
    lock, user_models = threading.Lock(), []
    upload_dir = Path(tempfile.mkdtemp(prefix="xai_soak_uploads_"))

    started = time.monotonic()
    deadline = started + 60 * args.minutes
    samples = [_sample(cb, started, 0)]
    sessions_done: list[int] = []
    students = [Student(cb, i, deadline, stats, lock, user_models, upload_dir) for i in range(args.sessions)]
    threads = [threading.Thread(target=lambda s=s: sessions_done.append(s.run(train_choice)), name=f"student{i}")
               for i, s in enumerate(students)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(args.sample)
        samples.append(_sample(cb, started, sum(thread.is_alive() for thread in threads)))
    for thread in threads:
        thread.join()

    del students, threads
    gc.collect()
    after = _sample(cb, started, 0)
    cb.ctx.store.max_age = 0.0
    pruned = cb.ctx.store.prune(force=True)
    loaded = [x for x in samples if x["students_active"] == args.sessions]  # every student still active
    middle, end = loaded[len(loaded) // 2], loaded[-1]
    report = {
        "sessions_at_once": args.sessions, "minutes": args.minutes, "students_served": sum(sessions_done),
        "train_choice": train_choice, "cpu_threads": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "calls": {name: {"calls": s["calls"], "errors": len(s["errors"]),
                         "p50_ms": round(1000 * float(np.percentile(s["seconds"], 50)), 1),
                         "p95_ms": round(1000 * float(np.percentile(s["seconds"], 95)), 1)}
                  for name, s in sorted(stats.items())},
        "errors": sum(len(s["errors"]) for s in stats.values()),
        "error_samples": sorted({e for s in stats.values() for e in s["errors"]})[:5],
        "rss_mib": {"start": samples[0]["rss_mib"], "middle": middle["rss_mib"], "end": end["rss_mib"],
                    "after_students_left": after["rss_mib"], "max": max(s["rss_mib"] for s in samples),
                    "drift_middle_to_end": round(end["rss_mib"] - middle["rss_mib"], 1),
                    "middle_t_s": middle["t_s"], "end_t_s": end["t_s"]},
        "shared_cache_entries": {"middle": middle["cache"], "end": end["cache"], "capacity": cb.ctx.cache.capacity},
        "fds": {"start": samples[0]["fds"], "middle": middle["fds"], "end": end["fds"],
                "after_students_left": after["fds"]},
        "pictures": {"max_on_disk": max(s["pictures"] for s in samples), "after_students_left": after["pictures"],
                     "pruned_at_end": pruned, "left_after_prune": sum(1 for _ in cb.ctx.store.folder.iterdir())},
        "user_models": {"trained": len(user_models), "alive_after_students_left": sum(r() is not None
                                                                                      for r in user_models)},
        "uploads_left_on_disk": sum(1 for _ in upload_dir.iterdir()),
        "samples": samples,
    }
    demo.close()
    print(json.dumps(report, indent=2))
    return 1 if report["errors"] or report["user_models"]["alive_after_students_left"] else 0


if __name__ == "__main__":
    sys.exit(main())
