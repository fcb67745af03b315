"""``xai-demo train --out`` killed (SIGKILL) at random moments while it saves: the previous checkpoint is
intact, or the new one is complete; never a truncated file.

The command runs in a child process whose file writes are slowed down (8 KiB, then a 15 ms pause), so that
a kill lands inside the save; training itself is one epoch on a tiny synthetic image folder.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xai_demo.checkpoints import load_checkpoint, save_checkpoint
from xai_demo.models import create_model

SLOW_WRITES = """
import os, sys, time
import xai_demo.fileio as fileio

def slow_write_all(fd, data):
    view = memoryview(data)
    if len(view) > 20_000:  # the checkpoint, not the small model card
        print("SAVING", flush=True)
    while view:
        view = view[os.write(fd, view[:8192]):]
        time.sleep(0.015)

fileio._write_all = slow_write_all
from xai_demo.cli import main
sys.exit(main(sys.argv[1:]))
"""
CARD_END = "Its errors and its shortcuts are the point of the lesson.\n"


def _start(out: Path, folder: Path, seed: int) -> subprocess.Popen:
    argv = ["train", "--data", str(folder), "--size", "28", "--epochs", "1", "--batch-size", "8", "--seed",
            str(seed), "--out", str(out)]
    return subprocess.Popen([sys.executable, "-c", SLOW_WRITES, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))


@pytest.mark.slow
def test_sigkill_during_save_never_leaves_a_truncated_checkpoint(tmp_path: Path, xray_folder: Path) -> None:
    out = tmp_path / "model.pt"
    save_checkpoint(out, create_model("small_cnn", input_size=28), train_config={"seed": 999})
    rng = random.Random(11)
    moments = [rng.uniform(lo, hi) for lo, hi in ((0.0, 0.05), (0.05, 0.12), (0.12, 0.2), (0.2, 0.4))]
    outcomes = []
    for seed, moment in enumerate(moments):
        previous = out.read_bytes()
        proc = _start(out, xray_folder, seed)
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the save begins (or the process ends)
        assert line.strip() == "SAVING", f"train ended before saving (exit {proc.wait()})"
        time.sleep(moment)  # the slowed checkpoint write takes about 0.15 s, then fsync and rename
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        current = out.read_bytes()
        if current == previous:
            outcomes.append("previous intact")
        else:
            checkpoint = load_checkpoint(out)  # raises if the file were truncated or mixed
            assert checkpoint.train_config["seed"] == seed
            outcomes.append("new complete")
        card = out.with_suffix(".md")
        assert not card.exists() or card.read_text().endswith(CARD_END), "a card is whole or absent"
        leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("model.pt", "model.md")]
        assert all(name.startswith(".model.") and name.endswith(".tmp") for name in leftovers), leftovers
    assert len(outcomes) == len(moments)
    print("kill outcomes:", outcomes)
