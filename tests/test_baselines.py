"""Committed checkpoints load and reproduce the test metrics written in their model cards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xai_demo.checkpoints import load_checkpoint
from xai_demo.cli import card_command
from xai_demo.data import load_dataset
from xai_demo.paths import MODELS_DIR
from xai_demo.train import evaluate

CHECKPOINTS = sorted(MODELS_DIR.glob("*.pt"))


def card_test_row(text: str) -> dict:
    """The card's test row and test confusion matrix, as written: n, accuracy, auc, sensitivity,
    specificity (strings as printed) and confusion [[tn, fp], [fn, tp]]."""
    row = re.search(r"^\| test \| (\d+) \| ([\d.]+)% \| ([\d.]+) \| ([\d.]+)% \| ([\d.]+)% \|$", text, re.M)
    assert row, "the card has no test row"
    matrix = re.search(r"Test confusion matrix.*?\n\n\| \| \S+ \| \S+ \|\n\|---\|---\|---\|\n"
                       r"\| \S+ \| (\d+) \| (\d+) \|\n\| \S+ \| (\d+) \| (\d+) \|", text, re.S)
    assert matrix, "the card has no test confusion matrix"
    tn, fp, fn, tp = (int(x) for x in matrix.groups())
    n, acc, auc, sens, spec = row.groups()
    return {"n": int(n), "accuracy": acc, "auc": auc, "sensitivity": sens, "specificity": spec,
            "confusion": [[tn, fp], [fn, tp]]}


def printed(metrics: dict) -> dict:
    """``metrics`` formatted as a card prints them."""
    return {"n": metrics["n"], "accuracy": f"{100 * metrics['accuracy']:.1f}", "auc": f"{metrics['auc']:.3f}",
            "sensitivity": f"{100 * metrics['sensitivity']:.1f}", "specificity": f"{100 * metrics['specificity']:.1f}",
            "confusion": metrics["confusion"]}


def test_models_are_committed() -> None:
    names = {p.name for p in CHECKPOINTS}
    assert {"cxr_clean_128.pt", "pneumoniamnist_28.pt"} <= names
    for path in CHECKPOINTS:
        assert path.with_suffix(".md").is_file(), f"{path.name} has no model card"
        assert path.stat().st_size < 5 * 2**20, f"{path.name} is larger than 5 MB"


@pytest.mark.parametrize("path", CHECKPOINTS, ids=[p.stem for p in CHECKPOINTS])
def test_card_matches_its_checkpoint(path: Path) -> None:
    """The whole test row and confusion matrix of the card are the checkpoint's stored test metrics, and the
    card's reproduce command rebuilds this very file (``xai-demo train --from-card``)."""
    checkpoint = load_checkpoint(path)
    text = path.with_suffix(".md").read_text()
    assert card_test_row(text) == printed(checkpoint.metrics["test"])
    argv = card_command(path.with_suffix(".md"))
    assert argv[argv.index("--out") + 1] == f"models/{path.name}"


def test_card_row_parser_sees_every_number() -> None:
    text = (MODELS_DIR / "cxr_clean_128.md").read_text()
    row = card_test_row(text)
    changed = text.replace(f"| {row['confusion'][0][0]} | {row['confusion'][0][1]} |",
                           f"| {row['confusion'][0][0] + 1} | {row['confusion'][0][1]} |")
    assert card_test_row(changed) != row


@pytest.mark.data
@pytest.mark.parametrize("path", CHECKPOINTS, ids=[p.stem for p in CHECKPOINTS])
def test_checkpoint_reproduces_its_card(path: Path, data_root: Path) -> None:
    """Measured now on the test split, the checkpoint gives its card's whole test row."""
    checkpoint = load_checkpoint(path)
    card = checkpoint.metrics["test"]
    dataset = load_dataset(checkpoint.train_config["dataset"], "test", checkpoint.spec.input_size, data_root)
    measured = evaluate(checkpoint.model, dataset)
    assert measured["n"] == card["n"]
    assert measured["confusion"] == card["confusion"]
    for key in ("accuracy", "auc", "sensitivity", "specificity"):
        assert measured[key] == pytest.approx(card[key], abs=1e-6), key
    assert card_test_row(path.with_suffix(".md").read_text()) == printed(measured)
