"""The xai-demo command line, run as a user would: through a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xai_demo.explain import list_methods


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "xai_demo.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def test_help_lists_every_subcommand_and_choice() -> None:
    out = run("--help").stdout
    for command in ("train", "evaluate", "explain", "list", "serve"):
        assert command in out
    explain_help = run("explain", "--help").stdout
    for method in list_methods():
        assert method in explain_help
    assert "--lecture" in run("serve", "--help").stdout


def test_list_shows_the_registries() -> None:
    out = run("list").stdout
    assert "small_cnn" in out and "resnet18" in out and "Integrated Gradients" in out and "kermany" in out


def test_missing_checkpoint_is_a_clear_error(tmp_path) -> None:
    proc = run("evaluate", "--model", str(tmp_path / "none.pt"), check=False)
    assert proc.returncode == 2 and "xai-demo: error: no checkpoint" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.data
def test_train_evaluate_explain_round_trip(tmp_path: Path, data_root: Path) -> None:
    ckpt = tmp_path / "tiny.pt"
    out = run("train", "--data", "pneumoniamnist", "--data-root", str(data_root), "--size", "28",
              "--epochs", "2", "--limit", "600", "--out", str(ckpt)).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    assert ckpt.is_file() and summary["test"]["auc"] > 0.8

    metrics = json.loads(run("evaluate", "--model", str(ckpt), "--data", "pneumoniamnist",
                             "--data-root", str(data_root), "--json").stdout)
    assert metrics["n"] == 624
    assert metrics["auc"] == pytest.approx(summary["test"]["auc"], abs=1e-9)
    assert sum(map(sum, metrics["confusion"])) == 624
    text = run("evaluate", "--model", str(ckpt), "--data", "pneumoniamnist", "--data-root", str(data_root)).stdout
    assert "specificity" in text and "confusion" in text

    good = tmp_path / "chest.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 180), np.uint8)).save(good)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    proc = run("explain", str(good), str(bad), "--model", str(ckpt), "--method", "gradcam", "saliency",
               "--out", str(tmp_path / "maps"), check=False)
    assert proc.returncode == 1  # one image failed, the other was still explained
    first, second = (json.loads(line) for line in proc.stdout.strip().splitlines())
    assert set(first["probabilities"]) == {"normal", "pneumonia"}
    assert first["label"] in first["probabilities"]
    assert len(first["files"]) == 3 and all(Path(f).is_file() for f in first["files"])
    assert Image.open(first["files"][0]).size[0] >= 384
    assert "not an image" in second["error"]


def test_train_from_card_rebuilds_the_same_checkpoint(tmp_path: Path) -> None:
    """`xai-demo train --from-card` reruns the card's own command: same weights, same card."""
    import torch

    from xai_demo.checkpoints import load_checkpoint

    first = tmp_path / "tiny.pt"
    run("train", "--data", "pneumoniamnist_sample", "--size", "28", "--epochs", "1", "--limit", "200",
        "--val-split", "patient", "--augment-strength", "1.5", "--ema", "0.9", "--threads", "1",
        "--out", str(first))
    card = first.with_suffix(".md").read_text()
    assert "--val-split patient --augment-strength 1.5 --ema 0.9 --threads 1 --out" in card
    saved = load_checkpoint(first).model.net.state_dict()
    run("train", "--from-card", str(first.with_suffix(".md")))
    again = load_checkpoint(first).model.net.state_dict()
    assert all(torch.equal(saved[k], again[k]) for k in saved)
    bad = tmp_path / "bad.md"
    bad.write_text("# no command here\n")
    proc = run("train", "--from-card", str(bad), check=False)
    assert proc.returncode == 2 and "Reproduce with" in proc.stderr
    proc = run("train", "--data", "pneumoniamnist_sample", check=False)
    assert proc.returncode == 2 and "--out" in proc.stderr and "Traceback" not in proc.stderr
