"""Committed checkpoints load and reproduce the test metrics written in their model cards."""

from __future__ import annotations

from pathlib import Path

import pytest

from xai_demo.checkpoints import load_checkpoint
from xai_demo.data import load_dataset
from xai_demo.paths import MODELS_DIR
from xai_demo.train import evaluate

CHECKPOINTS = sorted(MODELS_DIR.glob("*.pt"))


def test_models_are_committed() -> None:
    names = {p.name for p in CHECKPOINTS}
    assert {"cxr_clean_128.pt", "pneumoniamnist_28.pt"} <= names
    for path in CHECKPOINTS:
        assert path.with_suffix(".md").is_file(), f"{path.name} has no model card"
        assert path.stat().st_size < 5 * 2**20, f"{path.name} is larger than 5 MB"


@pytest.mark.data
@pytest.mark.parametrize("path", CHECKPOINTS, ids=[p.stem for p in CHECKPOINTS])
def test_checkpoint_reproduces_its_card(path: Path, data_root: Path) -> None:
    checkpoint = load_checkpoint(path)
    card = checkpoint.metrics["test"]
    dataset = load_dataset(checkpoint.train_config["dataset"], "test", checkpoint.spec.input_size, data_root)
    measured = evaluate(checkpoint.model, dataset)
    assert measured["n"] == card["n"]
    assert measured["confusion"] == card["confusion"]
    assert measured["auc"] == pytest.approx(card["auc"], abs=1e-6)
    text = path.with_suffix(".md").read_text()
    assert f"{card['auc']:.3f}" in text and f"{100 * card['accuracy']:.1f}%" in text
